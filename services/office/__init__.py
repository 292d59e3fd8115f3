"""The office console's use cases (web/office/ is their edge): who may enter and the links that
open it (``login``), the organisation tree and its import preview (``org``), people, roles and
invites (``people``), the audit log (``audit_log``), and who administers what from the
chat — administrators, and zone unions' officers in their zone (``powers``). The rules stay
where they were — ``org_import`` checks and writes, ``invites`` makes codes, ``access`` revokes,
``reporting`` unlocks — these modules list, search, preview, check reach and record who did
what."""

from services.office.login import (
    OFFICE_HOME,
    OFFICE_LINK_PATH,
    AdminAmbiguous,
    NoSuchAdmin,
    NotAdmin,
    OfficeLink,
    actor_of,
    find_admin,
    issue_office_link,
    require_admin,
)

__all__ = [
    "OFFICE_HOME",
    "OFFICE_LINK_PATH",
    "AdminAmbiguous",
    "NoSuchAdmin",
    "NotAdmin",
    "OfficeLink",
    "actor_of",
    "find_admin",
    "issue_office_link",
    "require_admin",
]
