"""The office console (/office): pages for the standing office's administrators, who do not use
a shell. One module per page family, all built on ``guard.office_page`` (the administrator
checked from the database on every request, CSRF on every POST) and ``office/layout.html``.

    sign_in.py   /office/l/<token> (one-time office links), /office/logout, /office (overview)
    org.py       /office/org… the organisation tree, search, edit, import with a preview
    people.py    /office/people… people and roles, revoke, reinstate by a new invite
    invites.py   /office/invites… invites one by one or in a batch, the printable QR sheet
    audit.py     /office/audit   the audit log, newest first, filtered by who and what
    reports.py   /office/reports… units × months, one report, reopening a month, Excel
    config.py    /office/config… indicator sets and annual targets: in force, history, edit
    concerns.py  /office/concerns  concern counts per enterprise and category (suppressed)
    polls.py     /office/polls…    workers' polls: list, set one, results after the close
    review.py    /office/review…   reports waiting for the level above: approve, return, reopen
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.base import Pages
from web.office import (
    audit,
    concerns,
    config,
    invites,
    org,
    people,
    polls,
    reports,
    review,
    sign_in,
)


def routes(pages: Pages) -> list[BaseRoute]:
    return [
        *sign_in.routes(pages),
        *org.routes(pages),
        *people.routes(pages),
        *invites.routes(pages),
        *audit.routes(pages),
        *reports.routes(pages),
        *config.routes(pages),
        *concerns.routes(pages),
        *polls.routes(pages),
        *review.routes(pages),
    ]
