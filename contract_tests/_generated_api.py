"""The public API a spec generates, as openapi-python-client itself sees it.

The generator's own parser (the pinned version `make generate` runs, with the project's
generator config) turns a spec into the models, enums and operations it will write, with
their Python names and type annotations. Asking it, rather than re-deriving its naming and
typing rules, keeps this in step with what `make generate` really produces; this module is
the only place that touches the parser's internals, and a test compares its answer for
today's spec with the package in `generated/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser.errors import GeneratorError
from openapi_python_client.parser.openapi import GeneratorData
from openapi_python_client.parser.properties import ModelProperty

GENERATOR_CONFIG: Final = Path(__file__).resolve().parents[1] / "openapi-python-client.yaml"
ADDITIONAL: Final = "additional_properties"  # the attrs field every open model has


class GenerationError(ValueError):
    """The generator cannot build a client from this spec (names the problem)."""


@dataclass(frozen=True)
class Member:
    """A model field, or an operation's argument: its annotation and whether it is required."""

    type: str
    required: bool

    def show(self) -> str:
        return self.type if self.required else f"{self.type} (optional)"


@dataclass(frozen=True)
class Operation:
    arguments: dict[str, Member]  # keyword-only arguments besides `client`
    returns: str  # what `sync()` returns, besides None

    def show(self) -> str:
        arguments = ", ".join(f"{name}: {m.type}" for name, m in self.arguments.items())
        return f"({arguments}) -> {self.returns}"


@dataclass(frozen=True)
class PublicApi:
    models: dict[str, dict[str, Member]]  # `kucoin_futures_client.models.<Name>` -> fields
    enums: dict[str, dict[str, str]]  # enum class -> member name -> value
    operations: dict[str, Operation]  # `api.<tag>.<module>` -> its signature


def _config(document: Path) -> Config:
    return Config.from_sources(
        ConfigFile.load_from_path(GENERATOR_CONFIG), MetaType.NONE, document, "utf-8", True, None
    )


def _code(value: Any) -> str:
    return str(value.as_unembedded_code())


def _model_fields(model: ModelProperty) -> dict[str, Member]:
    fields = {
        str(prop.python_name): Member(_code(prop.get_type_string()), bool(prop.required))
        for prop in [*(model.required_properties or []), *(model.optional_properties or [])]
    }
    extra = model.additional_properties
    if extra is not None and not isinstance(extra, bool):
        fields[ADDITIONAL] = Member(f"dict[str, {_code(extra.get_type_string())}]", False)
    return fields


def _enum_members(values: dict[str, str | int] | set[str | int]) -> dict[str, str]:
    # Enum classes map member names to values; `Literal` enums (not our config) have values only.
    if isinstance(values, dict):
        return {str(name): str(value) for name, value in values.items()}
    return {str(value): str(value) for value in values}


_OBJECT_REPR: Final = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
_PYDANTIC_DETAIL: Final = re.compile(r" *\[type=[^\]]*\]|For further information visit \S+")


def _one_line(text: str) -> str:
    """A generator or pydantic message on one line, without Python object reprs.

    pydantic puts each field on a line and its problem, indented, on the next: they become
    `info: Field required`; the generator prints some values as `<... object at 0x...>`.
    """
    parts: list[str] = []
    for raw in _OBJECT_REPR.sub("?", text).splitlines():
        line = _PYDANTIC_DETAIL.sub("", raw).strip()
        if line and raw[:1].isspace() and parts:
            parts[-1] += f": {line}"
        elif line:
            parts.append(line)
    return "; ".join(parts)


def public_api(spec: dict[str, Any], name: str) -> PublicApi:
    """The generated package's public API for `spec` (a parsed openapi.yaml)."""
    parsed = GeneratorData.from_dict(spec, config=_config(Path(name)))
    if isinstance(parsed, GeneratorError):
        raise GenerationError(_one_line(f"{name}: {parsed.header}: {parsed.detail or ''}"))
    problems = list(parsed.errors) + [
        error
        for collection in parsed.endpoint_collections_by_tag.values()
        for error in collection.parse_errors
    ]
    if problems:
        first = problems[0]
        warning = f"{name}: the generator would warn: {first.header} {first.detail}"
        raise GenerationError(_one_line(warning))
    operations = {}
    for tag, collection in parsed.endpoint_collections_by_tag.items():
        for endpoint in collection.endpoints:
            arguments = {
                str(prop.python_name): Member(_code(prop.get_type_string()), bool(prop.required))
                for prop in endpoint.list_all_parameters()
            }
            returns = " | ".join(sorted(set(_code(endpoint.response_type()).split(" | "))))
            operations[f"api.{tag}.{endpoint.name}"] = Operation(arguments, returns)
    return PublicApi(
        models={m.class_info.name: _model_fields(m) for m in parsed.models},
        enums={e.class_info.name: _enum_members(e.values) for e in parsed.enums},
        operations=operations,
    )
