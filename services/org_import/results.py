"""What an import answers: its message ids, the line-numbered errors, and the counts of a
successful import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from services.errors import N_, DomainError


class Msg:
    """Message ids of this module (English); Vietnamese in ``infra/locale/vi/org_import.po``."""

    SUMMARY: Final = N_("Nothing was imported: the file has errors ({count}).")
    UNSUPPORTED_TYPE: Final = N_('Unsupported file type "{extension}": use a .csv or .xlsx file.')
    UNREADABLE: Final = N_("The file cannot be opened or is damaged.")
    NOT_UTF8: Final = N_('The file is not UTF-8 text: save it as "CSV UTF-8".')
    NO_HEADER: Final = N_("The file is empty: it has no header row.")
    NO_ROWS: Final = N_("The file has a header row but no data rows.")
    MISSING_KIND: Final = N_('Missing column "kind".')
    MISSING_CODE: Final = N_('Missing column "code".')
    MISSING_NAME: Final = N_('Missing column "name".')
    MISSING_PARENT: Final = N_('Missing column "parent_code".')
    DUPLICATE_COLUMN: Final = N_('Columns "{first}" and "{second}" mean the same thing.')
    EMPTY_KIND: Final = N_("Kind is empty.")
    UNKNOWN_KIND: Final = N_('Unknown kind "{value}".')
    NO_DISTRICT: Final = N_(
        'Kind "{value}": there is no district level since 1 July 2025. Put the enterprises '
        "under their commune or ward (kind commune: xã, phường) or their zone."
    )
    EMPTY_CODE: Final = N_("Code is empty.")
    CODE_CHARACTERS: Final = N_(
        'Code "{code}" may hold only Latin letters, digits, "-" and "_" (it goes into QR '
        "codes and file names)."
    )
    NAME_FORMULA: Final = N_(
        'Name must not start with "=", "+", "-" or "@" (a spreadsheet would run it as a formula).'
    )
    CODE_TOO_LONG: Final = N_('Code "{code}" is longer than {limit} characters.')
    EMPTY_NAME: Final = N_("Name is empty.")
    NAME_TOO_LONG: Final = N_("Name is longer than {limit} characters.")
    DUPLICATE_CODE: Final = N_('Code "{code}" already appears on line {first_line}.')
    CODE_IS_UNIT: Final = N_('Code "{code}" already belongs to a reporting unit.')
    CODE_IS_NODE: Final = N_(
        'Code "{code}" already belongs to a province, zone, commune or enterprise.'
    )
    KIND_CHANGED: Final = N_(
        'Code "{code}" already exists with another kind; an import cannot change it.'
    )
    PROVINCE_WITH_PARENT: Final = N_("A province has no parent: leave the parent code empty.")
    EMPTY_PARENT: Final = N_("Parent code is empty: only a province has no parent.")
    SELF_PARENT: Final = N_('Code "{code}" cannot be its own parent.')
    UNKNOWN_PARENT: Final = N_(
        'Unknown parent "{parent}": it is neither in the file nor in the database.'
    )
    PARENT_IS_UNIT: Final = N_(
        'Parent "{parent}" is a reporting unit; a parent must be a province, zone, commune '
        "or enterprise."
    )
    ZONE_PARENT: Final = N_(
        'The parent of a zone or a commune must be a province; "{parent}" is not.'
    )
    ENTERPRISE_PARENT: Final = N_(
        "The parent of an enterprise must be an industrial zone, an economic zone or a commune; "
        '"{parent}" is not.'
    )
    ENTERPRISE_UNIT_PARENT: Final = N_(
        "A trade union, youth union or women's union sits in an enterprise; "
        '"{parent}" is not an enterprise.'
    )
    PARTY_CELL_PARENT: Final = N_(
        "A party cell sits in an enterprise, or in a zone or commune when it is combined; "
        '"{parent}" is neither.'
    )
    ZONE_UNION_PARENT: Final = N_(
        'A zone union sits in an industrial zone, an economic zone or a commune; "{parent}" is not.'
    )
    CYCLE: Final = N_('Code "{code}" would become its own ancestor.')
    WORKERS_NOT_WHOLE: Final = N_('Worker count "{value}" is not a whole number.')
    WORKERS_NEGATIVE: Final = N_('Worker count "{value}" is negative.')
    WORKERS_TOO_LARGE: Final = N_('Worker count "{value}" is too large.')
    WORKERS_NOT_ENTERPRISE: Final = N_("Only an enterprise has a worker count.")
    UNKNOWN_OWNERSHIP: Final = N_('Unknown ownership "{value}": use domestic, foreign or state.')
    OWNERSHIP_NOT_ENTERPRISE: Final = N_("Only an enterprise has an ownership type.")
    MEMBERS_NOT_PARTY_CELL: Final = N_("Only a party cell lists member enterprises.")
    UNKNOWN_MEMBER: Final = N_('Unknown member enterprise "{member}".')
    MEMBER_NOT_ENTERPRISE: Final = N_('Member "{member}" is not an enterprise.')
    BAD_FIRST_PERIOD: Final = N_(
        'First reporting month "{value}" is not a month: write it like 11/2026.'
    )
    FIRST_PERIOD_NOT_UNIT: Final = N_("Only a reporting unit has a first reporting month.")


@dataclass(frozen=True)
class RowError:
    """One mistake in the file. ``line`` is the row number a spreadsheet shows (header = 1);
    0 when the mistake is the file itself."""

    line: int
    message: str
    params: dict[str, object] = field(default_factory=dict)


class OrgImportError(DomainError):
    """The file was refused; nothing was written. ``errors`` lists every mistake found."""

    message = Msg.SUMMARY

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(count=len(errors))
        self.errors: list[RowError] = sorted(errors, key=lambda error: error.line)


@dataclass(frozen=True)
class ImportResult:
    """Records created, and existing records the file actually changed (re-importing the same
    file reports zero updates). Paths recomputed because an ancestor moved are not counted."""

    nodes_created: int
    nodes_updated: int
    units_created: int
    units_updated: int
