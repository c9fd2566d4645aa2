"""The public API a spec generates, read from the code the generator really writes.

Public routes only: the generator is run through its command line (the same invocation
as `make generate`, with the project's generator config), and the package it writes is read
with griffe's public API (`griffe.load`), which reads Python source without importing it.
From that: models and their fields (annotation; required when the attrs field has no
default), enums and their members, operations (`api.<tag>.<module>`: the keyword
arguments of `sync()` besides `client`, and what it returns). `griffe.find_breaking_changes`
(what `griffe check` runs) adds its own findings of removals and signature changes.

Each spec is generated once per process (cached by its text), in a temporary folder.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import griffe
import yaml

ROOT: Final = Path(__file__).resolve().parents[1]
GENERATOR_CONFIG: Final = ROOT / "openapi-python-client.yaml"
PACKAGE: Final = "kucoin_futures_client"
ADDITIONAL: Final = "additional_properties"  # the attrs field every open model has
_GENERATOR_TIMEOUT_S: Final = 120


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
    package: Any = None  # griffe's view of the whole package (for find_breaking_changes)


_OBJECT_REPR: Final = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
_PYDANTIC_DETAIL: Final = re.compile(r" *\[type=[^\]]*\]|For further information visit \S+")


def one_line(text: str) -> str:
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


_workspace: Path | None = None
_generated: dict[str, Path] = {}


def _folder() -> Path:
    global _workspace
    if _workspace is None:
        _workspace = Path(tempfile.mkdtemp(prefix="spec-diff-"))
        atexit.register(shutil.rmtree, _workspace, True)
    return _workspace


def _generator() -> list[str]:
    # The generator's ruff post-hooks run only when ruff is on PATH: the environment's bin.
    return [str(Path(sys.executable).with_name("openapi-python-client")), "generate"]


def generate(spec: dict[str, Any], name: str) -> Path:
    """The folder holding the package `spec` generates (generated once per spec text)."""
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    if key in _generated:
        return _generated[key]
    folder = _folder() / key
    folder.mkdir(parents=True, exist_ok=True)
    document = folder / "openapi.yaml"
    document.write_text(text, encoding="utf-8")
    command = [
        *_generator(),
        "--path",
        str(document),
        "--config",
        str(GENERATOR_CONFIG),
        "--meta",
        "none",
        "--overwrite",
        "--fail-on-warning",
        "--output-path",
        str(folder / PACKAGE),
    ]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=_GENERATOR_TIMEOUT_S,
            check=False,
            cwd=folder,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GenerationError(f"{name}: the generator did not run: {exc}") from exc
    if done.returncode != 0 or not (folder / PACKAGE / "__init__.py").exists():
        raise GenerationError(one_line(f"{name}: {_generator_message(done.stdout + done.stderr)}"))
    _generated[key] = folder
    return folder


def _generator_message(output: str) -> str:
    """The generator's own explanation, without its banner and advice lines."""
    lines = [
        line
        for line in output.splitlines()
        if line.strip()
        and not line.startswith(("Generating ", "If you believe", "Warning(s) encountered"))
    ]
    return "\n".join(lines) or "the generator failed without a message"


def load_package(folder: Path) -> Any:
    """griffe's view of the generated package in `folder`, read from source only."""
    return griffe.load(
        PACKAGE,
        search_paths=[folder],
        try_relative_path=False,
        allow_inspection=False,
        store_source=False,
    )


def _text(value: object) -> str:
    return str(value) if value is not None else "None"


def _unquoted(value: object) -> str:
    text = _text(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def read_api(package: Any) -> PublicApi:
    """Models, enums and operations of a generated package (griffe objects, public API)."""
    models: dict[str, dict[str, Member]] = {}
    enums: dict[str, dict[str, str]] = {}
    module = package["models"]
    for name in module.exports or []:
        cls = module[name]
        if any("Enum" in _text(base) for base in cls.bases):
            enums[name] = {
                member: _unquoted(attribute.value)
                for member, attribute in cls.members.items()
                if attribute.is_attribute and not member.startswith("_")
            }
            continue
        models[name] = {
            field: Member(_text(attribute.annotation), attribute.value is None)
            for field, attribute in cls.members.items()
            if attribute.is_attribute and "property" not in attribute.labels
        }
    operations: dict[str, Operation] = {}
    for tag, tag_module in package["api"].modules.items():
        for operation, operation_module in tag_module.modules.items():
            sync = operation_module["sync"]
            arguments = {
                parameter.name: Member(_text(parameter.annotation), parameter.default is None)
                for parameter in sync.parameters
                if parameter.name != "client"
            }
            members = {part for part in _text(sync.returns).split(" | ") if part != "None"}
            operations[f"api.{tag}.{operation}"] = Operation(arguments, " | ".join(sorted(members)))
    return PublicApi(models=models, enums=enums, operations=operations, package=package)


def public_api(spec: dict[str, Any], name: str) -> PublicApi:
    """The generated package's public API for `spec` (a parsed openapi.yaml)."""
    return read_api(load_package(generate(spec, name)))


def griffe_breakages(old: PublicApi, new: PublicApi) -> list[str]:
    """What `griffe check` reports between the two packages, one line each."""
    lines = set()
    for breakage in griffe.find_breaking_changes(old.package, new.package):
        # The object's path in the package, not the temporary file it was read from.
        where = breakage.obj.path.removeprefix(f"{PACKAGE}.")
        change = f"{breakage.kind.value}"
        if breakage.old_value is None and breakage.new_value is not None:
            change += f": {_text(breakage.new_value)}"
        elif breakage.kind is not griffe.BreakageKind.OBJECT_REMOVED:
            change += f": {_text(breakage.old_value)} -> {_text(breakage.new_value)}"
        lines.add(f"{where}: {change}")
    return sorted(lines)
