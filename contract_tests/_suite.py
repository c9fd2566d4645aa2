"""One programmatic schemathesis run of openapi.yaml, with its outcome as data.

The CI tests, the harness self-tests and the live mode all go through `run_suite`, so they
test exactly the same thing. The run is schemathesis' own engine (what `schemathesis run`
drives), fed with the configuration file next to this module; the JUnit report and the
console report come from schemathesis' own CLI handlers. Besides schemathesis' checks, a
run has two of ours: `forged_credentials_rejected` (`_forgery.py`) and `read_after_switch`
(`_stateful.py`, read-after-write consistency, proven by the stateful phase).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import schemathesis
from schemathesis.cli.commands.run.context import ExecutionContext
from schemathesis.cli.commands.run.handlers.base import EventHandler
from schemathesis.cli.commands.run.handlers.junitxml import JunitXMLHandler
from schemathesis.cli.commands.run.handlers.output import OutputHandler
from schemathesis.cli.events import LoadingFinished, LoadingStarted
from schemathesis.config import ReportConfig
from schemathesis.engine import events, from_schema
from schemathesis.generation import GenerationMode
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

from kucoin_futures_auth import Credentials
from kucoin_futures_mock import SYMBOLS

from ._auth import GeneratedRequestSigner
from ._forgery import forging_for  # also registers the forged_credentials_rejected check
from ._redaction import RedactingWriter, redact_file
from ._stateful import (  # also registers the read_after_switch check
    SWITCH_OPERATION,
    Tally,
    consistency_for,
    stateful_symbols_from,
)

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SPEC_PATH = PROJECT_ROOT / "openapi.yaml"
CONFIG_PATH = PACKAGE_DIR / "schemathesis.toml"
BATCH_OPERATION = "POST /api/v2/position/batchChangeMarginMode"


@attrs.frozen
class CheckFailure:
    """One failed check: which check, on which operation, and schemathesis' explanation."""

    check: str
    operation: str
    title: str
    message: str
    phase: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.operation} ({self.phase}): {self.title}"


@attrs.frozen
class SuiteResult:
    """What one run found. `passed` is schemathesis' own verdict plus our failure list.

    `cases_by_phase` counts the test cases each phase sent (stateful: every step);
    `stateful_pairs` is how many reads the stateful phase compared with the switch before
    them (`read_after_switch`), `other_pairs` the same in the other phases.
    """

    failures: tuple[CheckFailure, ...]
    errors: tuple[str, ...]
    checks_run: frozenset[str]
    cases: int
    requests: int
    exit_code: int
    cases_by_phase: dict[str, int] = attrs.field(factory=dict)
    stateful_pairs: int = 0
    other_pairs: int = 0

    @property
    def failed_checks(self) -> frozenset[str]:
        return frozenset(failure.check for failure in self.failures)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.failures and not self.errors

    def summary(self) -> str:
        phases = ", ".join(f"{name} {count}" for name, count in self.cases_by_phase.items())
        lines = [
            f"{self.cases} test cases ({phases}), {self.requests} requests, "
            f"{self.stateful_pairs} read-after-switch pairs compared in the stateful phase "
            f"({self.other_pairs} in the others), exit code {self.exit_code}"
        ]
        for failure in self.failures:
            lines.append(f"  failure {failure}")
            lines.extend(f"    {line}" for line in failure.message.splitlines()[:3])
        lines.extend(f"  error {error}" for error in self.errors)
        return "\n".join(lines)


def load_config(path: Path = CONFIG_PATH) -> schemathesis.Config:
    return schemathesis.Config.from_path(path)


def configured_junit_path(config: schemathesis.Config) -> Path | None:
    """The JUnit report path of the configuration file, relative to the repository root."""
    report = config.projects.get_default().reports.junit
    if not report.enabled or report.path is None:
        return None
    path = Path(report.path)
    return path if path.is_absolute() else PROJECT_ROOT / path


def run_suite(
    credentials: Credentials,
    *,
    app: Any = None,
    base_url: str | None = None,
    positive_only: bool = False,
    symbols: Sequence[str] | None = None,
    catalogue: Sequence[str] | None = None,
    phases: Sequence[str] | None = None,
    junit_path: Path | None = None,
    console: bool = False,
    config_path: Path = CONFIG_PATH,
) -> SuiteResult:
    """Run openapi.yaml's contract against an ASGI `app` (in-process) or a `base_url`.

    Every request is signed for `credentials` (see `GeneratedRequestSigner`). `symbols`, when
    given, replaces the symbols of every generated switch request with some of these (live
    runs touch nothing else). `catalogue` is where the stateful phase's valid switches take
    their symbols from (default: `symbols`, else the mock's catalogue), so that the reads
    its links lead to read contracts that exist. `phases` runs only those phases (names as
    in the configuration file). `console` prints schemathesis' usual report on stdout.
    """
    if (app is None) == (base_url is None):
        raise ValueError("run_suite needs exactly one of app (in-process) and base_url")
    config = load_config(config_path)
    # The report this run writes, so that the console report names the right file.
    config.reports.junit = ReportConfig(enabled=junit_path is not None, path=junit_path)
    # The same override layer the schemathesis CLI uses for its command-line options.
    override = config.projects.override
    if base_url is not None:
        override.update(base_url=base_url)
    if positive_only:
        override.generation.update(modes=[GenerationMode.POSITIVE])
    if phases is not None:
        override.phases.update(phases=list(phases))
    schema = schemathesis.openapi.from_path(SPEC_PATH, config=config)
    if app is not None:
        schema.app = app
    schema.auth.set_from_requests(GeneratedRequestSigner(credentials))

    context = ExecutionContext(config=schema.config)
    handlers: list[EventHandler[Any]] = []
    if junit_path is not None:
        junit_path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(JunitXMLHandler(junit_path))
    if console:
        handlers.append(OutputHandler(config=schema.config))
    collector = _Collector()
    restriction = (
        _symbols_restricted_to(tuple(symbols)) if symbols is not None else contextlib.nullcontext()
    )
    stateful = bool(schema.config.phases.stateful.enabled)
    source = catalogue if catalogue is not None else symbols if symbols is not None else SYMBOLS
    # Console output passes through the redaction; the JUnit file is redacted once written.
    stdout = RedactingWriter(sys.stdout, credentials) if console else None
    for handler in handlers:
        handler.start(context)
    try:
        with (
            contextlib.redirect_stdout(stdout) if stdout else contextlib.nullcontext(),
            restriction,
            stateful_symbols_from(tuple(source)),
            forging_for(credentials),
            consistency_for(stateful=stateful) as tally,
        ):
            for event in _event_stream(schema):
                context.on_event(event)
                collector.on_event(event)
                for handler in handlers:
                    handler.handle_event(context, event)
    finally:
        with contextlib.redirect_stdout(stdout) if stdout else contextlib.nullcontext():
            for handler in handlers:
                handler.shutdown(context)
        if stdout is not None:
            stdout.flush()
        if junit_path is not None and junit_path.exists():
            redact_file(junit_path, credentials)
    return collector.result(
        cases=context.statistic.total_cases, exit_code=int(context.exit_code), tally=tally
    )


def _event_stream(schema: Any) -> Iterator[events.EngineEvent]:
    # The loading events are what `schemathesis run` emits before the engine's own; the
    # execution context and the console report read the schema's statistics from them.
    started = LoadingStarted(location=SPEC_PATH.name)
    yield started
    yield LoadingFinished.from_schema(
        schema,
        location=SPEC_PATH.name,
        start_time=started.timestamp,
        base_url=schema.get_base_url(),
    )
    yield from from_schema(schema).execute()


@contextlib.contextmanager
def _symbols_restricted_to(allowed: tuple[str, ...]) -> Iterator[None]:
    """While active, every switch request (single or batch) names only symbols of `allowed`.

    A `before_call` hook, because it is the one place every phase's requests pass through
    (the examples phase skips `map_case`), and the unauthenticated copies `ignored_auth`
    sends are derived from the case after it ran. schemathesis only has global
    `before_call` hooks: this one is removed when the run ends.
    """
    if not allowed:
        raise ValueError("the list of symbols the run may touch is empty")

    def before_call(_context: Any, case: Any, _kwargs: dict[str, Any]) -> None:
        body = case.body
        if not isinstance(body, dict):
            return
        if case.operation.label == BATCH_OPERATION:
            generated = body.get("symbols")
            if isinstance(generated, list):
                body["symbols"] = pick_symbols(len(generated), allowed)
        elif case.operation.label == SWITCH_OPERATION and body.get("symbol") not in allowed:
            symbol = body.get("symbol")
            body["symbol"] = pick_symbols(len(symbol) if isinstance(symbol, str) else 1, allowed)[0]

    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(before_call, "before_call")
    try:
        yield
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(before_call)


def pick_symbols(count: int, allowed: Sequence[str]) -> list[str]:
    """`count` distinct symbols of `allowed` (at least one, at most all), varying with `count`."""
    size = max(1, min(count, len(allowed)))
    start = count % len(allowed)
    rotated = [*allowed[start:], *allowed[:start]]
    return rotated[:size]


# `after_run` failures of class-based checks are titled "Custom check failed: `<name>`".
_AFTER_RUN_TITLE = re.compile(r"Custom check failed: `(\w+)`")


@attrs.define
class _Collector:
    failures: dict[tuple[str, str, str, str], CheckFailure] = attrs.Factory(dict)
    errors: list[str] = attrs.Factory(list)
    checks_run: set[str] = attrs.Factory(set)
    cases_by_phase: dict[str, int] = attrs.Factory(dict)
    requests: int = 0

    def on_event(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            self.requests += len(recorder.interactions)
            phase = event.phase.value
            self.cases_by_phase[phase] = self.cases_by_phase.get(phase, 0) + len(recorder.cases)
            for nodes in recorder.checks.values():
                for node in nodes:
                    self.checks_run.add(node.name)
                    if node.failure_info is not None:
                        self._add(
                            node.name, node.failure_info.failure, event.label, event.phase.value
                        )
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:
                named = _AFTER_RUN_TITLE.fullmatch(failure.title)
                self._add(named.group(1) if named else "after_run", failure, None, "after_run")
        elif isinstance(event, events.NonFatalError):
            self.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            self.errors.append(f"fatal: {event.exception!r}")

    def _add(self, check: str, failure: Any, label: str | None, phase: str) -> None:
        operation = failure.operation or label or "?"
        key = (check, operation, failure.title, failure.message)
        self.failures.setdefault(
            key,
            CheckFailure(
                check=check,
                operation=operation,
                title=failure.title,
                message=failure.message,
                phase=phase,
            ),
        )

    def result(self, *, cases: int, exit_code: int, tally: Tally) -> SuiteResult:
        return SuiteResult(
            failures=tuple(self.failures.values()),
            errors=tuple(self.errors),
            checks_run=frozenset(self.checks_run),
            cases=cases,
            requests=self.requests,
            exit_code=exit_code,
            cases_by_phase=dict(self.cases_by_phase),
            stateful_pairs=tally.pairs,
            other_pairs=len(tally.other_pairs),
        )
