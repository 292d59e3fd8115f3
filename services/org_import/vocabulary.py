"""The words people put in an organisation file: column names, kinds, ownerships, dates and
numbers in the spellings offices use, folded to one skeleton; and the rules codes and names obey."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from models import NodeKind, Ownership, UnitKind
from services.org_import.results import Msg

# Beside the package, in services/ (package data).
DEMO_PROVINCE_CSV: Final = Path(__file__).resolve().parents[1] / "demo_province.csv"


CODE_MAX: Final = 64  # OrgNode.code / ReportingUnit.code


NAME_MAX: Final = 255


# Telegram's start parameter allows these and nothing else (a code goes into the QR poster's
# deep link) and they are safe in a file name (admin posters writes <code>.png).
CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


# What a spreadsheet takes for a formula at the start of a cell (CSV/formula injection).
FORMULA_STARTS: Final = frozenset("=+-@")


# Far above any real enterprise, and far below what an INTEGER column overflows at.
WORKER_COUNT_MAX: Final = 10_000_000


# The default first reporting month is the month of the import where the units are.
VIETNAM: Final = ZoneInfo("Asia/Ho_Chi_Minh")


# Values per IN (...) query: keeps each statement small whatever the file's size.
CHUNK: Final = 500


@lru_cache(maxsize=4096)  # headers, kinds and ownerships repeat on every one of 50,000 rows
def fold(text: str) -> str:
    """The ASCII skeleton people's spellings share: "Mã cấp trên" → "ma cap tren"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", plain.lower()).strip()


def _folded_table(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold(alias): key for key, names in aliases.items() for alias in (key, *names)}


COLUMNS: Final = _folded_table(
    {
        "kind": ("loại", "loại đơn vị", "type"),
        "code": ("mã", "mã đơn vị", "mã số"),
        "name": ("tên", "tên đơn vị"),
        "parent_code": ("parent", "mã cấp trên", "cấp trên", "mã đơn vị cấp trên"),
        "worker_count": ("workers", "số lao động", "số lđ", "tổng số lao động", "lao động"),
        "ownership": ("loại hình", "loại hình doanh nghiệp", "sở hữu", "loại hình sở hữu"),
        "member_codes": (
            "members",
            "đơn vị thành viên",
            "doanh nghiệp thành viên",
            "dn thành viên",
            "thành viên",
        ),
        "first_period": (
            "first month",
            "tháng bắt đầu báo cáo",
            "báo cáo từ tháng",
            "tháng báo cáo đầu tiên",
            "kỳ báo cáo đầu tiên",
            "bắt đầu báo cáo",
        ),
    }
)


# A month as people write it: 11/2026, T11/2026, tháng 11/2026, 2026-11, or a date in it
# (an Excel date cell, 01/11/2026), once folded to "11 2026", "2026 11 01 00 00 00", …
MONTH_FIRST: Final = re.compile(r"(?:thang |t)?(?P<month>\d{1,2}) (?P<year>\d{4})")


YEAR_FIRST: Final = re.compile(r"(?P<year>\d{4}) (?P<month>\d{1,2})(?: \d{1,2})?(?: [\d ]*)?")


DAY_FIRST: Final = re.compile(r"\d{1,2} (?P<month>\d{1,2}) (?P<year>\d{4})")


REQUIRED_COLUMNS: Final = {
    "kind": Msg.MISSING_KIND,
    "code": Msg.MISSING_CODE,
    "name": Msg.MISSING_NAME,
    "parent_code": Msg.MISSING_PARENT,
}


Kind = NodeKind | UnitKind


KINDS: Final[dict[str, Kind]] = {
    fold(alias): kind
    for kind, names in (
        # Since 1 July 2025 a "thành phố" is a centrally-run city, a province-level unit.
        (NodeKind.PROVINCE, ("tỉnh", "thành phố")),
        (NodeKind.INDUSTRIAL_ZONE, ("kcn", "khu công nghiệp")),
        (NodeKind.ECONOMIC_ZONE, ("kkt", "khu kinh tế")),
        (NodeKind.COMMUNE, ("xã", "phường", "xã, phường", "xã/phường", "đặc khu")),
        (NodeKind.ENTERPRISE, ("doanh nghiệp", "dn", "công ty")),
        (UnitKind.TRADE_UNION, ("cđcs", "công đoàn cơ sở", "công đoàn")),
        (UnitKind.PARTY_CELL, ("chi bộ", "đảng bộ cơ sở", "đảng bộ", "chi bộ ghép")),
        (UnitKind.YOUTH_UNION, ("chi đoàn", "đoàn thanh niên", "đoàn cơ sở")),
        (UnitKind.WOMENS_UNION, ("women's union", "chi hội phụ nữ", "hội phụ nữ")),
        (
            UnitKind.ZONE_UNION,
            (
                "công đoàn kcn",
                "công đoàn các kcn",
                "công đoàn khu công nghiệp",
                "công đoàn các khu công nghiệp",
                "công đoàn kkt",
            ),
        ),
    )
    for alias in (kind.value, *names)
}


OWNERSHIPS: Final[dict[str, Ownership]] = {
    fold(alias): ownership
    for ownership, names in (
        (Ownership.DOMESTIC, ("trong nước", "tư nhân", "ngoài nhà nước", "dn trong nước")),
        (
            Ownership.FOREIGN,
            (
                "nước ngoài",
                "fdi",
                "có vốn đầu tư nước ngoài",
                "vốn đầu tư nước ngoài",
                "đầu tư nước ngoài",
            ),
        ),
        (Ownership.STATE, ("nhà nước", "doanh nghiệp nhà nước", "dnnn")),
    )
    for alias in (ownership.value, *names)
}


# The district level is gone (1 July 2025): a file that still has one is told so, by name.
DISTRICT_KINDS: Final = frozenset(fold(k) for k in ("district", "huyện", "quận", "thị xã"))


_AREAS: Final = frozenset({NodeKind.INDUSTRIAL_ZONE, NodeKind.ECONOMIC_ZONE, NodeKind.COMMUNE})


# (kinds a parent may have, message when it has another) for every kind that has a parent.
PARENT_RULES: Final[dict[Kind, tuple[frozenset[NodeKind], str]]] = {
    NodeKind.INDUSTRIAL_ZONE: (frozenset({NodeKind.PROVINCE}), Msg.ZONE_PARENT),
    NodeKind.ECONOMIC_ZONE: (frozenset({NodeKind.PROVINCE}), Msg.ZONE_PARENT),
    NodeKind.COMMUNE: (frozenset({NodeKind.PROVINCE}), Msg.ZONE_PARENT),
    NodeKind.ENTERPRISE: (_AREAS, Msg.ENTERPRISE_PARENT),
    UnitKind.TRADE_UNION: (frozenset({NodeKind.ENTERPRISE}), Msg.ENTERPRISE_UNIT_PARENT),
    UnitKind.YOUTH_UNION: (frozenset({NodeKind.ENTERPRISE}), Msg.ENTERPRISE_UNIT_PARENT),
    UnitKind.WOMENS_UNION: (frozenset({NodeKind.ENTERPRISE}), Msg.ENTERPRISE_UNIT_PARENT),
    UnitKind.PARTY_CELL: (_AREAS | {NodeKind.ENTERPRISE}, Msg.PARTY_CELL_PARENT),
    UnitKind.ZONE_UNION: (_AREAS, Msg.ZONE_UNION_PARENT),
}


# Vietnamese thousands ("1.500", "1 500"); a comma is a decimal separator there, so "1,5" is
# one and a half and is refused rather than read as fifteen.
WHOLE_NUMBER: Final = re.compile(r"\d{1,3}(?:[.\s]\d{3})+|\d+")
