"""Indicator sets from YAML: the default file, one-line errors for bad files, versions, checks."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from grassroots_config import DEFAULT_CONFIG_DIR

from models.org import UnitKind
from services.indicators import (
    DEFAULT_INDICATORS_FILE,
    ConfigFileError,
    Indicator,
    IndicatorConfig,
    IndicatorKind,
    IndicatorSet,
    fingerprint,
    jump_exceeded,
    load_indicator_config,
    rules_touching,
    snapshot,
    violated_rules,
)

VIETNAMESE_LETTER = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]"
)

FLOW, STOCK, YES_NO = IndicatorKind.FLOW, IndicatorKind.STOCK, IndicatorKind.YES_NO


@pytest.fixture(scope="module")
def default() -> IndicatorConfig:
    return load_indicator_config(DEFAULT_INDICATORS_FILE)


def the_set(config: IndicatorConfig, kind: UnitKind) -> IndicatorSet:
    found = config.for_kind(kind)
    assert found is not None
    return found


# --- the default file -----------------------------------------------------------------------


def test_the_default_file_ships_in_the_config_package() -> None:
    assert DEFAULT_INDICATORS_FILE == DEFAULT_CONFIG_DIR / "indicators.yaml"
    assert DEFAULT_INDICATORS_FILE.is_file()


def test_the_default_file_has_a_set_for_every_kind_of_unit(default: IndicatorConfig) -> None:
    assert {s.unit_kind for s in default.sets} == set(UnitKind)
    assert default.version
    assert default.jump_threshold == pytest.approx(0.34)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            UnitKind.TRADE_UNION,
            {
                "workers": STOCK,
                "union_members": STOCK,
                "new_union_members": FLOW,
                "members_introduced_to_party": FLOW,
                "workplace_dialogues": FLOW,
                "worker_conferences": FLOW,
                "cla_in_force": YES_NO,
                "labour_disputes": FLOW,
                "technical_initiatives": FLOW,
            },
        ),
        (
            UnitKind.PARTY_CELL,
            {
                "party_members": STOCK,
                "new_party_members": FLOW,
                "awareness_class_attendees": FLOW,
                "candidates": STOCK,
                "members_left": FLOW,
            },
        ),
        (UnitKind.YOUTH_UNION, {"members": STOCK, "new_members": FLOW, "activities": FLOW}),
        (UnitKind.WOMENS_UNION, {"members": STOCK, "new_members": FLOW, "activities": FLOW}),
        (
            UnitKind.ZONE_UNION,
            {
                "new_grassroots_unions": FLOW,
                "new_party_organisations": FLOW,
                "new_youth_organisations": FLOW,
            },
        ),
    ],
)
def test_default_indicators_and_kinds(
    default: IndicatorConfig, kind: UnitKind, expected: dict[str, IndicatorKind]
) -> None:
    indicator_set = the_set(default, kind)
    assert {i.code: i.kind for i in indicator_set.indicators} == expected


@pytest.mark.parametrize(
    ("kind", "checks"),
    [
        (
            UnitKind.TRADE_UNION,
            {
                "union_members <= workers",
                "new_union_members <= union_members",
                "members_introduced_to_party <= union_members",
            },
        ),
        (UnitKind.PARTY_CELL, {"new_party_members <= party_members"}),
        (UnitKind.YOUTH_UNION, {"new_members <= members"}),
        (UnitKind.WOMENS_UNION, {"new_members <= members"}),
        (UnitKind.ZONE_UNION, set()),
    ],
)
def test_default_rules(default: IndicatorConfig, kind: UnitKind, checks: set[str]) -> None:
    assert {r.check for r in the_set(default, kind).rules} == checks


def test_default_labels_are_real_vietnamese_and_english(default: IndicatorConfig) -> None:
    for indicator_set in default.sets:
        labels = [indicator_set.label] + [i.label for i in indicator_set.indicators]
        labels += [r.message for r in indicator_set.rules]
        for label in labels:
            assert label.vi != label.en
            assert label.en.isascii(), label.en
        # Every set's title and most labels carry tone marks; a bare one reads as broken.
        assert VIETNAMESE_LETTER.search(indicator_set.label.vi.lower())
        for indicator in indicator_set.indicators:
            assert VIETNAMESE_LETTER.search(indicator.label.vi.lower()), indicator.code


def test_default_optional_indicators_and_yes_no(default: IndicatorConfig) -> None:
    optional = {(s.unit_kind, i.code) for s in default.sets for i in s.indicators if not i.required}
    assert (UnitKind.TRADE_UNION, "technical_initiatives") in optional
    assert 2 <= len(optional) <= 4
    cla = the_set(default, UnitKind.TRADE_UNION).indicator("cla_in_force")
    assert (cla.min, cla.max, cla.unit) == (None, None, None)
    workers = the_set(default, UnitKind.TRADE_UNION).indicator("workers")
    assert workers.min == 0
    assert workers.unit is not None
    assert workers.unit.get("vi") == "người"
    assert workers.unit.get("en") == "people"


def test_for_kind_accepts_the_plain_value(default: IndicatorConfig) -> None:
    assert default.for_kind("party_cell") is default.for_kind(UnitKind.PARTY_CELL)


# --- bad files: one line naming the file, the place and the problem -------------------------

GOOD = """\
version: "test"
sets:
  - unit_kind: trade_union
    label: {vi: "Công đoàn cơ sở", en: "Trade union"}
    indicators:
      - code: workers
        label: {vi: "Tổng số lao động", en: "Workers"}
        kind: stock
      - code: union_members
        label: {vi: "Tổng số đoàn viên", en: "Members"}
        kind: stock
      - code: new_members
        label: {vi: "Kết nạp mới", en: "New members"}
        kind: flow
        min: 0
        max: 500
"""

RULE = """\
    rules:
      - code: within
        check: "{check}"
        message: {{vi: "{vi}", en: "Too many"}}
"""

EXTRA = """\
      - code: {code}
        label: {{vi: "Thêm", en: "Extra"}}
        kind: {kind}
"""


def extra(code: str = "extra", kind: str = "flow", more: str = "") -> str:
    return GOOD + EXTRA.format(code=code, kind=kind) + more


def rule(check: str, vi: str = "Quá nhiều") -> str:
    return GOOD + RULE.format(check=check, vi=vi)


BROKEN = [
    pytest.param(
        extra(code="workers"),
        ["sets[0] (trade_union) → indicators[3] (workers)", "used twice", "indicators[0]"],
        id="duplicate-code",
    ),
    pytest.param(
        rule("union_members <= employees"),
        ["sets[0] (trade_union) → rules[0] (within)", "'employees'", "not an indicator"],
        id="unknown-operand",
    ),
    pytest.param(
        rule("union_members =< workers"),
        ["rules[0] (within)", "check", "cannot read", "=<"],
        id="bad-operator",
    ),
    pytest.param(
        rule("union_members <= workers <= 10"),
        ["rules[0] (within)", "cannot read"],
        id="chained-comparison",
    ),
    pytest.param(
        rule("__import__('os') <= workers"),
        ["rules[0] (within)", "cannot read"],
        id="code-injection",
    ),
    pytest.param(rule("1 <= 2"), ["rules[0] (within)", "two numbers"], id="no-indicator"),
    pytest.param(
        rule("union_members <= workers", vi="Quá nhiều ({members})"),
        ["rules[0] (within)", "message.vi", "{members}"],
        id="unknown-placeholder",
    ),
    pytest.param(
        rule("union_members <= workers", vi="Quá nhiều ({workers)"),
        ["rules[0] (within)", "braces"],
        id="unbalanced-braces",
    ),
    pytest.param(
        extra(more="        min: 10\n        max: 5\n"),
        ["sets[0] (trade_union) → indicators[3] (extra): max (5) is below min (10)"],
        id="min-above-max",
    ),
    pytest.param(
        extra(kind="yes_no", more="        max: 1\n"),
        ["indicators[3] (extra)", "yes/no", "no bounds"],
        id="bounds-on-yes-no",
    ),
    pytest.param(
        extra(kind="yes_no", more="        min: 0\n"),
        ["indicators[3] (extra)", "yes/no", "no bounds"],
        id="min-on-yes-no",
    ),
    pytest.param(
        extra(kind="yes_no", more="        jump_threshold: 0.5\n"),
        ["indicators[3] (extra)", "yes/no", "jump_threshold"],
        id="jump-on-yes-no",
    ),
    pytest.param(
        extra(kind="percent", more="        max: 120\n"),
        ["indicators[3] (extra)", "max (120)", "100"],
        id="percent-above-100",
    ),
    pytest.param(
        extra(more="        min: -1\n"),
        ["indicators[3] (extra)", "min (-1)", "below zero"],
        id="negative-min",
    ),
    pytest.param(
        extra(more="        max: 1.500\n"),
        ["indicators[3] (extra)", "max (1.5)", "1000, not 1.000"],
        id="vietnamese-thousands-in-yaml",
    ),
    pytest.param(
        extra(kind="flux"),
        ["indicators[3] (extra)", "kind", "'flux'", "'flow'"],
        id="bad-kind",
    ),
    pytest.param(
        extra(code="New-Members"),
        ["indicators[3] (New-Members)", "code", "lower-case"],
        id="bad-code",
    ),
    pytest.param(
        extra(more="        requried: false\n"),
        ["indicators[3] (extra)", "requried", "not a known field"],
        id="misspelt-field",
    ),
    pytest.param(
        extra(more="        jump_threshold: 0\n"),
        ["indicators[3] (extra)", "jump_threshold"],
        id="zero-jump",
    ),
    pytest.param(
        GOOD.replace('{vi: "Kết nạp mới", en: "New members"}', '{vi: "  ", en: "New members"}'),
        ["indicators[2] (new_members)", "label.vi", "empty"],
        id="empty-label",
    ),
    pytest.param(
        GOOD.replace('        label: {vi: "Kết nạp mới", en: "New members"}\n', ""),
        ["indicators[2] (new_members)", "label", "missing"],
        id="missing-label",
    ),
    pytest.param(
        GOOD.replace("unit_kind: trade_union", "unit_kind: union"),
        ["sets[0] (union)", "unit_kind", "'union'"],
        id="unknown-unit-kind",
    ),
    pytest.param(
        GOOD + GOOD.split("sets:\n", 1)[1],
        ["sets[1] (trade_union)", "already has a set", "sets[0]"],
        id="two-sets-for-one-kind",
    ),
    pytest.param(
        rule("cla <= workers").replace(
            "    rules:", EXTRA.format(code="cla", kind="yes_no") + "    rules:"
        ),
        ["rules[0] (within)", "yes/no"],
        id="rule-on-yes-no",
    ),
    pytest.param(GOOD.replace('version: "test"\n', ""), ["version", "missing"], id="no-version"),
    pytest.param('version: "1"\nsets: []\n', ["sets", "at least 1"], id="no-sets"),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_a_broken_file_stops_with_one_line(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = tmp_path / "chi_tieu.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_indicator_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for fragment in expected:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        pytest.param(
            GOOD.replace('{vi: "Kết nạp mới", en: "New members"}', '{vi: "Kết nạp mới", en: x'),
            14,
            "expected ',' or '}'",
            id="unclosed-brace",
        ),
        pytest.param(
            GOOD.replace("        kind: flow\n", "        kind: flow\n       kind: stock\n"),
            15,
            "",
            id="bad-indent",
        ),
        pytest.param(
            extra(more="        kind: stock\n"), 20, "'kind' appears twice", id="duplicate-key"
        ),
    ],
)
def test_a_yaml_syntax_error_names_its_line(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_indicator_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: YAML syntax error at line {line},")
    assert problem in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "empty"), ("# only a comment\n", "empty"), ("- a\n- b\n", "top level")],
)
def test_an_empty_or_shapeless_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError, match=problem):
        load_indicator_config(path)


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigFileError) as caught:
        load_indicator_config(path)
    assert str(caught.value) == f"{path}: file not found"


def test_several_problems_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "indicators.yaml"
    path.write_text(extra(kind="flux", more="        requried: true\n"), encoding="utf-8")
    with pytest.raises(
        ConfigFileError, match=r"requried: is not a known field .* \(and 1 more problem\)$"
    ):
        load_indicator_config(path)


def test_the_error_is_not_a_domain_error() -> None:
    from services.errors import DomainError

    assert not issubclass(ConfigFileError, DomainError)


# --- versions: fingerprint and snapshot -----------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "indicators.yaml") -> IndicatorSet:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return the_set(load_indicator_config(path), UnitKind.TRADE_UNION)


def test_fingerprint_is_stable_across_loads(default: IndicatorConfig) -> None:
    again = load_indicator_config(DEFAULT_INDICATORS_FILE)
    for first, second in zip(default.sets, again.sets, strict=True):
        assert fingerprint(first) == fingerprint(second)
        assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(first))
    assert len({fingerprint(s) for s in default.sets}) == len(default.sets)


def test_fingerprint_ignores_comments_key_order_and_number_spelling(tmp_path: Path) -> None:
    plain = write(tmp_path, GOOD, "a.yaml")
    reordered = GOOD.replace(
        "        kind: flow\n        min: 0\n        max: 500\n",
        "        # a comment\n        max: 500\n        kind: flow\n        min: 0\n",
    ).replace("        min: 0\n", '        min: "0.0"\n')
    assert reordered != GOOD
    assert fingerprint(write(tmp_path, reordered, "b.yaml")) == fingerprint(plain)
    # The version label belongs to the file, not to the set: raising it alone changes nothing.
    bumped = GOOD.replace('version: "test"', 'version: "test-2"')
    assert fingerprint(write(tmp_path, bumped, "c.yaml")) == fingerprint(plain)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('en: "New members"', 'en: "Newly admitted members"'),
        ('vi: "Kết nạp mới"', 'vi: "Kết nạp đoàn viên mới"'),
        ("max: 500", "max: 600"),
        ("kind: flow", "kind: stock"),
    ],
)
def test_fingerprint_changes_with_the_definition(tmp_path: Path, old: str, new: str) -> None:
    assert old in GOOD
    before = fingerprint(write(tmp_path, GOOD, "a.yaml"))
    assert fingerprint(write(tmp_path, GOOD.replace(old, new), "b.yaml")) != before


def test_snapshot_round_trip(default: IndicatorConfig) -> None:
    for indicator_set in default.sets:
        data = snapshot(indicator_set)
        restored = IndicatorSet.model_validate(data)
        assert restored == indicator_set
        assert fingerprint(restored) == fingerprint(indicator_set)
        assert snapshot(restored) == data


def test_snapshot_is_plain_json(default: IndicatorConfig) -> None:
    import json

    data = snapshot(the_set(default, UnitKind.TRADE_UNION))
    assert json.loads(json.dumps(data)) == data
    assert data["unit_kind"] == "trade_union"


def test_percent_defaults_to_0_100_and_survives_a_snapshot(tmp_path: Path) -> None:
    indicator_set = write(tmp_path, extra(kind="percent"))
    percent = indicator_set.indicator("extra")
    assert (percent.min, percent.max) == (Decimal(0), Decimal(100))
    assert IndicatorSet.model_validate(snapshot(indicator_set)) == indicator_set


# --- rules against values -------------------------------------------------------------------


def union_set(default: IndicatorConfig) -> IndicatorSet:
    return the_set(default, UnitKind.TRADE_UNION)


@pytest.mark.parametrize(
    ("values", "broken"),
    [
        ({}, []),
        ({"union_members": Decimal(900)}, []),  # workers unknown yet: nothing to judge
        ({"union_members": Decimal(900), "workers": None}, []),
        ({"union_members": Decimal(900), "workers": Decimal(1000)}, []),
        ({"union_members": Decimal(1000), "workers": Decimal(1000)}, []),
        ({"union_members": Decimal(1500), "workers": Decimal(1000)}, ["members_within_workers"]),
        (
            {"new_union_members": Decimal(20), "union_members": Decimal(10)},
            ["new_members_within_members"],
        ),
        (
            {
                "workers": Decimal(10),
                "union_members": Decimal(15),
                "new_union_members": Decimal(20),
                "members_introduced_to_party": Decimal(1),
            },
            ["members_within_workers", "new_members_within_members"],
        ),
    ],
)
def test_violated_rules_with_partial_values(
    default: IndicatorConfig, values: dict[str, Decimal | None], broken: list[str]
) -> None:
    assert [v.rule.code for v in violated_rules(union_set(default), values)] == broken


def test_a_violation_speaks_both_languages_with_local_numbers(default: IndicatorConfig) -> None:
    values = {"union_members": Decimal(1500), "workers": Decimal(1200)}
    (violation,) = violated_rules(union_set(default), values)
    assert violation.codes == ("union_members", "workers")
    assert violation.message("vi") == (
        "Số đoàn viên (1.500) không được lớn hơn tổng số lao động (1.200)."
    )
    assert (
        violation.message("en")
        == "Union members (1,500) cannot be more than total workers (1,200)."
    )


@pytest.mark.parametrize(
    ("check", "left", "right", "holds"),
    [
        ("a <= b", 1, 1, True),
        ("a < b", 1, 1, False),
        ("a >= b", 2, 1, True),
        ("a > b", 1, 1, False),
        ("a == b", 3, 3, True),
        ("a == b", 3, 4, False),
        ("a<=b", 2, 1, False),
    ],
)
def test_every_operator(check: str, left: int, right: int, holds: bool) -> None:
    indicator_set = IndicatorSet.model_validate(
        {
            "unit_kind": "zone_union",
            "label": {"vi": "Khu", "en": "Zone"},
            "indicators": [
                {"code": code, "label": {"vi": code, "en": code}, "kind": "flow"}
                for code in ("a", "b")
            ],
            "rules": [{"code": "r", "check": check, "message": {"vi": "x", "en": "x"}}],
        }
    )
    values = {"a": Decimal(left), "b": Decimal(right)}
    assert (violated_rules(indicator_set, values) == []) is holds


def test_a_rule_against_a_number(tmp_path: Path) -> None:
    indicator_set = write(tmp_path, rule("new_members <= 100", vi="Quá nhiều: {new_members}"))
    assert violated_rules(indicator_set, {"new_members": Decimal(100)}) == []
    (violation,) = violated_rules(indicator_set, {"new_members": Decimal(1500)})
    assert violation.message("vi") == "Quá nhiều: 1.500"


def test_rules_touching(default: IndicatorConfig) -> None:
    codes = {r.code for r in rules_touching(union_set(default), "union_members")}
    assert codes == {
        "members_within_workers",
        "new_members_within_members",
        "introduced_within_members",
    }
    assert [r.code for r in rules_touching(union_set(default), "workers")] == [
        "members_within_workers"
    ]
    assert rules_touching(union_set(default), "labour_disputes") == []


# --- "are you sure?" on big jumps -----------------------------------------------------------


def indicator(kind: str, jump: float | None = None) -> Indicator:
    data: dict[str, object] = {"code": "x", "label": {"vi": "x", "en": "x"}, "kind": kind}
    if jump is not None:
        data["jump_threshold"] = jump
    return Indicator.model_validate(data)


@pytest.mark.parametrize(
    ("kind", "jump", "new", "last", "exceeded"),
    [
        ("stock", None, 1340, 1000, False),  # exactly 34 %: not more than a third
        ("stock", None, 1341, 1000, True),  # the set's default applies to a stock
        ("stock", None, 659, 1000, True),  # a drop counts as much as a rise
        ("stock", None, 660, 1000, False),
        ("stock", 0.1, 1150, 1000, True),  # the indicator's own threshold wins
        ("stock", 0.5, 1400, 1000, False),
        ("flow", None, 5000, 10, False),  # a flow swings by nature: no default check
        ("flow", 1.0, 25, 10, True),  # unless the file asks for one
        ("flow", 1.0, 20, 10, False),
        ("percent", None, 90, 10, False),
        ("stock", None, 500, 0, False),  # last month zero: nothing to be a fraction of
        ("stock", None, 500, None, False),  # no last month
        ("yes_no", None, 1, 0, False),
        ("yes_no", None, 0, 1, False),
    ],
)
def test_jump_exceeded(
    kind: str, jump: float | None, new: int, last: int | None, exceeded: bool
) -> None:
    last_value = None if last is None else Decimal(last)
    assert jump_exceeded(indicator(kind, jump), 0.34, Decimal(new), last_value) is exceeded
