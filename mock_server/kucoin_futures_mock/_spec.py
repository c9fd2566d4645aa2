"""The OpenAPI description the mock serves, and the request validators compiled from it.

The spec is read from package data, so the mock validates against the same document from
a source checkout and from an installed wheel. Everything here runs once, at app creation.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl

import yaml
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_RESOURCE: Final = "openapi.yaml"
BATCH_PATH: Final = "/api/v2/position/batchChangeMarginMode"
SWITCH_PATH: Final = "/api/v2/position/changeMarginMode"
READ_PATH: Final = "/api/v2/position/getMarginMode"
LEVERAGE_READ_PATH: Final = "/api/v2/getCrossUserLeverage"
LEVERAGE_CHANGE_PATH: Final = "/api/v2/changeCrossUserLeverage"
TIMESTAMP_PATH: Final = "/api/v1/timestamp"

# The URI the spec is registered under, so the operation's relative `$ref`s resolve in it.
_SPEC_URI: Final = "urn:kucoin-futures-mock:openapi"
_MAX_MESSAGE_CHARS: Final = 200


def load_spec() -> dict[str, Any]:
    """The packaged `openapi.yaml`, parsed."""
    text = (importlib.resources.files(__package__) / SPEC_RESOURCE).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader, the C one when built
    if not isinstance(spec, dict) or "paths" not in spec:
        raise RuntimeError(f"packaged {SPEC_RESOURCE} is not an OpenAPI document")
    return spec


def _json_pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _identity_key(value: Any) -> Hashable:
    # A hashable stand-in with JSON Schema's equality: 1 == 1.0, but true != 1.
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, str | int | float) or value is None:
        return value
    if isinstance(value, list):
        return ("array", tuple(_identity_key(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((k, _identity_key(v)) for k, v in value.items()))
    return ("other", id(value))


def _linear_unique_items(
    validator: Validator, unique: bool, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    # jsonschema's own check falls back to comparing every pair when items are not mutually
    # sortable (e.g. strings mixed with numbers): quadratic, so one hostile body could stall
    # the server. Same semantics, linear time.
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Hashable] = set()
    for item in instance:
        key = _identity_key(item)
        if key in seen:
            yield ValidationError("has non-unique elements")
            return
        seen.add(key)


# ECMA-262's \s (JSON Schema's regex dialect): Python's also takes U+001C-U+001F and U+0085,
# and leaves out U+FEFF. A symbol such as "\x1e" is not blank by the spec.
_ECMA_SPACE: Final = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ECMA_CLASSES: Final = {
    "s": f"[{_ECMA_SPACE}]",
    "S": f"[^{_ECMA_SPACE}]",
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
}


@functools.lru_cache(maxsize=64)
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    r"""`pattern` (ECMA-262, as JSON Schema means it) compiled with the same meaning in Python.

    Translates the classes whose meaning differs (`\s \S \d \D \w \W`, outside
    brackets) and `$` (Python's also matches before a final newline). The spec's patterns
    use nothing else that differs; a class escape inside brackets is refused rather than
    guessed.
    """
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped in _ECMA_CLASSES:
                if in_class:
                    raise ValueError(f"pattern {pattern!r}: \\{escaped} inside [...]")
                out.append(_ECMA_CLASSES[escaped])
            else:
                out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
        index += 1
    return re.compile("".join(out))


def _ecma_pattern_keyword(
    validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_MockValidator = validators.extend(
    Draft202012Validator,
    {"uniqueItems": _linear_unique_items, "pattern": _ecma_pattern_keyword},
)


# Keywords whose values are data, not subschemas: a "$ref" key inside them is not a reference.
_DATA_KEYWORDS: Final = frozenset({"const", "default", "enum", "example", "examples"})
# Keywords whose values map names to subschemas: a property may be called "$ref".
_SCHEMA_MAPS: Final = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_MAX_REF_DEPTH: Final = 32


class _Resolver(Protocol):
    """The part of `referencing`'s resolver used here."""

    def lookup(self, ref: str) -> Any: ...


def _inline_refs(schema: Any, resolver: _Resolver, depth: int = 0) -> Any:
    # Following a `$ref` costs a registry lookup on every validation; the spec's references
    # are acyclic, so they are followed once here instead (same schema, same verdicts).
    if depth > _MAX_REF_DEPTH:
        raise RuntimeError("openapi.yaml: $ref chain too deep (cyclic?)")
    if isinstance(schema, list):
        return [_inline_refs(item, resolver, depth) for item in schema]
    if not isinstance(schema, dict):
        return schema
    inlined: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref":
            continue
        if key in _DATA_KEYWORDS:
            inlined[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            inlined[key] = {name: _inline_refs(sub, resolver, depth) for name, sub in value.items()}
        else:
            inlined[key] = _inline_refs(value, resolver, depth)
    if "$ref" not in schema:
        return inlined
    target = resolver.lookup(schema["$ref"])
    resolved = _inline_refs(target.contents, target.resolver, depth + 1)
    if not inlined:
        return resolved
    inlined["allOf"] = [*inlined.get("allOf", []), resolved]
    return inlined


def _validator_at(spec: dict[str, Any], pointer: str) -> Validator:
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
    schema = _inline_refs({"$ref": f"{_SPEC_URI}#{pointer}"}, registry.resolver())
    validator: Validator = _MockValidator(schema, registry=registry)
    return validator


def operation_body_validator(spec: dict[str, Any], path: str, method: str) -> Validator:
    """A compiled Draft 2020-12 validator for the JSON request body of one operation."""
    pointer = _json_pointer(
        "paths", path, method, "requestBody", "content", "application/json", "schema"
    )
    return _validator_at(spec, pointer)


def operation_query_validators(
    spec: dict[str, Any], path: str, method: str
) -> dict[str, tuple[Validator, bool]]:
    """Query parameter name -> (validator of its value, whether it is required)."""
    parameters = spec["paths"][path][method].get("parameters", [])
    validators: dict[str, tuple[Validator, bool]] = {}
    for index, parameter in enumerate(parameters):
        if "$ref" in parameter or parameter.get("in") != "query":
            continue  # the spec's parameters are inline; only query ones are checked here
        pointer = _json_pointer("paths", path, method, "parameters", str(index), "schema")
        validators[parameter["name"]] = (
            _validator_at(spec, pointer),
            bool(parameter.get("required", False)),
        )
    return validators


def _location(error: ValidationError, root: str = "body") -> str:
    location = "" if root == "body" else root
    for part in error.absolute_path:
        location += f"[{part}]" if isinstance(part, int) else f"{'.' if location else ''}{part}"
    return location or root


def _type_name(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    articles = {"object": "an object", "array": "an array", "integer": "an integer"}
    return " or ".join(articles.get(str(name), f"a {name}") for name in names)


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 1] + "…"


def _describe(error: ValidationError) -> str:
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "type":
        return f"must be {_type_name(expected)}"
    if keyword == "enum":
        return "must be one of " + ", ".join(str(value) for value in expected)
    if keyword == "const":
        return f"must be {json.dumps(expected)}"
    if keyword == "required" and isinstance(instance, dict):
        missing = [name for name in expected if name not in instance]
        return "missing required field " + ", ".join(repr(name) for name in missing)
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        unknown = sorted(repr(name) for name in instance if name not in known)
        return "unknown field " + ", ".join(unknown)
    if keyword == "minItems":
        return "must not be empty" if expected == 1 else f"must have at least {expected} items"
    if keyword == "maxItems":
        return f"must have at most {expected} items"
    if keyword == "uniqueItems":
        return "must not contain duplicates"
    if keyword == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} characters"
    if keyword == "pattern":
        return "must not be blank" if expected == r"\S" else f"must match {expected}"
    return str(error.message)


def describe_violation(error: ValidationError, root: str = "body") -> str:
    """A short, KuCoin-style message naming where the request breaks the schema and how.

    `root` names the validated value: "body", or a query parameter's name.
    """
    return _clip(f"{_location(error, root)}: {_describe(error)}")


def first_violation(validator: Validator, document: Any, root: str = "body") -> str | None:
    """The message for the first schema violation in `document`, or None if it is valid.

    Validation stops at the first error: in schema order, size limits (`maxItems`) come
    before the per-item checks, so an oversized array costs no per-item work.
    """
    error = next(iter(validator.iter_errors(document)), None)
    return None if error is None else describe_violation(error, root)


class BodyChecker:
    """Parses and validates request bodies; remembers the verdict for recent small bodies.

    Both steps are pure functions of the bytes, and clients (load tests above all) send
    the same body again and again: a bounded memo keeps the hot path at a dict lookup.
    """

    _MEMO_ENTRIES: Final = 1024
    _MEMO_MAX_BODY: Final = 4096

    def __init__(self, validator: Validator) -> None:
        self._validator = validator
        self._memo: dict[bytes, tuple[Any, str | None]] = {}

    def check(self, body: bytes) -> tuple[Any, str | None]:
        """(document, None) for a valid body, (None, message) otherwise."""
        verdict = self._memo.get(body)
        if verdict is None:
            verdict = self._check(body)
            if len(body) <= self._MEMO_MAX_BODY:
                if len(self._memo) >= self._MEMO_ENTRIES:
                    self._memo.clear()
                self._memo[body] = verdict
        return verdict

    def _check(self, body: bytes) -> tuple[Any, str | None]:
        try:
            # Strict UTF-8 (json.loads on bytes would also take UTF-16/32 and a BOM), and
            # no repeated keys (which one would win is anybody's guess).
            document = json.loads(
                body.decode("utf-8"),
                parse_constant=_reject_json_constant,
                object_pairs_hook=_reject_duplicate_keys,
            )
        except (ValueError, RecursionError):
            return None, "body: not valid JSON (UTF-8, no repeated keys)"
        try:
            violation = first_violation(self._validator, document)
        except RecursionError:
            violation = "body: nested too deeply"
        return (document, None) if violation is None else (None, violation)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("repeated key")
    return document


def _reject_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class QueryChecker:
    """Parses a raw query string and validates the parameters one operation declares.

    Parameters the operation does not declare are ignored (openapi.yaml does not forbid
    them, and KuCoin ignores them); a declared one given twice is a violation.
    """

    def __init__(self, parameters: Mapping[str, tuple[Validator, bool]]) -> None:
        self._parameters = dict(parameters)

    def check(self, raw_query: bytes) -> tuple[dict[str, str], str | None]:
        """(declared parameter -> value, None) for a valid query, ({}, message) otherwise."""
        try:
            pairs = parse_qsl(
                raw_query.decode("utf-8"),
                keep_blank_values=True,
                encoding="utf-8",
                errors="strict",
                max_num_fields=_MAX_QUERY_FIELDS,
            )
        except ValueError:  # UnicodeDecodeError included
            return {}, "query: not valid (UTF-8, at most 100 parameters)"
        values: dict[str, str] = {}
        for name, value in pairs:
            if name not in self._parameters:
                continue
            if name in values:
                return {}, _clip(f"{name}: must be given once")
            values[name] = value
        for name, (validator, required) in self._parameters.items():
            if name not in values:
                if required:
                    return {}, f"query: missing required parameter {name!r}"
                continue
            violation = first_violation(validator, values[name], root=name)
            if violation is not None:
                return {}, violation
        return values, None


_MAX_QUERY_FIELDS: Final = 100
