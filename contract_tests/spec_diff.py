"""What regenerating from openapi.yaml changes in the generated package's public API.

    python -m contract_tests.spec_diff --base REV [--spec openapi.yaml]
    python -m contract_tests.spec_diff --base-file OLD.yaml [--spec NEW.yaml]

Generates a package from the spec at git revision REV (`git show REV:openapi.yaml`) or in
OLD.yaml and one from the current spec (the generator's command line, as `make generate`
runs it), and compares the two (`_generated_api`, griffe's public API): models and their
fields (name, annotation, required-ness, `additional_properties`), enums and their
members, operations (`api.<tag>.<module>`), their arguments and return types. `griffe
check`'s own analysis (`griffe.find_breaking_changes`) is reported beside it: it sees
removals and signature changes, but not an attrs field's type or required-ness (the
models' `__init__` is made by attrs at run time), which the field comparison covers.

Breaking: a model, field, enum, member, operation or argument removed or renamed (a rename
is a removal and an addition; a removed model with an added twin is named as a likely
rename), an annotation changed, a field or argument that became required or optional, a
new required field or argument. Everything else that differs is an addition.

Not compared: docstrings, validation keywords the generator does not turn into code
(`pattern`, `maxItems`, ...), the HTTP behaviour behind an operation, `generated/`'s
formatting. The upstream check and the contract tests cover behaviour.

Exit status: 0 only additions (or no change at all), 1 something breaking, 2 a spec that
cannot be read or generated (one line on stderr).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import yaml

from ._generated_api import GenerationError, Member, PublicApi, griffe_breakages, public_api
from .operations import SPEC_FILE

EXIT_ADDITIONS_ONLY: Final = 0
EXIT_BREAKING: Final = 1
EXIT_UNREADABLE: Final = 2

ROOT: Final = Path(__file__).resolve().parents[1]
PACKAGE: Final = "kucoin_futures_client"
BREAKING: Final = "breaking"
ADDED: Final = "added"


class UnreadableSpec(Exception):
    """A spec that cannot be read (the message names it and why)."""


def spec_at_revision(revision: str, repo: Path = ROOT, path: str = "openapi.yaml") -> str:
    if revision.startswith("-"):
        raise UnreadableSpec(f"{revision!r} is not a git revision")
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "show", f"{revision}:{path}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UnreadableSpec(f"git show {revision}:{path}: {exc}") from exc
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise UnreadableSpec(f"git show {revision}:{path}: {reason}")
    return done.stdout


def parse_spec(text: str, name: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UnreadableSpec(f"{name}: not YAML ({exc})".replace("\n", " ")) from exc
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith("3."):
        raise UnreadableSpec(f"{name}: not an OpenAPI 3 document")
    return data


def _members(
    where: str, old: dict[str, Member], new: dict[str, Member], what: str
) -> list[tuple[str, str]]:
    changes = []
    for name in sorted(set(old) - set(new)):
        changes.append((BREAKING, f"{where}: {what} {name} removed (was {old[name].show()})"))
    for name in sorted(set(new) - set(old)):
        kind = BREAKING if new[name].required else ADDED
        why = f", a new required {what}" if new[name].required else ""
        changes.append((kind, f"{where}: {what} {name} added: {new[name].show()}{why}"))
    for name in sorted(set(old) & set(new)):
        if old[name] != new[name]:
            changes.append(
                (
                    BREAKING,
                    f"{where}: {what} {name} changed: {old[name].show()} -> {new[name].show()}",
                )
            )
    return changes


def compare(old: PublicApi, new: PublicApi) -> list[tuple[str, str]]:
    """(breaking or added, what) for every change of the public API, breaking first."""
    changes: list[tuple[str, str]] = []
    for name in sorted(set(old.models) - set(new.models)):
        twins = [n for n in set(new.models) - set(old.models) if new.models[n] == old.models[name]]
        hint = f" (renamed to {twins[0]}? same fields)" if len(twins) == 1 else ""
        changes.append((BREAKING, f"model {name} removed{hint}"))
    for name in sorted(set(new.models) - set(old.models)):
        fields = ", ".join(f"{f}: {m.show()}" for f, m in new.models[name].items())
        changes.append((ADDED, f"model {name} added ({fields})"))
    for name in sorted(set(old.models) & set(new.models)):
        changes += _members(f"model {name}", old.models[name], new.models[name], "field")
    for name in sorted(set(old.enums) - set(new.enums)):
        changes.append((BREAKING, f"enum {name} removed"))
    for name in sorted(set(new.enums) - set(old.enums)):
        changes.append((ADDED, f"enum {name} added ({', '.join(new.enums[name])})"))
    for name in sorted(set(old.enums) & set(new.enums)):
        before, after = old.enums[name], new.enums[name]
        for member in sorted(set(before) - set(after)):
            changes.append((BREAKING, f"enum {name}: member {member} removed"))
        for member in sorted(set(after) - set(before)):
            changes.append((ADDED, f"enum {name}: member {member} added"))
        for member in sorted(m for m in set(before) & set(after) if before[m] != after[m]):
            changes.append(
                (BREAKING, f"enum {name}: {member} changed: {before[member]} -> {after[member]}")
            )
    for name in sorted(set(old.operations) - set(new.operations)):
        changes.append((BREAKING, f"operation {name} removed"))
    for name in sorted(set(new.operations) - set(old.operations)):
        changes.append((ADDED, f"operation {name} added {new.operations[name].show()}"))
    for name in sorted(set(old.operations) & set(new.operations)):
        before_op, after_op = old.operations[name], new.operations[name]
        changes += _members(
            f"operation {name}", before_op.arguments, after_op.arguments, "argument"
        )
        if before_op.returns != after_op.returns:
            changes.append(
                (
                    BREAKING,
                    f"operation {name}: returns {before_op.returns} -> {after_op.returns}",
                )
            )
    return sorted(changes, key=lambda change: change[0] != BREAKING)


def report(old_name: str, new_name: str, old: PublicApi, new: PublicApi) -> tuple[int, str]:
    changes = compare(old, new)
    breaking = [what for kind, what in changes if kind == BREAKING]
    added = [what for kind, what in changes if kind == ADDED]
    griffe_found = griffe_breakages(old, new)
    lines = [f"Public API of {PACKAGE}: {old_name} -> {new_name}", ""]
    lines += [f"breaking ({len(breaking)}):"] + [f"  {what}" for what in breaking]
    lines += [f"added ({len(added)}):"] + [f"  {what}" for what in added]
    lines += [f"griffe check ({len(griffe_found)}):"] + [f"  {what}" for what in griffe_found]
    if breaking or griffe_found:
        status = EXIT_BREAKING
        verdict = "BREAKING: code written against the old package may fail with the new one"
    elif not added:
        status = EXIT_ADDITIONS_ONLY
        verdict = "no change: the generated public API is the same"
    else:
        status = EXIT_ADDITIONS_ONLY
        verdict = "only additions: code written against the old package works with the new one"
    lines += ["", f"Result: {verdict} (exit {status})"]
    return status, "\n".join(lines)


def run(
    *, base: str | None, base_file: Path | None, spec: Path, repo: Path = ROOT
) -> tuple[int, str]:
    try:
        if base_file is not None:
            old_name = _shown(base_file)
            old_text = _read(base_file)
        else:
            assert base is not None
            old_name = f"openapi.yaml at {base}"
            old_text = spec_at_revision(base, repo)
        new_name = _shown(spec)
        old = public_api(parse_spec(old_text, old_name), old_name)
        new = public_api(parse_spec(_read(spec), new_name), new_name)
    except (UnreadableSpec, GenerationError) as exc:
        return EXIT_UNREADABLE, f"spec-diff: {exc}"
    return report(old_name, new_name, old, new)


def _shown(path: Path) -> str:
    # The project's own files by their name in the repository, not this machine's path.
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableSpec(f"{path}: {exc}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests.spec_diff",
        description="What regenerating from the spec changes in the generated public API.",
        epilog="exit 0: only additions; 1: breaking changes; 2: unreadable spec",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", metavar="REV", help="git revision of the old openapi.yaml")
    source.add_argument("--base-file", type=Path, metavar="OLD", help="the old spec as a file")
    parser.add_argument("--spec", type=Path, default=SPEC_FILE, help="the new spec")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the git repository of --base")
    args = parser.parse_args(argv)
    status, text = run(base=args.base, base_file=args.base_file, spec=args.spec, repo=args.repo)
    print(text, file=sys.stderr if status == EXIT_UNREADABLE else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
