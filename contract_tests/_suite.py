"""One schemathesis run of openapi.yaml, with its outcome as data.

The CI tests, the harness self-tests and the live mode all go through `run_suite`, so they
test exactly the same thing. A run is a pytest session of its own, started in this process
with `pytest.main` over `_suite_cases.py`, which uses schemathesis' documented pytest route
only: `schema.parametrize()` (the examples, coverage and fuzzing phases of every operation
in openapi.yaml, none named here) and `schema.as_state_machine()` (the stateful phase,
through openapi.yaml's links). The JUnit report is pytest's. Outcomes are read from
schemathesis' public `after_validate` hook, which names each check and its result.

Besides schemathesis' checks, a run has four of ours: `forged_credentials_rejected`
(`_forgery.py`); `read_after_switch` (`_stateful.py`) and `read_after_leverage_change`
(`_stateful_leverage.py`), read-after-write consistency of the margin mode and of the
leverage, proven by the stateful phase; and `not_rate_limited` (`_rate_limited.py`, the
configuration's `[warnings] fail-on` on this route). A run does not stop at a check's
failure (schemathesis' `continue-on-failure`): the case's failures are recorded and the test
of that operation is failed when all its cases have run.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tomllib
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import hypothesis
import pytest
import schemathesis

from kucoin_futures_auth import Credentials
from kucoin_futures_mock import SYMBOLS

from ._auth import GeneratedRequestSigner
from ._forgery import forging_for  # also registers the forged_credentials_rejected check
from ._rate_limited import WARNING_CHECKS, not_rate_limited  # noqa: F401 - registers the check
from ._redaction import RedactingWriter, redact_file
from ._stateful import (  # also registers the read_after_switch check
    Tally,
    catalogue_mapping,
    consistency_for,
    floor_message,
)
from ._stateful_leverage import leverage_consistency_for  # registers its check too

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SPEC_PATH = PROJECT_ROOT / "openapi.yaml"
CONFIG_PATH = PACKAGE_DIR / "schemathesis.toml"
CASES_PATH = PACKAGE_DIR / "_suite_cases.py"
UNIT_PHASES: Final = ("examples", "coverage", "fuzzing")
PHASES: Final = (*UNIT_PHASES, "stateful")
STATEFUL_TEST: Final = "test_stateful"
MAX_REPORTS_PER_TEST: Final = 10


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
    """What one run found. `passed` is the session's verdict plus our failure list.

    `cases_by_phase` counts the test cases each phase sent (stateful: every step);
    `stateful_pairs` is how many reads the stateful phase compared with the switch before
    them (`read_after_switch`), `other_pairs` the same in the other phases;
    `leverage_pairs` how many leverage reads it compared with the change before them
    (`read_after_leverage_change`). `operations` are the labels of the operations that were
    tested.
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
    leverage_pairs: int = 0
    operations: frozenset[str] = frozenset()
    junit_path: Path | None = None

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
            f"({self.other_pairs} in the others), {self.leverage_pairs} "
            f"read-after-leverage-change pairs, exit code {self.exit_code}"
        ]
        for failure in self.failures:
            lines.append(f"  failure {failure}")
            lines.extend(f"    {line}" for line in failure.message.splitlines()[:3])
        lines.extend(f"  error {error}" for error in self.errors)
        return "\n".join(lines)


def load_config(path: Path = CONFIG_PATH) -> schemathesis.Config:
    return schemathesis.Config.from_path(path)


def load_settings(path: Path = CONFIG_PATH) -> dict[str, Any]:
    """The configuration file as a dictionary (what `run_suite` derives a run's from)."""
    with path.open("rb") as file:
        return tomllib.load(file)


def configured_junit_path(settings: dict[str, Any] | None = None) -> Path | None:
    """The JUnit report path of the configuration file, relative to the repository root.

    Under pytest-xdist each worker gets its own file (`...-gw0.xml`), so that two workers
    never write one report.
    """
    report = (settings if settings is not None else load_settings()).get("reports", {})
    configured = report.get("junit", {}).get("path")
    if configured is None:
        return None
    path = Path(configured)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        path = path.with_name(f"{path.stem}-{worker}{path.suffix}")
    return path if path.is_absolute() else PROJECT_ROOT / path


def run_settings(
    settings: dict[str, Any],
    *,
    base_url: str | None,
    positive_only: bool,
    phases: Sequence[str] | None,
) -> dict[str, Any]:
    """A copy of the configuration file's settings for one run (the file is left as it is)."""
    derived: dict[str, Any] = {
        **settings,
        "generation": dict(settings.get("generation", {})),
        "phases": {name: dict(table) for name, table in settings.get("phases", {}).items()},
    }
    derived.pop("reports", None)  # the JUnit report is pytest's
    if base_url is not None:
        derived["base-url"] = base_url
    if positive_only:
        derived["generation"]["mode"] = "positive"
    if phases is not None:
        unknown = set(phases) - set(PHASES)
        if unknown:
            raise ValueError(f"unknown phases {sorted(unknown)}; known: {', '.join(PHASES)}")
        for name in PHASES:
            derived["phases"].setdefault(name, {})["enabled"] = name in phases
    return derived


def enforced_warnings(settings: dict[str, Any]) -> dict[str, str]:
    """Each warning of `[warnings] fail-on` and the enabled check that fails a run for it.

    schemathesis' pytest route reports no warnings, so a warning the file names without
    such a check would silently stop failing runs: that is refused.
    """
    named = settings.get("warnings", {}).get("fail-on", [])
    checks = settings.get("checks", {})
    enforced: dict[str, str] = {}
    for warning in named:
        check = WARNING_CHECKS.get(warning)
        if check is None:
            raise ValueError(
                f"[warnings] fail-on names {warning!r}, which the suite's runs cannot enforce "
                f"(known: {', '.join(sorted(WARNING_CHECKS))}): add a check for it"
            )
        if not checks.get(check, {}).get("enabled", checks.get("enabled", True)):
            raise ValueError(
                f"[warnings] fail-on names {warning!r}, but its check {check} is not enabled"
            )
        enforced[warning] = check
    return enforced


def state_machine_settings(settings: dict[str, Any]) -> hypothesis.settings:
    """Hypothesis settings of the stateful phase, from [phases.stateful] and [generation]."""
    stateful = settings.get("phases", {}).get("stateful", {})
    generation = settings.get("generation", {})
    return hypothesis.settings(
        max_examples=int(stateful.get("generation", {}).get("max-examples", 15)),
        stateful_step_count=int(stateful.get("max-steps", 6)),
        derandomize=bool(generation.get("deterministic", False)),
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        report_multiple_bugs=False,
    )


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
    given, replaces the symbols of every generated request that names symbols (a `symbol`
    or `symbols` field) with some of these (live runs touch nothing else). `catalogue` is
    where the stateful phase's valid requests take their symbols from (default: `symbols`,
    else the mock's catalogue), so that the reads its links lead to read contracts that
    exist. `phases` runs only those phases (names as in the configuration file). `console`
    prints the session's report on stdout.
    """
    if (app is None) == (base_url is None):
        raise ValueError("run_suite needs exactly one of app (in-process) and base_url")
    allowed = tuple(symbols) if symbols is not None else None
    if allowed is not None and not allowed:
        raise ValueError("the list of symbols the run may touch is empty")
    source = tuple(catalogue if catalogue is not None else allowed or SYMBOLS)
    if not source:
        raise ValueError("the catalogue of symbols is empty")
    settings = load_settings(config_path)
    enforced_warnings(settings)
    derived = run_settings(settings, base_url=base_url, positive_only=positive_only, phases=phases)
    config = schemathesis.Config.from_dict(derived)
    schema = schemathesis.openapi.from_path(SPEC_PATH, config=config)
    if app is not None:
        schema.app = app
    schema.auth.set_from_requests(GeneratedRequestSigner(credentials))
    enabled = {name for name in PHASES if derived["phases"].get(name, {}).get("enabled", True)}
    checks = settings.get("checks", {})
    min_pairs = int(checks.get("read_after_switch", {}).get("min_pairs", 1))
    min_leverage_pairs = int(checks.get("read_after_leverage_change", {}).get("min_pairs", 1))
    run = ActiveRun(
        schema=schema,
        base_url=base_url,
        allowed=allowed,
        catalogue=source,
        unit_phases=bool(enabled & set(UNIT_PHASES)),
        stateful=("stateful" in enabled),
        machine_settings=state_machine_settings(derived),
    )

    def after_validate(context: Any, case: Any, response: Any, results: Any) -> None:
        run.after_validate(context, case, response, results)

    schema.hook(after_validate)

    # One process: the run's plugin (this object) must see every test, so no xdist workers,
    # whatever PYTEST_ADDOPTS asks of the session that calls run_suite.
    args = [str(CASES_PATH), "--import-mode=importlib", "-p", "no:cacheprovider", "--noconftest"]
    args += ["-p", "no:xdist"]
    args += ["--capture=no", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    args += ["-q", "-rfE"] if console else ["-qq", "--no-header"]
    if junit_path is not None:
        junit_path.parent.mkdir(parents=True, exist_ok=True)
        args += [f"--junitxml={junit_path}", "-o", "junit_suite_name=contract"]
    # Console output passes through the redaction; the JUnit file is redacted once written.
    stdout: Any = RedactingWriter(sys.stdout, credentials) if console else io.StringIO()
    global _active
    _active = run
    modules_before = set(sys.modules)
    addopts = os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        with (
            contextlib.redirect_stdout(stdout),
            forging_for(credentials),
            consistency_for(stateful=run.stateful) as tally,
            leverage_consistency_for(stateful=run.stateful) as leverage_tally,
        ):
            run.tally = tally
            run.leverage_tally = leverage_tally
            exit_code = int(pytest.main(args, plugins=[run]))
    finally:
        _active = None
        if addopts is not None:
            os.environ["PYTEST_ADDOPTS"] = addopts
        # The next run imports the cases module afresh, for its own schema.
        for name in set(sys.modules) - modules_before:
            if name.endswith("_suite_cases"):
                del sys.modules[name]
        if console:
            stdout.flush()
        if junit_path is not None and junit_path.exists():
            redact_file(junit_path, credentials)
    return run.result(
        exit_code=exit_code,
        floors=((run.tally, min_pairs), (run.leverage_tally, min_leverage_pairs)),
        junit_path=junit_path,
    )


_active: ActiveRun | None = None


def active_run() -> ActiveRun:
    """The run `_suite_cases.py` belongs to (it is collected by `run_suite` only)."""
    if _active is None:
        raise RuntimeError("contract_tests/_suite_cases.py runs inside run_suite() only")
    return _active


def pick_symbols(count: int, allowed: Sequence[str]) -> list[str]:
    """`count` distinct symbols of `allowed` (at least one, at most all), varying with `count`."""
    size = max(1, min(count, len(allowed)))
    start = count % len(allowed)
    rotated = [*allowed[start:], *allowed[:start]]
    return rotated[:size]


def restrict_symbols(body: object, allowed: Sequence[str]) -> None:
    """Make a request body name only symbols of `allowed` (in place).

    By field, not by operation: every operation of openapi.yaml that names contracts does
    so in a `symbol` string or a `symbols` list, so a new one is covered without a change.
    """
    if not isinstance(body, dict):
        return
    generated = body.get("symbols")
    if isinstance(generated, list):
        body["symbols"] = pick_symbols(len(generated), allowed)
    symbol = body.get("symbol")
    if "symbol" in body and symbol not in allowed:
        body["symbol"] = pick_symbols(len(symbol) if isinstance(symbol, str) else 1, allowed)[0]


def symbols_from_catalogue(body: object, catalogue: Sequence[str]) -> None:
    """Replace the generated symbols of a valid request with catalogue symbols (in place).

    Generated symbols are random strings: their switches would all fail with 200003 and the
    reads the links lead to would read unknown symbols. The map is injective, so a list
    keeps its length and its uniqueness, and a valid request stays valid.
    """
    if not isinstance(body, dict):
        return
    items = body.get("symbols")
    if isinstance(items, list):
        strings = [item for item in items if isinstance(item, str)]
        mapping = catalogue_mapping(strings, catalogue)
        body["symbols"] = [
            mapping.get(item, item) if isinstance(item, str) else item for item in items
        ]
    symbol = body.get("symbol")
    if isinstance(symbol, str):
        body["symbol"] = catalogue_mapping([symbol], catalogue)[symbol]


# Every contract accepts a cross leverage from 1 to at least 20 (KuCoin's real maxima run
# from about 20 to over 100; the mock's catalogue agrees): below 20, whatever the symbol.
_ACCEPTED_WHOLE_LEVERAGES: Final = 19


def leverage_in_range(body: object) -> None:
    """Bring the generated leverage of a valid request into the range every contract accepts
    (in place): its whole part to 1..19, its decimals kept.

    A generated leverage is any string of up to four whole digits: nearly all are above the
    contract's maximum, a business error that changes nothing, so the reads the links lead
    to would have no change to compare with. The string keeps its pattern, so a valid
    request stays valid.
    """
    if not isinstance(body, dict):
        return
    leverage = body.get("leverage")
    if not isinstance(leverage, str) or not leverage.partition(".")[0].isdigit():
        return
    whole, dot, decimals = leverage.partition(".")
    body["leverage"] = f"{int(whole) % _ACCEPTED_WHOLE_LEVERAGES + 1}{dot}{decimals}"


def phase_of(case: Any) -> str:
    """The phase that generated `case` ("examples", "coverage", "fuzzing", "stateful")."""
    phase = getattr(getattr(getattr(case, "meta", None), "phase", None), "name", None)
    return str(getattr(phase, "value", phase)) if phase is not None else "unknown"


def is_positive(case: Any) -> bool:
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return bool(mode == schemathesis.GenerationMode.POSITIVE)


@attrs.define(eq=False)
class ActiveRun:
    """One run's schema and options, and what it found (also the run's pytest plugin)."""

    schema: Any
    base_url: str | None
    allowed: tuple[str, ...] | None
    catalogue: tuple[str, ...]
    unit_phases: bool
    stateful: bool
    machine_settings: hypothesis.settings
    tally: Tally = attrs.Factory(Tally)
    leverage_tally: Tally = attrs.Factory(Tally)
    failures: dict[tuple[str, str, str, str], CheckFailure] = attrs.Factory(dict)
    errors: list[str] = attrs.Factory(list)
    checks_run: set[str] = attrs.Factory(set)
    cases_by_phase: dict[str, int] = attrs.Factory(dict)
    operations: set[str] = attrs.Factory(set)
    requests: int = 0
    phase: str = ""
    # Failures recorded while the current pytest test ran (it fails when they are not 0),
    # and schemathesis' reports of them (with their "Reproduce with: curl ..." lines).
    failed_in_test: int = 0
    reports_in_test: dict[str, None] = attrs.Factory(dict)

    # ---- what the cases module calls ----------------------------------------------------

    def call_kwargs(self) -> dict[str, Any]:
        return {"base_url": self.base_url} if self.base_url is not None else {}

    def before_call(self, case: Any, *, stateful: bool) -> None:
        if stateful and is_positive(case):
            symbols_from_catalogue(case.body, self.catalogue)
            leverage_in_range(case.body)
        if self.allowed is not None:
            restrict_symbols(case.body, self.allowed)

    def test_case(self, case: Any) -> None:
        """One case of the examples, coverage or fuzzing phase."""
        self.before_call(case, stateful=False)
        kwargs = self.call_kwargs()
        response = case.call(**kwargs)
        self.validate(case, lambda: case.validate_response(response, transport_kwargs=kwargs))

    def validate(self, case: Any, validate: Any) -> None:
        """Run a case's checks: failures are recorded by `after_validate`, not raised."""
        self.requests += 1
        phase = self.phase or phase_of(case)
        self.cases_by_phase[phase] = self.cases_by_phase.get(phase, 0) + 1
        self.operations.add(case.operation.label)
        try:
            validate()
        except AssertionError as failure:
            self._report(str(failure))
        except BaseExceptionGroup as group:
            if not all(isinstance(error, AssertionError) for error in group.exceptions):
                raise
            self._report(group.message)

    def _report(self, text: str) -> None:
        # Bounded: a broken server fails hundreds of cases, a few reports say enough.
        if len(self.reports_in_test) < MAX_REPORTS_PER_TEST:
            self.reports_in_test.setdefault(text.strip(), None)

    def run_state_machine(self) -> None:
        run = self
        base = self.schema.as_state_machine()

        class Machine(base):  # type: ignore[misc, valid-type]
            def before_call(self, case: Any) -> None:
                run.before_call(case, stateful=True)

            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return run.call_kwargs()

            def validate_response(
                self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
            ) -> None:
                parent = super().validate_response
                run.validate(case, lambda: parent(response, case, additional_checks, **kwargs))

        self.phase = "stateful"
        self.tally.in_stateful = self.leverage_tally.in_stateful = True
        try:
            Machine.run(settings=self.machine_settings)
        finally:
            self.phase = ""
            self.tally.in_stateful = self.leverage_tally.in_stateful = False

    # ---- schemathesis' hook ---------------------------------------------------------------

    def after_validate(self, _context: Any, case: Any, _response: Any, results: Any) -> None:
        phase = self.phase or phase_of(case)
        for result in results:
            self.checks_run.add(result.name)
            failure = result.failure
            if failure is None:
                continue
            self.failed_in_test += 1
            operation = failure.operation or case.operation.label
            key = (result.name, operation, failure.title, failure.message)
            self.failures.setdefault(
                key, CheckFailure(result.name, operation, failure.title, failure.message, phase)
            )

    # ---- pytest hooks (this object is the run's plugin) ----------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        self.failed_in_test = 0
        self.reports_in_test.clear()
        result = yield
        if self.failed_in_test:
            raise AssertionError(
                f"{self.failed_in_test} check failures in {item.name}:\n\n"
                + "\n\n".join(self.reports_in_test)
            )
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        # schemathesis names each operation's test `test_operation[<label>]`, but its node id
        # lacks the label: the reports (and the JUnit file) name the operation.
        if not report.nodeid.endswith(item.name):
            report.nodeid = f"{report.nodeid.rpartition('::')[0]}::{item.name}"
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and not (report.when == "call" and self.failed_in_test):
            self.errors.append(f"{report.nodeid} ({report.when}): {report.longreprtext[-2000:]}")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"collecting {report.nodeid}: {report.longreprtext[-2000:]}")

    def result(
        self,
        *,
        exit_code: int,
        floors: Sequence[tuple[Tally, int]],
        junit_path: Path | None,
    ) -> SuiteResult:
        failures = dict(self.failures)
        for tally, min_pairs in floors:
            message = floor_message(tally, min_pairs)
            if message is None:
                continue
            # A run that proves too little is a failed run.
            check = tally.check_name
            failure = CheckFailure(check, "after_run", message, message, "after_run")
            failures[(check, "after_run", message, message)] = failure
            exit_code = exit_code or 1
        return SuiteResult(
            failures=tuple(failures.values()),
            errors=tuple(self.errors),
            checks_run=frozenset(self.checks_run),
            cases=sum(self.cases_by_phase.values()),
            requests=self.requests,
            exit_code=exit_code,
            cases_by_phase=dict(self.cases_by_phase),
            stateful_pairs=self.tally.pairs,
            other_pairs=len(self.tally.other_pairs),
            leverage_pairs=self.leverage_tally.pairs,
            operations=frozenset(self.operations),
            junit_path=junit_path,
        )
