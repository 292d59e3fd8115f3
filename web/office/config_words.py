"""A refused configuration edit in the reader's language.

The file checks (services/indicators.py, services/targets.py, services/config_files.py) word
their problems in English for the operator's console, with the item and the figures inside the
sentence. The office reads Vietnamese: each known sentence is matched here and said again from
a msgid with the same figures; a sentence not known (a new check, a pydantic message not listed)
is shown as written, after a Vietnamese lead, rather than lost.
"""

from __future__ import annotations

import re

from infra.i18n import tr
from services.errors import N_

_Q = r"['\"]?(?P<{}>[^'\"]*?)['\"]?"


def _q(name: str) -> str:
    return _Q.format(name)


# (pattern over the whole problem, msgid with the pattern's groups); the first match wins.
PROBLEMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), m)
    for p, m in [
        (r"is missing", N_("is missing")),
        (r"is not a known field \(a typo\?\)", N_("is not a known field (a typo?)")),
        (r"is empty", N_("is empty")),
        (r"is empty: write all or a node code", N_("is empty: write all or a node code")),
        (r"the file is empty", N_("the text is empty")),
        (r"the text is too long", N_("the text is too long")),
        (
            r"expected fields \(key: value\) at the top level",
            N_("expected fields (key: value) at the top level"),
        ),
        (r"YAML syntax error: (?P<detail>.*)", N_("the YAML cannot be read ({detail})")),
        (
            r"(?P<bound>min|max) \((?P<value>[^)]*)\) must be a whole number written without "
            r"separators \(1000, not 1\.000\)",
            N_(
                "{bound} ({value}) must be a whole number written without separators "
                "(1000, not 1.000)"
            ),
        ),
        (
            r"a yes/no indicator has no bounds: remove min and max",
            N_("a yes/no indicator has no bounds: remove min and max"),
        ),
        (
            r"a yes/no indicator has no jump_threshold",
            N_("a yes/no indicator has no jump_threshold"),
        ),
        (
            r"(?P<bound>min|max) \((?P<value>[^)]*)\) is below zero: figures are never negative",
            N_("{bound} ({value}) is below zero: figures are never negative"),
        ),
        (
            r"(?P<bound>min|max) \((?P<value>[^)]*)\) is above 100, but this is a percentage",
            N_("{bound} ({value}) is above 100, but this is a percentage"),
        ),
        (
            r"(?P<bound>min|max) \((?P<value>[^)]*)\) is not a whole number, but this is a count",
            N_("{bound} ({value}) is not a whole number, but this is a count"),
        ),
        (
            r"max \((?P<max>[^)]*)\) is below min \((?P<min>[^)]*)\)",
            N_("max ({max}) is below min ({min})"),
        ),
        (
            _q("value") + r" must be 1-40 lower-case latin letters, digits or _, starting with a "
            r"letter",
            N_(
                "“{value}” must be 1–40 lower-case latin letters, digits or _, starting with "
                "a letter"
            ),
        ),
        (
            r'cannot read "(?P<check>.*)": write .*',
            N_(
                "cannot read “{check}”: write <indicator or number> <operator> <indicator or "
                "number>, the operator one of <=, <, >=, >, =="
            ),
        ),
        (
            r'check "(?P<check>.*)" compares two numbers: name an indicator',
            N_("the check “{check}” compares two numbers: name an indicator"),
        ),
        (
            r'check "(?P<check>.*)" names ' + _q("code") + r", which is not an indicator of "
            r"this set",
            N_("the check “{check}” names “{code}”, which is not an indicator of this set"),
        ),
        (
            r'check "(?P<check>.*)" compares ' + _q("code") + r", a yes/no indicator",
            N_("the check “{check}” compares “{code}”, a yes/no indicator"),
        ),
        (
            r"code " + _q("code") + r" is used twice(?: \(also (?P<other>.*)\))?",
            N_("the code “{code}” is used twice"),
        ),
        (
            r"unit_kind (?P<kind>\w+) already has a set \((?P<other>.*)\)",
            N_("the unit kind {kind} already has a set ({other})"),
        ),
        (
            r"message\.(?P<lang>\w+): \{(?P<name>\w+)\} is not an indicator of the check "
            r'"(?P<check>.*)"',
            N_("message.{lang}: {{{name}}} is not an indicator of the check “{check}”"),
        ),
        (
            _q("value") + r" is not a year \(2026\) or a range \(2026-2030\)",
            N_("“{value}” is not a year (2026) or a range (2026-2030)"),
        ),
        (
            r"(?P<first>\d+)-(?P<last>\d+): years must be between 2000 and 2100",
            N_("{first}-{last}: years must be between 2000 and 2100"),
        ),
        (
            r"(?P<first>\d+)-(?P<last>\d+): the range ends before it starts",
            N_("{first}-{last}: the range ends before it starts"),
        ),
        (
            r"target \((?P<value>[^)]*)\) is a percentage: at most 100",
            N_("target ({value}) is a percentage: at most 100"),
        ),
        (
            r"target \((?P<value>[^)]*)\) must be a whole number written without separators .*",
            N_(
                "target ({value}) must be a whole number written without separators "
                "(1500, not 1.500)"
            ),
        ),
        (
            r"years overlap those of (?P<other>targets\[\d+\]) with the same code and scope: .*",
            N_(
                "the years overlap those of {other} with the same code and scope: which one "
                "applies would be ambiguous"
            ),
        ),
        (r"(?P<kind>\w+) has no indicator set", N_("{kind} has no indicator set")),
        (
            _q("code") + r" is not an indicator of (?P<kind>\w+)",
            N_("“{code}” is not an indicator of {kind}"),
        ),
        (
            _q("code") + r" is a (?P<has>\w+) indicator, but a (?P<measure>\w+) target needs a "
            r"(?P<needs>\w+) one",
            N_("“{code}” is a {has} indicator, but a {measure} target needs a {needs} one"),
        ),
        (
            r"Input should be greater than (?P<limit>\S+)(?: \(got (?P<got>.*)\))?",
            N_("must be greater than {limit}"),
        ),
        (
            r"Input should be (?P<choices>(?:'[^']*'(?:, | or )?)+)(?: \(got (?P<got>.*)\))?",
            N_("must be one of {choices}"),
        ),
        (
            r"Input should be a valid (?:number|decimal|integer)[^(]*(?: \(got (?P<got>.*)\))?",
            N_("is not a number"),
        ),
        (r"Input should be a valid boolean.*", N_("must be true or false")),
        (r"Input should be a valid list.*", N_("must be a list (lines starting with “- ”)")),
        (r"Input should be a valid (?:dictionary|string).*", N_("has the wrong shape")),
        (r"List should have at least 1 item.*", N_("must have at least one item")),
        (
            r"Input tag (?P<got>.*) found using 'kind' does not match any of the expected tags: "
            r"(?P<choices>.*)",
            N_("kind {got} is not one of {choices}"),
        ),
    ]
]
_FIELD = re.compile(r"(?P<field>[a-z_][a-z0-9_.]*): (?P<rest>.+)")
_ITEMS = re.compile(r"(?P<list>sets|indicators|rules|targets)\[(?P<index>\d+)\]")
_LISTS = {
    "sets": N_("set no. {number}"),
    "indicators": N_("indicator no. {number}"),
    "rules": N_("rule no. {number}"),
    "targets": N_("target no. {number}"),
}
_DUP_KEY = re.compile(r"the key (?P<key>.*) appears twice")


def problem_words(lang: str, problem: str) -> str:
    """One English problem ("max: max (5) is below min (10)") in ``lang``."""
    for pattern, msgid in PROBLEMS:
        found = pattern.fullmatch(problem)
        if found:
            return tr(lang, msgid, **{k: v or "" for k, v in found.groupdict().items()})
    duplicate = _DUP_KEY.search(problem)
    if duplicate:
        return tr(lang, "the key {key} appears twice", key=duplicate["key"])
    field = _FIELD.fullmatch(problem)
    if field and field["field"] != problem:
        return f"{field['field']}: {problem_words(lang, field['rest'])}"
    return tr(lang, "as the check words it: {problem}", problem=problem)


def where_words(lang: str, where: str) -> str:
    """ "sets[0] (trade_union) → indicators[3] (new_members)" in ``lang``, numbered from 1."""

    def item(found: re.Match[str]) -> str:
        name = _LISTS[found.group("list")]
        return tr(lang, name, number=int(found.group("index")) + 1)

    text = _ITEMS.sub(item, where)
    text = re.sub(
        r"at line (\d+), column (\d+)",
        lambda m: tr(lang, "line {line}, column {column}", line=m[1], column=m[2]),
        text,
    )
    return text


def refusal_words(lang: str, where: str, problem: str) -> str:
    if where:
        return tr(
            lang,
            "Not saved. {where}: {problem}",
            where=where_words(lang, where),
            problem=problem_words(lang, problem),
        )
    return tr(lang, "Not saved: {problem}", problem=problem_words(lang, problem))
