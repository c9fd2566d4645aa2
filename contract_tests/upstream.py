"""Has KuCoin's published API moved away from `openapi.yaml`? `python -m contract_tests.upstream`.

    python -m contract_tests.upstream [--spec openapi.yaml] PATH_OR_URL...

Each PATH_OR_URL is one of KuCoin's published OpenAPI 3.0 JSON files (one per area, e.g.
futures positions). Every operation of ours with the same method and path is compared field
by field (request parameters and body, the reply's `data`: type, enum values,
required-ness, validation keywords), with its documented statuses, rate-limit weight and
pool, permission and channel. Each difference is classified (see `_upstream_compare`):
breaking, needs a spec update, or deliberate (recorded in `openapi.yaml` with
`x-upstream-deliberate` and a reason). Our operations record their KuCoin area in
`x-upstream-area`: one whose area was read but is missing there is breaking; one of an area
not read is "not checked"; one without `x-upstream-area` fails; operations only KuCoin has
are listed for information. An area counts as read when a file's `x-sdk-service` /
`x-sdk-sub-service` name it, or when the file has an operation of ours whose area
extensions cannot be read (renamed: that itself is reported). An input that has no
operation or area of ours fails ("checks nothing": the wrong file), and so does one that
describes an operation differently from an earlier input (the first counts); the same
operation twice is information.

Not compared: descriptions, summaries, examples, `format`, headers, error codes inside
descriptions, KuCoin's SDK names (shown, not compared), `x-domain`, `x-api-doc`; `allOf`,
`oneOf` and `anyOf` inside fields (only a reply's top-level `oneOf`/`anyOf` is searched for
`data`), `const`, `not` and `default`; media types other than JSON (`application/json`,
with or without parameters such as `; charset=utf-8`); `x-api-enum` where `enum` is present
(it is read only when `enum` is missing).

Exit status: 0 only deliberate differences (or none), 1 anything else, 2 an input that
cannot be read or is not an OpenAPI 3 document (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import yaml

from ._upstream_compare import (
    BREAKING,
    DELIBERATE,
    NEEDS_UPDATE,
    Finding,
    compare_operation,
    missing_operation,
    no_area,
)
from ._upstream_surface import (
    Document,
    OperationSurface,
    SpecShapeError,
    area_name,
    ours,
    upstream,
)
from .operations import SPEC_FILE

EXIT_ONLY_DELIBERATE: Final = 0
EXIT_DIFFERS: Final = 1
EXIT_UNREADABLE: Final = 2

DEFAULT_SPEC: Final = SPEC_FILE
_MAX_BYTES: Final = 32 * 1024 * 1024  # KuCoin's largest area file is well under 1 MiB
_TIMEOUT_S: Final = 30.0  # for each connect and read
DEADLINE_S: Final = 60.0  # for a whole download: a server trickling bytes cannot hold us


# Where a network failure points: KuCoin's files downloaded elsewhere work as paths, and
# the bundled fixtures (our files in KuCoin's format) run the whole check offline.
OFFLINE_HINT: Final = (
    "without the network, pass KuCoin's files as downloaded paths, or run the check "
    "offline on the bundled fixtures: make upstream-check "
    "UPSTREAM='contract_tests/fixtures/kucoin-futures-positions.json "
    "contract_tests/fixtures/kucoin-futures-market.json'"
)


class UnreadableInput(Exception):
    """An input that cannot be read or is not an OpenAPI 3 document; the message says which."""


def _fetch(url: str, deadline_s: float) -> bytes:
    # A public document: no credentials are sent, redirects (a CDN's) may be followed.
    give_up = time.monotonic() + deadline_s
    try:
        with (
            httpx.Client(timeout=_TIMEOUT_S, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise UnreadableInput(f"{url}: HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                if time.monotonic() > give_up:
                    raise UnreadableInput(f"{url}: not read within {deadline_s:g} s")
                size += len(chunk)
                if size > _MAX_BYTES:
                    raise UnreadableInput(f"{url}: larger than {_MAX_BYTES} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TransportError as exc:  # no network, no name, refused, timed out
        raise UnreadableInput(f"{url}: {type(exc).__name__}: {exc}; {OFFLINE_HINT}") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
        raise UnreadableInput(f"{url}: {type(exc).__name__}: {exc}") from exc


def _read_bytes(source: str, deadline_s: float) -> bytes:
    if source.startswith(("http://", "https://")):
        return _fetch(source, deadline_s)
    if not source:
        raise UnreadableInput("'': an empty path")  # Path("") is the current directory
    try:
        path = Path(source)
        if path.stat().st_size > _MAX_BYTES:
            raise UnreadableInput(f"{source}: larger than {_MAX_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(f"{source}: {exc.strerror or exc}") from exc


def read_upstream(source: str, deadline_s: float = DEADLINE_S) -> Document:
    raw = _read_bytes(source, deadline_s)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"{source}: not JSON (not UTF-8: {exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise UnreadableInput(
            f"{source}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    return _as_openapi(data, source)


def _as_openapi(data: Any, source: str) -> Document:
    if not isinstance(data, dict):
        raise UnreadableInput(f"{source}: not an OpenAPI document (not a JSON object)")
    version = data.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = f"openapi: {version!r}" if "openapi" in data else "no 'openapi' version"
        raise UnreadableInput(f"{source}: not an OpenAPI 3 document ({found})")
    if not isinstance(data.get("paths"), dict):
        raise UnreadableInput(f"{source}: not an OpenAPI 3 document (no 'paths' object)")
    return Document(data, source)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_ours(path: Path) -> Document:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnreadableInput(f"{path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"{path}: not UTF-8 ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        raise UnreadableInput(f"{path}: not YAML ({exc})".replace("\n", " ")) from exc
    return _as_openapi(data, _display(path))


@dataclass
class Report:
    lines: list[str]
    counts: dict[str, int]
    unusable_inputs: int  # inputs that checked nothing of ours, or that contradict another

    @property
    def exit_code(self) -> int:
        failing = self.counts[BREAKING] + self.counts[NEEDS_UPDATE] + self.unusable_inputs
        return EXIT_DIFFERS if failing else EXIT_ONLY_DELIBERATE


def _read_all(
    upstream_docs: Sequence[Document], our_ops: list[OperationSurface]
) -> tuple[dict[str, OperationSurface], list[str], list[str], int]:
    """KuCoin's operations by key, header lines, duplicates (information), unusable inputs."""
    our_keys = {op.key for op in our_ops}
    our_areas = {area_name(op.area) for op in our_ops if op.area}
    theirs: dict[str, OperationSurface] = {}
    lines: list[str] = []
    duplicates: list[str] = []
    unusable = 0
    for doc in upstream_docs:
        surfaces = upstream(doc)
        areas = sorted({s.area for s in surfaces if s.area}) or ["none readable"]
        lines.append(
            f"KuCoin: {doc.name} (OpenAPI {doc.data['openapi']}, {len(surfaces)} operations,"
            f" area {', '.join(areas)})"
        )
        if not any(s.key in our_keys or area_name(s.area) in our_areas for s in surfaces):
            # The wrong file (or an emptied one) would otherwise pass: it checks nothing.
            lines.append("  checks nothing: none of its operations or areas is one of ours")
            unusable += 1
        for surface in surfaces:
            first = theirs.setdefault(surface.key, surface)
            if first is surface:
                continue
            if first == surface:
                duplicates.append(f"{surface.key} (again in {doc.name}, the same)")
            else:
                # Two files that disagree: which one KuCoin means cannot be told.
                lines.append(f"  contradicts an earlier file on {surface.key}: the first counts")
                unusable += 1
    return theirs, lines, duplicates, unusable


def build_report(
    our_doc: Document, upstream_docs: Sequence[Document], our_ops: list[OperationSurface]
) -> Report:
    theirs, lines, duplicates, unusable = _read_all(upstream_docs, our_ops)
    lines.append(f"ours: {our_doc.name} ({len(our_ops)} operations)")
    areas_read = {area_name(s.area) for s in theirs.values() if s.area}
    # A matching operation whose area cannot be read (KuCoin renamed x-sdk-sub-service)
    # still shows which area the file is: ours, so that a missing sibling is noticed.
    areas_read |= {
        area_name(op.area)
        for op in our_ops
        if op.area and op.key in theirs and not theirs[op.key].area
    }
    counts = {BREAKING: 0, NEEDS_UPDATE: 0, DELIBERATE: 0}
    not_checked = 0
    for op in our_ops:
        lines.append("")
        match = theirs.get(op.key)
        findings: list[Finding]
        if match is not None:
            lines.append(f"{op.key} (ours {op.name}, KuCoin {match.name})")
            findings = compare_operation(op, match)
        elif op.area is None:
            lines.append(f"{op.key} (ours {op.name})")
            findings = [no_area(op)]
        elif area_name(op.area) in areas_read:
            lines.append(f"{op.key} (ours {op.name})")
            findings = [missing_operation(op)]
        else:
            lines.append(f"{op.key} (ours {op.name}): not checked (area {op.area} not read)")
            not_checked += 1
            continue
        for finding in findings:
            counts[finding.verdict] += 1
            lines.append("  " + finding.line())
        if not findings:
            lines.append("  same: every compared field, status, weight, pool and permission")
    ours_keys = {op.key for op in our_ops}
    extra = [s for key, s in theirs.items() if key not in ours_keys]
    if extra or duplicates:
        lines += ["", "Only KuCoin has (information, never a failure):"]
        lines += [f"  {s.key} ({s.name}, {s.area or 'no area'})" for s in extra]
        lines += [f"  duplicate: {d}" for d in duplicates]
    report = Report(lines, counts, unusable)
    verdict = (
        "only deliberate differences"
        if report.exit_code == EXIT_ONLY_DELIBERATE
        else "KuCoin's spec differs"
    )
    lines += [
        "",
        f"Result: {counts[BREAKING]} breaking, {counts[NEEDS_UPDATE]} needs a spec update,"
        f" {counts[DELIBERATE]} deliberate, {not_checked} not checked,"
        f" {unusable} unusable input(s): {verdict} (exit {report.exit_code})",
    ]
    return report


def run(
    sources: Sequence[str], spec: Path = DEFAULT_SPEC, deadline_s: float = DEADLINE_S
) -> tuple[int, str]:
    """(exit status, what to print): the report on stdout, or one line for stderr (exit 2)."""
    if not sources:
        return EXIT_UNREADABLE, "upstream-check: nothing to read (give one or more PATH_OR_URL)"
    try:
        our_doc = read_ours(spec)
        our_ops = ours(our_doc)
        upstream_docs = [read_upstream(source, deadline_s) for source in sources]
        report = build_report(our_doc, upstream_docs, our_ops)
    except UnreadableInput as exc:
        return EXIT_UNREADABLE, f"upstream-check: cannot read {exc}"
    except SpecShapeError as exc:
        return EXIT_UNREADABLE, f"upstream-check: not a readable OpenAPI document: {exc}"
    return report.exit_code, "\n".join(report.lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests.upstream",
        description="Compare KuCoin's published OpenAPI files with openapi.yaml.",
        epilog="exit 0: only deliberate differences; 1: anything else; 2: unreadable input",
    )
    parser.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="our openapi.yaml")
    args = parser.parse_args(argv)
    status, text = run(args.sources, args.spec)
    print(text, file=sys.stderr if status == EXIT_UNREADABLE else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
