"""Bring symbols to the margin modes a caller wants: read, switch what differs, read back.

    report = apply_margin_modes(client, {"XBTUSDTM": "ISOLATED", "ETHUSDTM": "CROSS"})
    report.all_as_asked, [(s.symbol, s.result, s.reason) for s in report.symbols]

Reading first is what keeps a bot out of KuCoin's `330005` (an order's margin mode does
not match the position's): it acts on the difference, so running it twice switches
nothing the second time. Every symbol asked about gets exactly one `SymbolReport`, also
when the call ends part-way (a batch refused as a whole, the network gone): the report
then says what was switched, what failed, what was not attempted, and carries the error
that ended it (`ApplyReport.error`).

A report row is about one setting of one symbol (`SymbolReport.SETTING`, "marginMode"):
a later setting (leverage) adds rows of its own with the same columns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs

from kucoin_futures_client import Client
from kucoin_futures_client.models import MarginMode

from ._cause import CallResult, Reason, batch_entry_reason, call_result, failure_reason
from ._deadline import call_deadline, check_deadline_s
from ._errors import ConfigurationError, InvalidInputError, KucoinError
from ._margin import BATCH_MAX_SYMBOLS, check_symbols, set_margin_mode
from ._modes import KNOWN_MODES
from ._outcome import MarginModeOutcome
from ._reads import MarginModeReadout, error_code, error_message, get_margin_modes, sync_http

Progress = Callable[[str, int, int], None]
"""Called as `progress(stage, done, total)` while reading ("read"), switching ("switch")
or reading back ("verify")."""
# Raised, not reported: the caller's mistake, found before anything is sent.
_CALLERS_MISTAKES: Final = (InvalidInputError, ConfigurationError)


class Result(enum.StrEnum):
    """Where a symbol ended up."""

    READ = "read"
    """`get`: its mode was read."""
    UNCHANGED = "unchanged"
    """It already had the target mode: nothing was sent for it."""
    WOULD_SWITCH = "would switch"
    """Dry run: it would be switched."""
    SWITCHED = "switched"
    """Switched, and (unless verification was off) read back in the target mode."""
    FAILED = "failed"
    """Its switch failed (`reason`, `code`, `msg`), e.g. 50002 for an open position."""
    UNVERIFIED = "unverified"
    """Reported switched, but reads back in another mode (`after`) or not at all."""
    UNREADABLE = "unreadable"
    """Its current mode could not be read (`reason`, `code`, `msg`): nothing was sent."""
    NOT_ATTEMPTED = "not attempted"
    """The call ended before its switch was sent (the report's `error` says why)."""


@attrs.frozen
class SymbolReport:
    """One symbol's plan and result for one setting. `current` is the mode read before
    (None if not read), `target` the mode asked for (None for a plain read), `after` the
    mode the switch's reply or the read-back shows (None if neither). `reason` is None
    when the row is as asked, else why not (`Reason`)."""

    SETTING: ClassVar[str] = "marginMode"

    symbol: str
    target: MarginMode | None
    current: MarginMode | str | None
    result: Result
    after: MarginMode | str | None = None
    code: str | None = None
    msg: str = ""
    reason: Reason | None = None

    @property
    def as_asked(self) -> bool:
        return self.result in (Result.READ, Result.UNCHANGED, Result.SWITCHED)

    def as_json(self) -> dict[str, Any]:
        """The row in the CLI's JSON (key order stable, documented in the README)."""
        return {
            "symbol": self.symbol,
            "setting": self.SETTING,
            "current": _text(self.current),
            "target": _text(self.target),
            "result": str(self.result),
            "after": _text(self.after),
            "reason": _text(self.reason),
            "code": self.code,
            "msg": self.msg,
        }


def _text(value: str | None) -> str | None:
    return None if value is None else str(value)


@attrs.frozen
class ApplyReport:
    """Every requested symbol's `SymbolReport`, in the caller's order, and the error that
    ended the call part-way (None when it ran to the end)."""

    symbols: tuple[SymbolReport, ...]
    dry_run: bool
    error: KucoinError | None = attrs.field(default=None, eq=False)

    @property
    def all_as_asked(self) -> bool:
        """Every symbol has its target mode (dry run: every symbol could be read)."""
        return self.call_result is CallResult.AS_ASKED

    @property
    def call_result(self) -> CallResult:
        """How the call ended: see `kucoin_futures.CallResult` (the CLI's exit code)."""
        return call_result((s.reason for s in self.symbols), ended_early=self.error is not None)

    def as_json(self) -> dict[str, Any]:
        error = None
        if self.error is not None:
            error = {
                "reason": str(failure_reason(self.error)),
                "code": error_code(self.error),
                "msg": error_message(self.error),
            }
        return {
            "dryRun": self.dry_run,
            "error": error,
            "symbols": [s.as_json() for s in self.symbols],
        }


def margin_mode_targets(targets: Mapping[str, MarginMode | str]) -> dict[str, MarginMode]:
    """`targets` checked (symbols as for `set_margin_mode`, modes ISOLATED or CROSS), or
    `InvalidInputError` naming the offending symbol."""
    if not isinstance(targets, Mapping) or not targets:
        raise InvalidInputError("targets must map at least one symbol to a margin mode")
    check_symbols(list(targets))
    checked: dict[str, MarginMode] = {}
    for symbol, mode in targets.items():
        known = KNOWN_MODES.get(mode) if isinstance(mode, str) else None
        if known is None:
            shown = repr(mode) if len(repr(mode)) <= 40 else repr(mode)[:37] + "..."
            raise InvalidInputError(
                f"{symbol}: margin mode must be ISOLATED or CROSS (upper case), got {shown}"
            )
        checked[symbol] = known
    return checked


def apply_margin_modes(
    client: Client,
    targets: Mapping[str, MarginMode | str],
    *,
    dry_run: bool = False,
    verify: bool = True,
    progress: Progress | None = None,
    deadline_s: float | None = None,
) -> ApplyReport:
    """Read every symbol's mode, switch those that differ (one batch per target mode,
    at most `BATCH_MAX_SYMBOLS` symbols each), and read the switched ones back.

    With `dry_run`, only reads are sent. Raises `InvalidInputError` or
    `ConfigurationError` before anything is sent; every other failure is in the report
    (`ApplyReport.error` for the one that ended the call, each symbol's `reason`).
    `deadline_s` bounds the whole call: reads, switches and read-backs (None:
    `default_deadline_s` of two reads a symbol and two batches). What it stops is
    reported with its `DeadlineExceededError`.
    """
    wanted = margin_mode_targets(targets)
    check_deadline_s(deadline_s)
    http = sync_http(client)
    # The reads, switches and read-backs inside inherit this one deadline.
    with call_deadline(http.monotonic, deadline_s, requests=2 * len(wanted) + 2):
        return _apply_within_deadline(
            client, wanted, dry_run=dry_run, verify=verify, progress=progress
        )


def _apply_within_deadline(
    client: Client,
    wanted: dict[str, MarginMode],
    *,
    dry_run: bool,
    verify: bool,
    progress: Progress | None,
) -> ApplyReport:
    before = read_report(client, list(wanted), progress=_stage(progress, "read"))
    if before.error is not None:
        rows = tuple(attrs.evolve(row, target=wanted[row.symbol]) for row in before.symbols)
        return ApplyReport(rows, dry_run, before.error)
    reports: dict[str, SymbolReport] = {}
    to_switch: dict[MarginMode, list[str]] = {}
    current: dict[str, MarginMode | str | None] = {}
    for row in before.symbols:
        target = wanted[row.symbol]
        if row.result is Result.UNREADABLE:
            reports[row.symbol] = attrs.evolve(row, target=target)
        elif row.current == target:
            reports[row.symbol] = SymbolReport(row.symbol, target, target, Result.UNCHANGED)
        elif dry_run:
            reports[row.symbol] = SymbolReport(row.symbol, target, row.current, Result.WOULD_SWITCH)
        else:
            to_switch.setdefault(target, []).append(row.symbol)
            current[row.symbol] = row.current
    error = None
    if to_switch:
        switched = switch_margin_modes(client, to_switch, current, verify=verify, progress=progress)
        reports.update((row.symbol, row) for row in switched.symbols)
        error = switched.error
    return ApplyReport(tuple(reports[s] for s in wanted), dry_run, error)


def read_report(
    client: Client,
    symbols: Sequence[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    deadline_s: float | None = None,
) -> ApplyReport:
    """`get_margin_modes` as report rows (`READ` or `UNREADABLE`); an error that ends the
    reads (authentication, ...) makes every symbol `UNREADABLE` with its reason."""
    options: dict[str, Any] = {} if deadline_s is None else {"deadline_s": deadline_s}
    try:
        readout = get_margin_modes(client, symbols, progress=progress, **options)
    except _CALLERS_MISTAKES:
        raise
    except KucoinError as error:
        return ApplyReport(tuple(_unreadable(s, None, error) for s in symbols), False, error)
    return ApplyReport(tuple(_read_row(readout, s) for s in readout.requested), False)


def _read_row(readout: MarginModeReadout, symbol: str) -> SymbolReport:
    if symbol in readout.modes:
        return SymbolReport(symbol, None, readout.modes[symbol], Result.READ)
    return _unreadable(symbol, None, readout.failed[symbol])


def _unreadable(symbol: str, target: MarginMode | None, error: KucoinError) -> SymbolReport:
    return SymbolReport(
        symbol,
        target,
        None,
        Result.UNREADABLE,
        None,
        error_code(error),
        error_message(error),
        failure_reason(error),
    )


def _stage(progress: Progress | None, stage: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(stage, done, total)


def switch_margin_modes(
    client: Client,
    to_switch: Mapping[MarginMode, Sequence[str]],
    current: Mapping[str, MarginMode | str | None],
    *,
    verify: bool,
    progress: Progress | None = None,
    deadline_s: float | None = None,
) -> ApplyReport:
    """Switch each target's symbols (batches of at most `BATCH_MAX_SYMBOLS`), then read
    back those reported switched (with `verify`). A batch that fails as a whole ends the
    switching: its symbols are `FAILED`, later batches' `NOT_ATTEMPTED`, and what was
    switched before is still read back and reported. `current` is each symbol's mode
    before, where known. `deadline_s` bounds the switches and the read-back together (None:
    an enclosing call's deadline, else the default for the requests they need)."""
    check_deadline_s(deadline_s)
    symbols_in = sum(len(symbols) for symbols in to_switch.values())
    requests = symbols_in + -(-symbols_in // BATCH_MAX_SYMBOLS) + len(to_switch)
    with call_deadline(sync_http(client).monotonic, deadline_s, requests=requests):
        return _switch_within_deadline(client, to_switch, current, verify=verify, progress=progress)


def _switch_within_deadline(
    client: Client,
    to_switch: Mapping[MarginMode, Sequence[str]],
    current: Mapping[str, MarginMode | str | None],
    *,
    verify: bool,
    progress: Progress | None,
) -> ApplyReport:
    batches = [
        (target, list(symbols[start : start + BATCH_MAX_SYMBOLS]))
        for target, symbols in to_switch.items()
        for start in range(0, len(symbols), BATCH_MAX_SYMBOLS)
    ]
    outcomes: dict[str, MarginModeOutcome] = {}
    ended: dict[str, KucoinError] = {}
    error: KucoinError | None = None
    for done, (target, batch) in enumerate(batches, 1):
        if error is not None:
            break
        try:
            outcome = set_margin_mode(client, target, batch)
        except _CALLERS_MISTAKES:
            raise
        except KucoinError as exc:
            error = exc
            ended.update(dict.fromkeys(batch, exc))
        else:
            outcomes.update(dict.fromkeys(batch, outcome))
        if progress is not None:
            progress("switch", done, len(batches))
    checked = None
    reported = [s for s, outcome in outcomes.items() if s in outcome.switched]
    if verify and reported:
        checked = read_report(client, reported, progress=_stage(progress, "verify"))
        error = error or checked.error
    back = {} if checked is None else {row.symbol: row for row in checked.symbols}
    rows = []
    for target, batch in batches:
        for symbol in batch:
            before = current.get(symbol)
            if symbol in outcomes:
                rows.append(_switch_row(symbol, target, before, outcomes[symbol], back.get(symbol)))
            elif symbol in ended:
                failure = ended[symbol]
                rows.append(
                    SymbolReport(
                        symbol,
                        target,
                        before,
                        Result.FAILED,
                        None,
                        error_code(failure),
                        error_message(failure),
                        failure_reason(failure),
                    )
                )
            else:
                rows.append(
                    SymbolReport(
                        symbol,
                        target,
                        before,
                        Result.NOT_ATTEMPTED,
                        msg="not sent: an earlier batch ended the call",
                        reason=Reason.NOT_ATTEMPTED,
                    )
                )
    return ApplyReport(tuple(rows), False, error)


def _switch_row(
    symbol: str,
    target: MarginMode,
    current: MarginMode | str | None,
    outcome: MarginModeOutcome,
    back: SymbolReport | None,
) -> SymbolReport:
    if symbol in outcome.failed:
        failure = outcome.failed[symbol]
        # A mode the reply shows for a refused symbol is the mode it kept: its mode before.
        before = current if current is not None else failure.mode
        reason = batch_entry_reason(failure.code) if failure.code is not None else Reason.MISMATCH
        return SymbolReport(
            symbol, target, before, Result.FAILED, failure.mode, failure.code, failure.msg, reason
        )
    if symbol not in outcome.switched:
        return SymbolReport(
            symbol,
            target,
            current,
            Result.FAILED,
            msg="not mentioned in the reply",
            reason=Reason.NOT_IN_REPLY,
        )
    if back is None:
        return SymbolReport(symbol, target, current, Result.SWITCHED, outcome.switched[symbol])
    if back.result is Result.UNREADABLE:
        return attrs.evolve(
            back,
            target=target,
            current=current,
            result=Result.UNVERIFIED,
            msg=f"reported switched, but the read-back failed: {back.msg}",
        )
    if back.current != target:
        return SymbolReport(
            symbol,
            target,
            current,
            Result.UNVERIFIED,
            back.current,
            None,
            f"reported switched to {target}, but reads back {back.current}",
            Reason.MISMATCH,
        )
    return SymbolReport(symbol, target, current, Result.SWITCHED, back.current)
