"""One operation as the upstream check compares it: a flat map of fields and its rate-limit facts.

Both sides are brought to the same shape. Our `openapi.yaml` (OpenAPI 3.1, named components
behind `$ref`s) and KuCoin's published files (OpenAPI 3.0.1, every schema inline) describe
the same things differently; after this module, a field is a dotted path (`query.symbol`,
`body.marginMode`, `body.symbols[]`, `data.marginMode.*` for a map's values, `data.errors[]`
for an array's items) with its type, enum values, required-ness and validation keywords.

Our side also carries the reviewed deliberate differences: `x-upstream-deliberate` on a
schema, a parameter, a response or an operation maps an aspect (`type`, `enum`, `required`,
`constraints`, `presence`, `weight`, `pool`, `permission`, `channel`) to
`{reason: ..., upstream: ...}`; `upstream` pins the upstream value the record was reviewed
against (`upstream: {}` for constraints where KuCoin has none), so a later upstream change to
that aspect is reported again. Only `presence` records (a field or reply upstream does not
describe at all) have nothing to pin: once upstream describes it, it is compared as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

DELIBERATE_KEY: Final = "x-upstream-deliberate"
AREA_KEY: Final = "x-upstream-area"
HTTP_METHODS: Final = ("get", "put", "post", "delete", "patch")

# Validation keywords compared as one aspect, `constraints`. Descriptions, examples and
# `format` are documentation, not contract, and are left out.
_CONSTRAINT_KEYS: Final = (
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minProperties",
    "maxProperties",
)
_JSON: Final = "application/json"
_MAX_DEPTH: Final = 16  # KuCoin's replies nest 3 deep; deeper is a `$ref` cycle


class SpecShapeError(ValueError):
    """A document that claims to be OpenAPI but cannot be read as one (names the place)."""


@dataclass(frozen=True)
class Deliberate:
    """A reviewed difference from KuCoin's spec, with the reason from `openapi.yaml`."""

    reason: str
    pinned: str | None  # the upstream value (as `show`n) reviewed against; None: presence


@dataclass(frozen=True)
class FieldFacts:
    type: str | None
    enum: tuple[str, ...] | None
    required: bool | None  # None where it does not apply (array items, map values, roots)
    constraints: tuple[tuple[str, str], ...]
    deliberate: Mapping[str, Deliberate] = field(default_factory=dict)


@dataclass(frozen=True)
class OperationSurface:
    method: str
    path: str
    name: str  # our operationId, or KuCoin's x-sdk-method-name
    area: str | None  # "Futures/Positions"
    fields: Mapping[str, FieldFacts]
    meta: Mapping[str, str | None]  # weight, pool, permission, channel
    statuses: Mapping[str, Mapping[str, Deliberate]]  # documented status -> its records
    deliberate: Mapping[str, Deliberate]  # operation-level records (meta aspects)
    abandoned: bool = False
    stray_extensions: Mapping[str, str] = field(default_factory=dict)
    unread_area_keys: tuple[str, ...] = ()  # KuCoin's area extensions the operation lacks

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"


def show(value: object) -> str:
    """A value as the report prints it: `none`, `[CROSS, ISOLATED]`, `[]`, `true`, `2`."""
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def show_keywords(pairs: tuple[tuple[str, str], ...]) -> str:
    """Validation keywords as the report prints them: `{maxItems: 1000, minItems: 1}`, `{}`."""
    return "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"


def area_name(area: str | None) -> str | None:
    """Areas compare without case or surrounding blanks (KuCoin's generator lower-cases them)."""
    return None if area is None else "/".join(part.strip().lower() for part in area.split("/"))


# --- normalising schema keywords ----------------------------------------------------------


def _scalar(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def type_of(schema: Mapping[str, Any]) -> str | None:
    declared = schema.get("type")
    if declared is None and "properties" in schema:
        declared = "object"
    if declared is None:
        return None
    names = {str(t) for t in declared} if isinstance(declared, list) else {str(declared)}
    if schema.get("nullable") is True:  # OpenAPI 3.0's spelling of 3.1's `type: [x, "null"]`
        names.add("null")
    return "|".join(sorted(names))


def enum_of(schema: Mapping[str, Any]) -> tuple[str, ...] | None:
    values = schema.get("enum")
    if values is None and isinstance(schema.get("x-api-enum"), list):
        values = [item.get("value") for item in schema["x-api-enum"] if isinstance(item, dict)]
    if values is None:
        return None
    if not isinstance(values, list):
        raise SpecShapeError(f"enum is not a list: {values!r}")
    return tuple(sorted(_scalar(v) for v in values))


def constraints_of(schema: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    found = {key: _scalar(schema[key]) for key in _CONSTRAINT_KEYS if key in schema}
    if found.get("uniqueItems") == "false":
        del found["uniqueItems"]  # the default, spelt out
    if schema.get("additionalProperties") is False:
        found["additionalProperties"] = "false"
    return tuple(sorted(found.items()))


def _pinned(aspect: str, value: object) -> str:
    """A record's `upstream:` value, normalised and shown like the aspect it pins."""
    if aspect == "enum":
        return show(enum_of({"enum": value}))
    if aspect == "constraints" and isinstance(value, dict):
        return show_keywords(constraints_of(value))
    if aspect == "type":
        return show(type_of({"type": value}))
    return show(value)


def deliberate_records(node: Mapping[str, Any], where: str) -> dict[str, Deliberate]:
    raw = node.get(DELIBERATE_KEY)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecShapeError(f"{where}: {DELIBERATE_KEY} must map aspects to {{reason: ...}}")
    records: dict[str, Deliberate] = {}
    for aspect, record in raw.items():
        if not isinstance(record, dict) or not str(record.get("reason", "")).strip():
            raise SpecShapeError(f"{where}: {DELIBERATE_KEY}.{aspect} needs a reason")
        if "upstream" in record:
            pinned = _pinned(aspect, record["upstream"])
        elif aspect == "presence":
            pinned = None  # the upstream side of a presence record is "none" by definition
        else:
            raise SpecShapeError(
                f"{where}: {DELIBERATE_KEY}.{aspect} needs the upstream value it was reviewed"
                " against (upstream: ...), so that a later change is reported again"
            )
        records[str(aspect)] = Deliberate(" ".join(str(record["reason"]).split()), pinned)
    return records


# --- walking a document -------------------------------------------------------------------


class Document:
    """A parsed OpenAPI document with local `$ref` resolution."""

    def __init__(self, data: Mapping[str, Any], name: str) -> None:
        self.data = data
        self.name = name

    def chain(self, node: Any, where: str) -> list[Mapping[str, Any]]:
        """`node` and every node its `$ref`s lead to, the referring one first."""
        nodes: list[Mapping[str, Any]] = []
        while True:
            if not isinstance(node, dict):
                raise SpecShapeError(f"{self.name}: {where}: expected an object, got {node!r}")
            nodes.append(node)
            ref = node.get("$ref")
            if ref is None:
                return nodes
            if len(nodes) > _MAX_DEPTH:
                raise SpecShapeError(f"{self.name}: {where}: $ref chain too long (a cycle?)")
            node = self._target(ref, where)

    def _target(self, ref: object, where: str) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SpecShapeError(f"{self.name}: {where}: only local $refs are read, not {ref!r}")
        target: Any = self.data
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise SpecShapeError(f"{self.name}: {where}: $ref {ref} leads nowhere")
            target = target[part]
        return target

    def merged(self, node: Any, where: str) -> tuple[dict[str, Any], dict[str, Deliberate]]:
        """The effective schema (keywords beside a `$ref` win) and the records along the way."""
        effective: dict[str, Any] = {}
        records: dict[str, Deliberate] = {}
        for hop in reversed(self.chain(node, where)):
            effective.update({k: v for k, v in hop.items() if k != "$ref"})
        for hop in self.chain(node, where):  # the record closest to the field wins
            for aspect, record in deliberate_records(hop, where).items():
                records.setdefault(aspect, record)
        return effective, records

    def operations(self) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        paths = self.data.get("paths")
        if not isinstance(paths, dict):
            raise SpecShapeError(f"{self.name}: no 'paths' object")
        for path, item in paths.items():
            if not isinstance(item, dict):
                raise SpecShapeError(f"{self.name}: paths.{path} is not an object")
            for method in HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    yield method, str(path), item[method]


def walk_schema(
    doc: Document,
    node: Any,
    path: str,
    required: bool | None,
    fields: dict[str, FieldFacts],
    extra_records: Mapping[str, Deliberate] | None = None,
    depth: int = 0,
) -> None:
    """Add `path` and everything below it (properties, map values, array items) to `fields`."""
    if depth > _MAX_DEPTH:
        raise SpecShapeError(f"{doc.name}: {path}: nested deeper than {_MAX_DEPTH} levels")
    schema, records = doc.merged(node, path)
    fields[path] = FieldFacts(
        type=type_of(schema),
        enum=enum_of(schema),
        required=required,
        constraints=constraints_of(schema),
        deliberate={**records, **(extra_records or {})},
    )
    properties = schema.get("properties", {})
    if isinstance(properties, dict):
        listed = schema.get("required", [])
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            raise SpecShapeError(f"{doc.name}: {path}: required is not a list of names")
        names = set(listed)
        for name, sub in properties.items():
            walk_schema(doc, sub, f"{path}.{name}", name in names, fields, None, depth + 1)
    if isinstance(schema.get("additionalProperties"), dict):
        walk_schema(doc, schema["additionalProperties"], f"{path}.*", None, fields, None, depth + 1)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        walk_schema(doc, schema["items"], f"{path}[]", None, fields, None, depth + 1)


def json_schema_of(doc: Document, holder: Any, where: str) -> Any | None:
    """The JSON body schema of a request body or a response, if it has one."""
    body, _ = doc.merged(holder, where)
    content = body.get("content", {})
    if not isinstance(content, dict):
        return None
    # `application/json; charset=utf-8` is JSON too; other media types are not compared.
    json_media = [m for t, m in content.items() if str(t).split(";")[0].strip() == _JSON]
    media = json_media[0] if json_media else None
    return media.get("schema") if isinstance(media, dict) else None


def success_data(doc: Document, schema: Any, where: str) -> tuple[Any, bool] | None:
    """The `data` property of a success reply (our `oneOf` picks the branch that has one)."""
    merged, _ = doc.merged(schema, where)
    branches = merged.get("oneOf") or merged.get("anyOf") or [merged]
    for branch in branches:
        resolved, _ = doc.merged(branch, where)
        properties = resolved.get("properties", {})
        if isinstance(properties, dict) and "data" in properties:
            required = resolved.get("required", [])
            return properties["data"], isinstance(required, list) and "data" in required
    return None


def request_and_reply_fields(
    doc: Document, op: Mapping[str, Any], where: str
) -> dict[str, FieldFacts]:
    fields: dict[str, FieldFacts] = {}
    parameters, responses = op.get("parameters", []), op.get("responses", {})
    if not isinstance(parameters, list) or not isinstance(responses, dict):
        raise SpecShapeError(f"{doc.name}: {where}: parameters or responses of the wrong type")
    for index, raw in enumerate(parameters):
        param, param_records = doc.merged(raw, f"{where} parameters[{index}]")
        name, location = param.get("name"), param.get("in")
        if not isinstance(name, str) or not isinstance(location, str):
            raise SpecShapeError(f"{doc.name}: {where}: parameter {index} lacks name or in")
        required = bool(param.get("required")) or location == "path"
        schema = param.get("schema", {})
        walk_schema(doc, schema, f"{location}.{name}", required, fields, param_records)
    if "requestBody" in op:
        schema = json_schema_of(doc, op["requestBody"], f"{where} requestBody")
        if schema is not None:
            walk_schema(doc, schema, "body", None, fields)
    ok = responses.get("200")
    if ok is not None:
        schema = json_schema_of(doc, ok, f"{where} 200")
        data = success_data(doc, schema, f"{where} 200") if schema is not None else None
        if data is not None:
            walk_schema(doc, data[0], "data", data[1], fields)
    return fields


def statuses_of(
    doc: Document, op: Mapping[str, Any], where: str
) -> dict[str, dict[str, Deliberate]]:
    responses = op.get("responses", {})
    if not isinstance(responses, dict):
        raise SpecShapeError(f"{doc.name}: {where}: responses is not an object")
    return {
        str(status): doc.merged(response, f"{where} {status}")[1]
        for status, response in responses.items()
    }


def _text(value: object) -> str | None:
    return None if value is None else _scalar(value)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def ours(doc: Document) -> list[OperationSurface]:
    """Our operations, from `openapi.yaml`."""
    surfaces = []
    default_security = doc.data.get("security", [])
    for method, path, op in doc.operations():
        where = f"{method.upper()} {path}"
        limit = op.get("x-rate-limit", {})
        if not isinstance(limit, dict):
            raise SpecShapeError(f"{doc.name}: {where}: x-rate-limit is not an object")
        private = op.get("security", default_security) != []
        surfaces.append(
            OperationSurface(
                method=method,
                path=path,
                name=str(op.get("operationId", where)),
                area=_text(op.get(AREA_KEY)),
                fields=request_and_reply_fields(doc, op, where),
                meta={
                    "weight": _text(limit.get("weight")),
                    "pool": _text(limit.get("pool")),
                    "permission": _text(op.get("x-api-permission")),
                    "channel": "Private" if private else "Public",
                },
                statuses=statuses_of(doc, op, where),
                deliberate=deliberate_records(op, where),
            )
        )
    return surfaces


_KUCOIN_LIMIT_KEYS: Final = {"x-api-rate-limit-weight", "x-api-rate-limit-pool"}
_KUCOIN_AREA_KEYS: Final = ("x-sdk-service", "x-sdk-sub-service")


def upstream(doc: Document) -> list[OperationSurface]:
    """KuCoin's operations, from one of its published files."""
    surfaces = []
    for method, path, op in doc.operations():
        where = f"{method.upper()} {path}"
        service, sub_service = op.get("x-sdk-service"), op.get("x-sdk-sub-service")
        unread = tuple(key for key in _KUCOIN_AREA_KEYS if not _is_text(op.get(key)))
        abandon = op.get("x-abandon")
        surfaces.append(
            OperationSurface(
                method=method,
                path=path,
                name=str(op.get("x-sdk-method-name") or op.get("operationId") or where),
                area=None if unread else f"{service}/{sub_service}",
                fields=request_and_reply_fields(doc, op, where),
                meta={
                    "weight": _text(op.get("x-api-rate-limit-weight")),
                    "pool": _text(op.get("x-api-rate-limit-pool")),
                    "permission": _text(op.get("x-api-permission")),
                    "channel": _text(op.get("x-api-channel")),
                },
                statuses=statuses_of(doc, op, where),  # KuCoin's files hold no records
                deliberate={},
                abandoned=abandon is True
                or str(abandon).lower() in {"true", "abandon", "abandoned"},
                stray_extensions={
                    key: _scalar(value)
                    for key, value in op.items()
                    if key.startswith("x-api-rate-limit") and key not in _KUCOIN_LIMIT_KEYS
                },
                unread_area_keys=unread,
            )
        )
    return surfaces
