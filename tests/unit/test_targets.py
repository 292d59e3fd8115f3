"""Annual targets: the shipped file, one-line errors, which targets a node gets, and the pace."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from models import NodeKind
from services.indicators import ConfigFileError, load_indicator_config
from services.targets import (
    DEFAULT_TARGETS_FILE,
    MeasureKind,
    TargetStatus,
    assess,
    expected_share,
    load_targets,
)

INDICATORS = load_indicator_config()

GOOD = """
targets:
  - code: party
    label: {vi: "Kết nạp đảng viên mới", en: "New party members"}
    year: 2026
    measure: {kind: sum, indicator: new_party_members, unit_kind: party_cell}
    target: 50
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigFileError) as caught:
        load_targets(write(tmp_path, text), INDICATORS)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / "targets.yaml") + ": ")
    return message.split(": ", 1)[1]


def test_the_shipped_targets_hold_the_domain_examples_for_2026() -> None:
    config = load_targets(DEFAULT_TARGETS_FILE, INDICATORS)
    province = {t.code: t for t in config.for_node("BG", NodeKind.PROVINCE, 2026)}
    assert {code: int(t.target) for code, t in province.items()} == {
        "new_party_members": 50,
        "new_party_organisations": 2,
        "new_grassroots_unions": 2,
        "new_youth_organisations": 3,
        "new_union_members": 2000,
        "cla_coverage": 80,
    }
    assert province["cla_coverage"].measure.measure_kind is MeasureKind.SHARE
    assert province["new_party_members"].measure.unit_kind == "party_cell"
    earlier = {t.code: int(t.target) for t in config.for_node("BG", NodeKind.PROVINCE, 2025)}
    assert earlier == {"new_union_members": 1500, "cla_coverage": 80}
    later = {t.code: int(t.target) for t in config.for_node("BG", NodeKind.PROVINCE, 2030)}
    assert later == {"new_union_members": 2000, "cla_coverage": 85}
    # "all" targets are the province's: a zone gets none unless the file names it.
    assert config.for_node("KCN-QC", NodeKind.INDUSTRIAL_ZONE, 2026) == []


def test_a_node_code_replaces_the_all_target(tmp_path: Path) -> None:
    config = load_targets(
        write(
            tmp_path,
            GOOD
            + """
  - code: party
    label: {vi: "Kết nạp đảng viên mới (KCN)", en: "New party members (zone)"}
    scope: KCN-QC
    year: 2026
    measure: {kind: sum, indicator: new_party_members, unit_kind: party_cell}
    target: 30
  - code: party_zones
    label: {vi: "Kết nạp đảng viên mới", en: "New party members"}
    node_kinds: [industrial_zone, commune]
    year: 2026
    measure: {kind: sum, indicator: new_party_members, unit_kind: party_cell}
    target: 5
""",
        ),
        INDICATORS,
    )
    assert [(t.code, t.target) for t in config.for_node("BG", NodeKind.PROVINCE, 2026)] == [
        ("party", 50)
    ]
    zone = config.for_node("KCN-QC", NodeKind.INDUSTRIAL_ZONE, 2026)
    assert [(t.code, t.target) for t in zone] == [("party", 30), ("party_zones", 5)]
    other = config.for_node("KCN-VT", NodeKind.INDUSTRIAL_ZONE, 2026)
    assert [(t.code, t.target) for t in other] == [("party_zones", 5)]
    assert config.for_node("BG", NodeKind.PROVINCE, 2027) == []


def test_year_ranges(tmp_path: Path) -> None:
    config = load_targets(write(tmp_path, GOOD.replace("year: 2026", "year: 2026-2030")))
    (target,) = config.targets
    assert target.year == (2026, 2030)
    assert target.covers(2028) and not target.covers(2031)


@pytest.mark.parametrize(
    "change,problem",
    [
        (
            ("indicator: new_party_members", "indicator: new_members"),
            "targets[0] (party): measure.indicator: 'new_members' is not an indicator of "
            "party_cell",
        ),
        (
            ("indicator: new_party_members", "indicator: party_members"),
            "targets[0] (party): measure.indicator: 'party_members' is a stock indicator, but a "
            "sum target needs a flow one",
        ),
        (
            ("kind: sum", "kind: total"),
            "targets[0] (party): measure: Input tag 'total' found using 'kind' does not match "
            "any of the expected tags: 'sum', 'share'",
        ),
        (
            ("target: 50", "target: 1.500"),
            "targets[0] (party): target (1.5) must be a whole number written without "
            "separators (1500, not 1.500)",
        ),
        (
            ("year: 2026", "year: 2030-2026"),
            "targets[0] (party): year: 2030-2026: the range ends before it starts",
        ),
        (
            ("year: 2026", "year: next"),
            "targets[0] (party): year: 'next' is not a year (2026) or a range (2026-2030)",
        ),
        (
            ("target: 50", "targt: 50"),
            "targets[0] (party): targt: is not a known field (a typo?) (and 1 more problem)",
        ),
        (
            ("target: 50", "target: 0"),
            "targets[0] (party): target: Input should be greater than 0 (got 0)",
        ),
        (
            ("unit_kind: party_cell", "unit_kind: cell"),
            "targets[0] (party): measure.sum.unit_kind: Input should be 'trade_union', "
            "'party_cell', 'youth_union', 'womens_union' or 'zone_union' (got 'cell')",
        ),
        (
            ("code: party", "code: Party"),
            "targets[0] (Party): code: 'Party' must be 1-40 lower-case latin letters, digits "
            "or _, starting with a letter",
        ),
        (
            ("measure: {", "measure: {{"),
            "YAML syntax error at line 7, column 5: expected ',' or '}', but got '<scalar>'",
        ),
    ],
)
def test_errors_are_one_line_and_say_where(
    tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    assert error_of(tmp_path, GOOD.replace(*change)) == problem


def test_share_targets_are_percentages_of_a_yes_no_indicator(tmp_path: Path) -> None:
    share = """
targets:
  - code: cla
    label: {vi: "Thỏa ước", en: "Agreements"}
    year: 2026
    measure: {kind: share, indicator: cla_in_force, unit_kind: trade_union}
    target: 80
"""
    assert load_targets(write(tmp_path, share), INDICATORS).targets[0].target == 80
    assert error_of(tmp_path, share.replace("target: 80", "target: 120")) == (
        "targets[0] (cla): target (120) is a percentage: at most 100"
    )
    assert error_of(tmp_path, share.replace("cla_in_force", "new_union_members")) == (
        "targets[0] (cla): measure.indicator: 'new_union_members' is a flow indicator, but a "
        "share target needs a yes_no one"
    )


def test_overlapping_years_of_one_code_and_scope_are_refused(tmp_path: Path) -> None:
    twice = GOOD + GOOD.split("targets:\n", 1)[1].replace("year: 2026", "year: 2025-2027")
    assert error_of(tmp_path, twice) == (
        "targets[1] (party): years overlap those of targets[0] with the same code and scope: "
        "which one applies would be ambiguous"
    )
    # The same code for another scope, or for other years, is fine.
    load_targets(write(tmp_path, twice.replace("year: 2025-2027", "year: 2027-2030")))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"targets\.yaml: file not found"):
        load_targets(tmp_path / "targets.yaml")


# --- pace -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "months,share", [(0, 0.0), (1, 1 / 12), (3, 0.25), (6, 0.5), (12, 1.0), (13, 1.0), (-1, 0.0)]
)
def test_expected_share_is_elapsed_months_over_twelve(months: int, share: float) -> None:
    assert expected_share(months) == pytest.approx(share)


def test_a_sum_is_on_track_when_at_least_the_pace() -> None:
    # 50 a year: 12.5 due after three months.
    on_pace = assess(MeasureKind.SUM, Decimal("12.5"), Decimal(50), 3)
    assert on_pace.status is TargetStatus.ON_TRACK
    assert (on_pace.achieved, on_pace.expected) == (0.25, 0.25)
    assert assess(MeasureKind.SUM, 12, Decimal(50), 3).status is TargetStatus.BEHIND
    assert assess(MeasureKind.SUM, 13, Decimal(50), 3).status is TargetStatus.ON_TRACK
    # 10 of 12 months: 41 of 50 is 82 %, below 83.3 %.
    assert assess(MeasureKind.SUM, 41, Decimal(50), 10).status is TargetStatus.BEHIND
    assert assess(MeasureKind.SUM, 42, Decimal(50), 10).status is TargetStatus.ON_TRACK
    # Nothing is due before the year starts; beyond the target it is reached.
    assert assess(MeasureKind.SUM, 0, Decimal(50), 0).status is TargetStatus.ON_TRACK
    assert assess(MeasureKind.SUM, 60, Decimal(50), 12).reached


def test_a_share_is_a_level_to_hold_from_january() -> None:
    january = assess(MeasureKind.SHARE, Decimal("79.9"), Decimal(80), 1)
    assert january.expected == 1.0 and january.status is TargetStatus.BEHIND
    assert assess(MeasureKind.SHARE, 80, Decimal(80), 1).status is TargetStatus.ON_TRACK
