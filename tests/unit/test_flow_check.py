"""The plausibility check of flows in indicators.yaml, and the words that confirm a figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.indicators import (
    DEFAULT_INDICATORS_FILE,
    ConfigFileError,
    FlowCheck,
    load_indicator_config,
)
from services.numbers import is_confirmation

SMALL = """\
version: "test"
{flow_check}sets:
  - unit_kind: trade_union
    label: {{vi: "Công đoàn cơ sở", en: "Trade union"}}
    indicators:
      - code: initiatives
        label: {{vi: "Sáng kiến", en: "Initiatives"}}
        kind: flow
"""


def load(tmp_path: Path, flow_check: str) -> FlowCheck:
    path = tmp_path / "indicators.yaml"
    path.write_text(SMALL.format(flow_check=flow_check), encoding="utf-8")
    return load_indicator_config(path).flow_check


def test_the_shipped_file_checks_flows() -> None:
    check = load_indicator_config(DEFAULT_INDICATORS_FILE).flow_check
    assert check == FlowCheck(times_last_month=10, above_workers=True, workers_indicator="workers")


def test_without_the_section_flows_are_checked_by_default(tmp_path: Path) -> None:
    assert load(tmp_path, "") == FlowCheck()
    assert FlowCheck().times_last_month == 10 and FlowCheck().above_workers


def test_each_check_can_be_switched_off(tmp_path: Path) -> None:
    check = load(tmp_path, "flow_check:\n  times_last_month: null\n  above_workers: false\n")
    assert check.times_last_month is None and not check.above_workers


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("flow_check:\n  times_last_month: 1\n", "flow_check.times_last_month"),
        ("flow_check:\n  workers_indicator: Workers!\n", "flow_check.workers_indicator"),
        ("flow_check:\n  times_last: 10\n", "not a known field"),
    ],
)
def test_a_wrong_section_stops_with_one_line(tmp_path: Path, section: str, expected: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load(tmp_path, section)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "typed", ["ĐÚNG", "đúng", "Dung", "đúng rồi", "Đúng vậy", "OK", "ok.", "oke", " ok! "]
)
def test_words_that_keep_a_figure(typed: str) -> None:
    assert is_confirmation(typed)


@pytest.mark.parametrize("typed", ["1", "1.500", "0", "không", "sai", "đúng 1500", ""])
def test_a_number_or_anything_else_is_not_a_confirmation(typed: str) -> None:
    assert not is_confirmation(typed)
