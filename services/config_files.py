"""The versioned YAML files in ``config/``: how one is read, and the strict model it fills.

Every configuration file (indicator sets, calendar, reminders, targets, concern categories) is
read the same way: a key repeated in one mapping is refused, the whole file is validated at
start, and any problem becomes one ``ConfigFileError`` line naming the file, the item (by its
code) and what is wrong. An administrator editing YAML must learn of a mistake when the bot
starts, not a month later from an officer. This module holds that reading and the pydantic base
models the files fill, so that the modules describing each file repeat neither.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

# --- the models -------------------------------------------------------------------------------


class StrictModel(BaseModel):
    """The base of every model read from a configuration file.

    Frozen: one loaded configuration is shared by every conversation. Extra fields forbidden: a
    misspelt "requried: false" must stop the bot, not be ignored.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class TrimmedModel(StrictModel):
    """A ``StrictModel`` whose text fields lose surrounding spaces (labels, codes)."""

    model_config = ConfigDict(str_strip_whitespace=True)


# --- reading YAML files -----------------------------------------------------------------------


class ConfigFileError(Exception):
    """A configuration file is missing or wrong. Not a DomainError: it stops the bot at start,
    and ``str()`` is the one line the operator reads: file, where in it, and what is wrong.
    ``where`` and ``problem`` are those two parts alone (the office console words them in
    Vietnamese); ``where`` is "" when the problem is the whole file's."""

    def __init__(self, line: str, *, where: str = "", problem: str = "") -> None:
        super().__init__(line)
        self.where = where
        self.problem = problem or line


class ConfigProblem(ValueError):
    """A validator's complaint about a place below the model that raised it.

    Cross-field checks run on the parent (the set checks its rules' operands), but the operator
    must be told which rule: ``at`` extends pydantic's location to the offending item.
    """

    def __init__(self, problem: str, at: tuple[str | int, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.at = at


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping.

    Plain PyYAML keeps the last of two ``max:`` lines without a word; an administrator who pasted
    a block twice would silently get a different indicator than the one they read first.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # SafeLoader reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key {key!r} appears twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _item_name(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for key in ("code", "unit_kind"):
            if isinstance(item.get(key), str | int):
                return str(item[key])
    return None


def _describe(error: ErrorDetails, data: Any) -> str:
    """One pydantic error → 'sets[0] (trade_union) → indicators[3] (new_members): problem'."""
    where, problem = _locate(error, data)
    return f"{where}: {problem}" if where else problem


def _locate(error: ErrorDetails, data: Any) -> tuple[str, str]:
    """One pydantic error → ('sets[0] (trade_union) → indicators[3] (new_members)',
    'max: problem'): the item (by its code), then the field and what is wrong with it."""
    location = list(error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ConfigProblem):
        location += cause.at
        problem = cause.problem
    elif error["type"] in ("value_error", "assertion_error"):
        problem = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    elif error["type"] == "missing":
        problem = "is missing"
    elif error["type"] == "extra_forbidden":
        problem = "is not a known field (a typo?)"
    elif error["type"] == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        problem = "is empty"
    else:
        problem = error["msg"]
        value = error.get("input")
        if value is None or isinstance(value, str | int | float | bool | date):
            problem += f" (got {value!r})"

    containers: list[str] = []  # "sets[0] (trade_union)", …: list items, named by their code
    fields: list[str] = []  # the dotted field below the last list item: "label.vi"
    node = data
    for key in location:
        if isinstance(key, int) and (containers or fields):
            name = _item_name(node[key]) if isinstance(node, list) and key < len(node) else None
            containers.append(".".join(fields) + f"[{key}]" + (f" ({name})" if name else ""))
            fields = []
            node = node[key] if isinstance(node, list) and key < len(node) else None
        else:
            fields.append(str(key))
            node = node.get(key) if isinstance(node, Mapping) else None
    if fields:
        problem = f"{'.'.join(fields)}: {problem}"
    return " → ".join(containers), problem


M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Read ``path`` as YAML and validate it as ``model``; any problem → ConfigFileError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_yaml_model(text, model, str(path))


def parse_yaml_model(text: str, model: type[M], source: str) -> M:
    """``text`` read as YAML and validated as ``model`` exactly as a file is (the office
    console's edits); any problem → ConfigFileError naming ``source``."""
    path = source
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "unreadable").split())
        raise ConfigFileError(
            f"{path}: YAML syntax error{where}: {problem}",
            where=where.strip(),
            problem=f"YAML syntax error: {problem}",
        ) from None
    except yaml.YAMLError as exc:
        problem = f"YAML error: {' '.join(str(exc).split())}"
        raise ConfigFileError(f"{path}: {problem}", problem=problem) from None
    if data is None:
        raise ConfigFileError(f"{path}: the file is empty", problem="the file is empty")
    if not isinstance(data, dict):
        problem = "expected fields (key: value) at the top level"
        raise ConfigFileError(f"{path}: {problem}", problem=problem)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # A misspelt key also makes the real one "missing": name the typo, which explains both.
        errors = sorted(exc.errors(), key=lambda error: error["type"] != "extra_forbidden")
        others = len(errors) - 1
        more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
        where, problem = _locate(errors[0], data)
        line = " ".join(f"{where}: {problem}".split() if where else problem.split())
        raise ConfigFileError(
            f"{path}: {line}{more}", where=where, problem=" ".join(problem.split())
        ) from None
