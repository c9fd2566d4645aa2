"""What the HTTP layer knows of each operation, read from `_operations.json`.

That table is derived from openapi.yaml by `make generate` (see
`library/derive_operations.py`), so adding an operation to the spec and regenerating is
all the HTTP layer needs: no operation is spelled out in code.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

Shape = Mapping[str, Any]
"""A schema reduced to `type`, `enum`, `required`, `properties`, `items` and
`additionalProperties`: what the generated parser relies on."""


@attrs.frozen
class Operation:
    """One operation of the spec: signed or public, the rate-limit pool it is charged to
    and its weight there, and the shape of its success reply."""

    method: str
    path: str
    signed: bool
    pool: str
    weight: int
    success: Shape = attrs.field(repr=False)


def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


def _load() -> tuple[Operation, ...]:
    text = (importlib.resources.files(__package__) / "_operations.json").read_text("utf-8")
    return tuple(
        Operation(
            entry["method"],
            entry["path"],
            entry["signed"],
            entry["pool"],
            entry["weight"],
            entry["success"],
        )
        for entry in json.loads(text)["operations"]
    )


OPERATIONS: Final = _load()
_EXACT: Final = {(op.method, op.path): op for op in OPERATIONS if "{" not in op.path}
_TEMPLATED: Final = [(op.method, _path_pattern(op.path), op) for op in OPERATIONS if "{" in op.path]


def find_operation(method: str, path: str) -> Operation | None:
    """The operation a request is for (by method and path), or None if the spec has none."""
    found = _EXACT.get((method, path))
    if found is None:
        for op_method, pattern, op in _TEMPLATED:
            if op_method == method and pattern.fullmatch(path):
                return op
    return found


_PYTHON_TYPES: Final[Mapping[str, type | tuple[type, ...]]] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}
_JSON_NAMES: Final = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _has_type(value: object, expected: str | Sequence[str]) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    for name in names:
        python_type = _PYTHON_TYPES.get(name)
        if python_type is None:
            return True  # a type this checker does not know: leave it to the parser
        # JSON true/false are not numbers, though Python's bool is an int.
        if isinstance(value, python_type) and not (isinstance(value, bool) and name != "boolean"):
            return True
    return False


def shape_problem(shape: Shape, value: object) -> str | None:
    """What makes `value` not of `shape`, or None. Names the first offending member."""
    found = _problem(shape, value)
    if found is None:
        return None
    path, what = found
    return f"`{''.join(['reply', *reversed(path)])}` {what}"


# A problem: the path to the member (innermost first, built only on the way out of a
# failure, so that a good map of a thousand symbols costs no string work) and what is wrong.
_Problem = tuple[list[str], str]


def _problem(shape: Shape, value: object) -> _Problem | None:
    expected = shape.get("type")
    if expected is not None and not _has_type(value, expected):
        name = expected if isinstance(expected, str) else " or ".join(expected)
        return [], f"is {_JSON_NAMES.get(type(value), 'a value')}, not {name}"
    if "enum" in shape and value not in shape["enum"]:
        return [], f"is not one of {', '.join(map(str, shape['enum']))}"
    if isinstance(value, dict):
        return _object_problem(shape, value)
    if isinstance(value, list) and "items" in shape:
        return _members_problem(shape["items"], enumerate(value), "[{}]")
    return None


def _object_problem(shape: Shape, value: dict[str, Any]) -> _Problem | None:
    for name in shape.get("required", ()):
        if name not in value:
            return [f".{name}"], "is missing"
    properties: Mapping[str, Shape] = shape.get("properties", {})
    for name, sub in properties.items():
        if name in value:
            found = _problem(sub, value[name])
            if found is not None:
                found[0].append(f".{name}")
                return found
    extra = shape.get("additionalProperties")
    if extra is None:
        return None
    if not properties:
        # A map of a thousand symbols to mode strings is the usual reply: when every
        # member has the leaf's plain type, one C-level pass says so (measured at 1000
        # symbols: 10 us instead of 40 for one isinstance a member).
        plain = _PLAIN_LEAVES.get(extra["type"]) if extra.keys() == {"type"} else None
        if plain is str and _all_strings(value.values()):
            return None
        if plain is not None and set(map(type, value.values())) <= {plain}:
            return None
        return _members_problem(extra, value.items(), "[{!r}]")
    members = [(k, v) for k, v in value.items() if k not in properties]
    return _members_problem(extra, members, "[{!r}]")


def _all_strings(values: Iterable[object]) -> bool:
    # One C-level join, which refuses any non-string (measured at 1000 symbols: 7 us
    # instead of 15 for the type() of each value).
    try:
        "".join(values)  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


# Leaf types whose Python check is a plain isinstance (no bool-is-an-int exception).
_PLAIN_LEAVES: Final[Mapping[str, type]] = {"string": str, "object": dict, "array": list}


def _members_problem(
    shape: Shape, members: Iterable[tuple[object, object]], label: str
) -> _Problem | None:
    # A map of a thousand symbols to mode strings is the usual reply: its members are
    # checked with one isinstance each (measured: 1.1 ms -> 0.1 ms per 1000-symbol reply).
    plain = _PLAIN_LEAVES.get(shape["type"]) if shape.keys() == {"type"} else None
    for key, member in members:
        if plain is not None and isinstance(member, plain):
            continue
        found = _problem(shape, member)
        if found is not None:
            found[0].append(label.format(key)[:50])
            return found
    return None
