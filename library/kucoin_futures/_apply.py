"""Bring symbols to the position settings a caller wants: read, change what differs, read back.

    report = apply_position_settings(
        client, {"XBTUSDTM": "ISOLATED", "ETHUSDTM": {"marginMode": "CROSS", "leverage": 10}}
    )
    report.all_as_asked, [(r.symbol, r.SETTING, r.result, r.reason) for r in report.symbols]

Reading first is what keeps a bot out of KuCoin's `330005` (an order's margin mode does
not match the position's): it acts on the difference, so running it twice changes
nothing the second time. Margin modes are switched before leverages are changed (the
order client libraries use). Every symbol and setting asked about gets exactly one report
row, also when the call ends part-way (a batch refused as a whole, the network gone): the
report then says what was changed, what failed, what was not attempted, and carries the
error that ended it (`ApplyReport.error`).

A report row is about one setting of one symbol: `SymbolReport` (SETTING "marginMode")
and `LeverageReport` (SETTING "leverage") have the same columns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final, Generic, TypeVar

import attrs

from kucoin_futures_client import Client
from kucoin_futures_client.models import MarginMode

from ._cause import CallResult, Reason, batch_entry_reason, call_result, failure_reason
from ._deadline import call_deadline, check_deadline_s
from ._errors import ConfigurationError, DeadlineExceededError, InvalidInputError, KucoinError
from ._leverage import (
    CrossLeverageReadout,
    LeverageNotSetError,
    get_cross_leverages,
    leverage_text,
    leverage_value,
    set_cross_leverage,
)
from ._margin import BATCH_MAX_SYMBOLS, check_symbols, set_margin_mode
from ._modes import KNOWN_MODES
from ._outcome import MarginModeOutcome
from ._reads import (
    MarginModeReadout,
    error_code,
    error_message,
    first_never_sent,
    get_margin_modes,
    never_sent,
    read_many,
    sync_http,
)

Progress = Callable[[str, int, int], None]
"""Called as `progress(stage, done, total)` while reading ("read"), switching modes
("switch"), changing leverages ("change") or reading back ("verify")."""
# Raised, not reported: the caller's mistake, found before anything is sent.
_CALLERS_MISTAKES: Final = (InvalidInputError, ConfigurationError)
_SETTING_KEYS: Final = ("marginMode", "leverage")


class Result(enum.StrEnum):
    """Where a symbol's setting ended up."""

    READ = "read"
    """`get`: its value was read."""
    UNCHANGED = "unchanged"
    """It already had the target value: nothing was sent for it."""
    WOULD_SWITCH = "would switch"
    """Dry run: its margin mode would be switched."""
    SWITCHED = "switched"
    """Margin mode switched, and (unless verification was off) read back as the target."""
    WOULD_CHANGE = "would change"
    """Dry run: its leverage would be changed."""
    CHANGED = "changed"
    """Leverage changed, and (unless verification was off) read back as the target."""
    FAILED = "failed"
    """Its change failed (`reason`, `code`, `msg`), e.g. 50002 for an open position."""
    UNVERIFIED = "unverified"
    """Reported changed, but reads back another value (`after`) or not at all."""
    UNREADABLE = "unreadable"
    """Its current value could not be read (`reason`, `code`, `msg`): nothing was sent."""
    NOT_ATTEMPTED = "not attempted"
    """The call ended before its read or change was sent (the report's `error` says why;
    reason `deadline` when the deadline stopped it)."""


# A dry run asks what would change: its would-switch and would-change rows are as asked,
# as `ApplyReport.all_as_asked` (and the CLI's exit 0) count them.
_AS_ASKED: Final = frozenset(
    {
        Result.READ,
        Result.UNCHANGED,
        Result.SWITCHED,
        Result.CHANGED,
        Result.WOULD_SWITCH,
        Result.WOULD_CHANGE,
    }
)


@attrs.frozen
class _Report:
    """The columns and methods a row of either setting has (a margin mode is a `str`
    too, so both settings' values fit the same columns)."""

    SETTING: ClassVar[str]

    symbol: str
    target: MarginMode | str | None
    current: MarginMode | str | None
    result: Result
    after: MarginMode | str | None = None
    code: str | None = None
    msg: str = ""
    reason: Reason | None = None

    @property
    def as_asked(self) -> bool:
        """The row has what was asked (its `reason` is None): read, unchanged, switched or
        changed; in a dry run also `would switch` / `would change` (a dry run asks only
        what would change), matching `ApplyReport.all_as_asked`."""
        return self.result in _AS_ASKED

    def as_json(self) -> dict[str, Any]:
        """The row in the CLI's JSON (key order stable, documented in docs/cli.md; the
        same keys for both settings)."""
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


@attrs.frozen
class SymbolReport(_Report):
    """One symbol's plan and result for its margin mode. `current` is the mode read
    before (None if not read), `target` the mode asked for (None for a plain read), `after`
    the mode the switch's reply or the read-back shows (None if neither). `reason` is None
    when the row is as asked, else why not (`Reason`)."""

    SETTING: ClassVar[str] = "marginMode"


@attrs.frozen
class LeverageReport(_Report):
    """One symbol's plan and result for its cross-margin leverage, in the columns of
    `SymbolReport`. Leverages are KuCoin's strings without trailing zeros ("5", "2.5"):
    `current` read before, `target` asked for, `after` read back (None where not)."""

    SETTING: ClassVar[str] = "leverage"


Row = SymbolReport | LeverageReport
_RowClass = type[SymbolReport] | type[LeverageReport]


def _text(value: str | None) -> str | None:
    return None if value is None else str(value)


@attrs.frozen
class ApplyReport:
    """A row per requested symbol and setting, in the caller's order (a symbol's margin
    mode before its leverage), and the error that ended the call part-way (None when it
    ran to the end)."""

    symbols: tuple[SymbolReport | LeverageReport, ...]
    dry_run: bool
    error: KucoinError | None = attrs.field(default=None, eq=False)

    @property
    def all_as_asked(self) -> bool:
        """Every setting has its target; in a dry run, every setting could be read (its
        rows `unchanged`, `would switch` or `would change`). True exactly when every row's
        `as_asked` is and the call ran to the end."""
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


@attrs.frozen
class PositionSettings:
    """What one symbol should have: a margin mode, a cross-margin leverage (KuCoin's
    string, as `leverage_value` makes it), or both. None leaves that setting alone."""

    margin_mode: MarginMode | None = None
    leverage: str | None = None


def margin_mode_targets(targets: Mapping[str, MarginMode | str]) -> dict[str, MarginMode]:
    """`targets` checked (symbols as for `set_margin_mode`, modes ISOLATED or CROSS), or
    `InvalidInputError` naming the offending symbol."""
    if not isinstance(targets, Mapping) or not targets:
        raise InvalidInputError("targets must map at least one symbol to a margin mode")
    check_symbols(list(targets))
    return {symbol: _mode(symbol, mode) for symbol, mode in targets.items()}


def _mode(symbol: str, mode: object, key: str = "") -> MarginMode:
    known = KNOWN_MODES.get(mode) if isinstance(mode, str) else None
    if known is None:
        raise InvalidInputError(
            f"{symbol}: {key}margin mode must be ISOLATED or CROSS (upper case), got {_shown(mode)}"
        )
    return known


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**40 else "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."


def position_targets(targets: Mapping[str, object]) -> dict[str, PositionSettings]:
    """`targets` checked, each symbol's value one of: a margin mode ("ISOLATED" or
    "CROSS"), a map with "marginMode", "leverage" or both (leverage a number or a numeric
    string, checked by `leverage_value`), or a `PositionSettings`. Raises
    `InvalidInputError` naming the symbol and the key that is wrong."""
    if not isinstance(targets, Mapping) or not targets:
        raise InvalidInputError("targets must map at least one symbol to its position settings")
    check_symbols(list(targets))
    return {symbol: position_setting(symbol, value) for symbol, value in targets.items()}


def position_setting(symbol: str, value: object) -> PositionSettings:
    """One entry of `position_targets`, checked."""
    if isinstance(value, str):
        return PositionSettings(margin_mode=_mode(symbol, value))
    if isinstance(value, PositionSettings):
        value = {"marginMode": value.margin_mode, "leverage": value.leverage}
        value = {key: given for key, given in value.items() if given is not None}
    elif not isinstance(value, Mapping):
        raise InvalidInputError(
            f"{symbol}: margin mode must be a string, or a map of marginMode and leverage, "
            f"got {type(value).__name__}"
        )
    unknown = [key for key in value if key not in _SETTING_KEYS]
    if unknown:
        raise InvalidInputError(
            f"{symbol}: unknown key {_shown(unknown[0])} (allowed: marginMode, leverage)"
        )
    if not value:
        raise InvalidInputError(f"{symbol}: give marginMode, leverage or both")
    mode = value.get("marginMode")
    leverage = value.get("leverage")
    try:
        checked = None if "leverage" not in value else leverage_value(leverage)
    except InvalidInputError as error:
        raise InvalidInputError(f"{symbol}: {error}") from None
    return PositionSettings(
        margin_mode=None if "marginMode" not in value else _mode(symbol, mode, "marginMode: "),
        leverage=checked,
    )


def apply_margin_modes(
    client: Client,
    targets: Mapping[str, MarginMode | str],
    *,
    dry_run: bool = False,
    verify: bool = True,
    progress: Progress | None = None,
    deadline_s: float | None = None,
) -> ApplyReport:
    """`apply_position_settings` for margin modes alone: `{symbol: mode}`."""
    wanted = margin_mode_targets(targets)
    return apply_position_settings(
        client,
        {symbol: PositionSettings(margin_mode=mode) for symbol, mode in wanted.items()},
        dry_run=dry_run,
        verify=verify,
        progress=progress,
        deadline_s=deadline_s,
    )


def apply_position_settings(
    client: Client,
    targets: Mapping[str, object],
    *,
    dry_run: bool = False,
    verify: bool = True,
    progress: Progress | None = None,
    deadline_s: float | None = None,
) -> ApplyReport:
    """Read the current margin mode and leverage of every symbol that asks for one, switch
    the modes that differ (one batch per target mode, at most `BATCH_MAX_SYMBOLS` symbols
    each), then change the leverages that differ (one request a symbol), and read back
    what was changed. `targets` as `position_targets` takes them.

    With `dry_run`, only reads are sent. Raises `InvalidInputError` or
    `ConfigurationError` before anything is sent; every other failure is in the report
    (`ApplyReport.error` for the one that ended the call, each row's `reason`). A leverage
    KuCoin refuses for its symbol (e.g. `100001`, above the contract's maximum) is that
    symbol's own failure (`Reason.REFUSED`). `deadline_s` bounds the whole call: reads,
    changes and read-backs (None: `default_deadline_s` of two reads a mode and two
    batches, three requests a leverage). What it stops is reported with its
    `DeadlineExceededError`.
    """
    wanted = position_targets(targets)
    check_deadline_s(deadline_s)
    http = sync_http(client)
    modes = {s: t.margin_mode for s, t in wanted.items() if t.margin_mode is not None}
    leverages = {s: t.leverage for s, t in wanted.items() if t.leverage is not None}
    requests = (2 * len(modes) + 2 if modes else 0) + 3 * len(leverages)
    # The reads, changes and read-backs inside inherit this one deadline.
    with call_deadline(http.monotonic, deadline_s, requests=requests):
        rows, error = _apply_within_deadline(
            client, modes, leverages, dry_run=dry_run, verify=verify, progress=progress
        )
    return ApplyReport(_by_symbol(wanted, rows), dry_run, error)


def _apply_within_deadline(
    client: Client,
    modes: dict[str, MarginMode],
    leverages: dict[str, str],
    *,
    dry_run: bool,
    verify: bool,
    progress: Progress | None,
) -> tuple[list[Row], KucoinError | None]:
    reading = _stage(progress, "read")
    mode_before = read_report(client, list(modes), progress=reading) if modes else _NOTHING
    mode_plan = _Plan.of(
        SymbolReport, mode_before, modes, dry_run=dry_run, would=Result.WOULD_SWITCH
    )
    if mode_before.error is not None:
        stop = mode_before.error
        lev_rows = [_unread_after(s, t, stop) for s, t in leverages.items()]
        return [*mode_plan.not_attempted(stop), *lev_rows], stop
    lev_before = leverage_read_report(client, list(leverages), progress=reading)
    lev_plan = _Plan.of(
        LeverageReport, lev_before, leverages, dry_run=dry_run, would=Result.WOULD_CHANGE
    )
    if lev_before.error is not None:
        stop = lev_before.error
        return [*mode_plan.not_attempted(stop), *lev_plan.not_attempted(stop)], stop
    error = None
    if mode_plan.to_change:
        switched = switch_margin_modes(
            client, mode_plan.by_target(), mode_plan.current, verify=verify, progress=progress
        )
        mode_plan.rows.update((row.symbol, row) for row in switched.symbols)
        error = switched.error
    if lev_plan.to_change and error is None:
        changed = change_leverages(
            client, lev_plan.to_change, lev_plan.current, verify=verify, progress=progress
        )
        lev_plan.rows.update((row.symbol, row) for row in changed.symbols)
        error = changed.error
    return [*mode_plan.rows.values(), *lev_plan.not_attempted(error)], error


_NOTHING: Final = ApplyReport((), False)
_NOT_SENT: Final = "not sent: an earlier error ended the call"


def _stopped_by(error: KucoinError | None, msg: str = _NOT_SENT) -> dict[str, Any]:
    """`msg` and `reason` of a row nothing was sent for because `error` ended the call:
    the deadline is named as the reason (`Reason.DEADLINE`), anything else is
    `Reason.NOT_ATTEMPTED`."""
    if isinstance(error, DeadlineExceededError):
        return {
            "msg": f"not sent: the call's deadline of {error.deadline_s:g} s has passed",
            "reason": Reason.DEADLINE,
        }
    return {"msg": msg, "reason": Reason.NOT_ATTEMPTED}


_Target = TypeVar("_Target", MarginMode, str)


def _not_attempted(
    row: _RowClass,
    symbol: str,
    target: MarginMode | str | None,
    current: MarginMode | str | None,
    error: KucoinError | None,
    msg: str = _NOT_SENT,
) -> Row:
    """The row of a symbol nothing was sent for because `error` ended the call."""
    return row(symbol, target, current, Result.NOT_ATTEMPTED, **_stopped_by(error, msg))


def _failed(
    row: _RowClass,
    symbol: str,
    target: MarginMode | str,
    current: MarginMode | str | None,
    error: KucoinError,
    reason: Reason | None = None,
) -> Row:
    """The row of a symbol whose switch or change `error` ended (not attempted if the
    error kept it from being sent)."""
    result = Result.NOT_ATTEMPTED if never_sent(error) else Result.FAILED
    return row(symbol, target, current, result, None, **_failure(error, reason))


@attrs.define
class _Plan(Generic[_Target]):
    """What the reads before say about one setting (rows made by `row`): the rows known
    now, and the symbols whose value differs (`to_change`: symbol to target, in the
    caller's order) with their values before."""

    row: _RowClass
    rows: dict[str, Row] = attrs.field(factory=dict)
    to_change: dict[str, _Target] = attrs.field(factory=dict)
    current: dict[str, MarginMode | str | None] = attrs.field(factory=dict)

    @classmethod
    def of(
        cls,
        row: _RowClass,
        before: ApplyReport,
        wanted: Mapping[str, _Target],
        *,
        dry_run: bool,
        would: Result,
    ) -> _Plan[_Target]:
        plan = cls(row)
        for read in (r for r in before.symbols if isinstance(r, row)):
            symbol, target, current = read.symbol, wanted[read.symbol], read.current
            if read.result in _NOT_READ:
                plan.rows[symbol] = attrs.evolve(read, target=target)
            elif current == target:  # leverages both in KuCoin's form: "10" == "10"
                plan.rows[symbol] = row(symbol, target, target, Result.UNCHANGED)
            elif dry_run:
                plan.rows[symbol] = row(symbol, target, current, would)
            else:
                plan.to_change[symbol] = target
                plan.current[symbol] = current
        return plan

    def by_target(self) -> dict[_Target, list[str]]:
        """`to_change` grouped by target, each group in the caller's order."""
        groups: dict[_Target, list[str]] = {}
        for symbol, target in self.to_change.items():
            groups.setdefault(target, []).append(symbol)
        return groups

    def not_attempted(self, error: KucoinError | None) -> list[Row]:
        """The rows, each value still to change (`error` ended the call before) not
        attempted."""
        rows = dict(self.rows)
        for symbol, target in self.to_change.items():
            current = self.current[symbol]
            rows.setdefault(symbol, _not_attempted(self.row, symbol, target, current, error))
        return list(rows.values())


def _by_symbol(order: Iterable[str], rows: Iterable[Row]) -> tuple[Row, ...]:
    """`rows` in the caller's order of symbols, each symbol's rows in the order given."""
    grouped: dict[str, list[Row]] = {symbol: [] for symbol in order}
    for row in rows:
        grouped[row.symbol].append(row)
    return tuple(row for group in grouped.values() for row in group)


def read_report(
    client: Client,
    symbols: Sequence[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    deadline_s: float | None = None,
    leverage: bool = False,
) -> ApplyReport:
    """`get_margin_modes` as report rows (`READ` or `UNREADABLE`); an error that ends the
    reads (authentication, ...) makes every symbol `UNREADABLE` with its reason. With
    `leverage`, each symbol's mode row is followed by its leverage row (both read within
    one `deadline_s`)."""
    if not leverage:
        return _mode_read_report(client, symbols, progress=progress, deadline_s=deadline_s)
    check_deadline_s(deadline_s)
    with call_deadline(sync_http(client).monotonic, deadline_s, requests=2 * len(symbols)):
        modes = _mode_read_report(client, symbols, progress=progress, deadline_s=None)
        if modes.error is not None:
            error = modes.error
            leverages = ApplyReport(tuple(_unread_after(s, None, error) for s in symbols), False)
        else:
            leverages = leverage_read_report(client, symbols, progress=progress)
    return ApplyReport(
        _by_symbol(symbols, [*modes.symbols, *leverages.symbols]),
        False,
        modes.error or leverages.error,
    )


def _mode_read_report(
    client: Client,
    symbols: Sequence[str],
    *,
    progress: Callable[[int, int], None] | None,
    deadline_s: float | None,
) -> ApplyReport:
    return _read_rows(
        SymbolReport,
        symbols,
        lambda: get_margin_modes(client, symbols, progress=progress, deadline_s=deadline_s),
        lambda readout: readout.modes,
    )


def leverage_read_report(
    client: Client,
    symbols: Sequence[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    deadline_s: float | None = None,
) -> ApplyReport:
    """`get_cross_leverages` as report rows, as `read_report` makes them for modes."""
    if not symbols:
        return _NOTHING
    return _read_rows(
        LeverageReport,
        symbols,
        lambda: get_cross_leverages(client, symbols, progress=progress, deadline_s=deadline_s),
        lambda readout: {s: leverage_text(value) for s, value in readout.leverages.items()},
    )


_Readout = TypeVar("_Readout", MarginModeReadout, CrossLeverageReadout)


def _read_rows(
    row: _RowClass,
    symbols: Sequence[str],
    read: Callable[[], _Readout],
    values: Callable[[_Readout], Mapping[str, MarginMode | str]],
) -> ApplyReport:
    """`read()` as `row`s (`READ` with `values` of the readout, else why not); an error
    that ends the reads (authentication, ...) is every symbol's row."""
    try:
        readout = read()
    except _CALLERS_MISTAKES:
        raise
    except KucoinError as error:
        return ApplyReport(tuple(_unreadable(row, s, None, error) for s in symbols), False, error)
    read_values = values(readout)
    return ApplyReport(
        tuple(
            row(s, None, read_values[s], Result.READ)
            if s in read_values
            else _unreadable(row, s, None, readout.failed[s])
            for s in readout.requested
        ),
        False,
        first_never_sent(readout.failed.values()),
    )


def _unreadable(
    row: _RowClass,
    symbol: str,
    target: MarginMode | str | None,
    error: KucoinError,
) -> Row:
    return row(symbol, target, None, _unread(error), None, **_failure(error))


def _unread_after(symbol: str, target: str | None, error: KucoinError) -> Row:
    """The leverage row of a symbol whose read `error` (of an earlier read) kept from
    being sent."""
    if never_sent(error):
        return _not_attempted(LeverageReport, symbol, target, None, error)
    return _unreadable(LeverageReport, symbol, target, error)


def _unread(error: KucoinError) -> Result:
    """A read the deadline kept from being sent was not attempted; any other failed."""
    return Result.NOT_ATTEMPTED if never_sent(error) else Result.UNREADABLE


_NOT_READ: Final = frozenset({Result.UNREADABLE, Result.NOT_ATTEMPTED})


def _failure(error: KucoinError, reason: Reason | None = None) -> dict[str, Any]:
    return {
        "code": error_code(error),
        "msg": error_message(error),
        "reason": failure_reason(error) if reason is None else reason,
    }


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
    back = (
        {}
        if checked is None
        else {r.symbol: r for r in checked.symbols if isinstance(r, SymbolReport)}
    )
    rows: list[Row] = []
    for target, batch in batches:
        for symbol in batch:
            before = current.get(symbol)
            if symbol in outcomes:
                rows.append(_switch_row(symbol, target, before, outcomes[symbol], back.get(symbol)))
            elif symbol in ended:
                rows.append(_failed(SymbolReport, symbol, target, before, ended[symbol]))
            else:
                msg = "not sent: an earlier batch ended the call"
                rows.append(_not_attempted(SymbolReport, symbol, target, before, error, msg))
    return ApplyReport(tuple(rows), False, error)


def _switch_row(
    symbol: str,
    target: MarginMode,
    current: MarginMode | str | None,
    outcome: MarginModeOutcome,
    back: SymbolReport | None,
) -> Row:
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
    return _verified(SymbolReport, symbol, target, current, Result.SWITCHED, back)


def change_leverages(
    client: Client,
    targets: Mapping[str, str],
    current: Mapping[str, str | None],
    *,
    verify: bool,
    progress: Progress | None = None,
    deadline_s: float | None = None,
) -> ApplyReport:
    """Change each symbol's cross-margin leverage to its target (KuCoin's string, checked
    by `leverage_value` already; one request a symbol, paced, a used-up quota waited out
    as for reads), then read back those changed (with `verify`). A refusal of one
    symbol's value is that symbol's (`Reason.REFUSED` for 100001 or `data: false`,
    `UNKNOWN_SYMBOL`), any other refusal the request's (`REQUEST_REFUSED`); the others
    go on either way; authentication, permission or configuration errors end the call (`error`),
    the symbols after it `NOT_ATTEMPTED`. `current` is each symbol's leverage before,
    where known. `deadline_s` bounds the changes and the read-back together (None: an
    enclosing call's deadline, else the default for the requests they need)."""
    check_deadline_s(deadline_s)
    http = sync_http(client)
    symbols = tuple(targets)
    with call_deadline(http.monotonic, deadline_s, requests=2 * len(symbols)):
        changed = read_many(
            http,
            symbols,
            lambda symbol: set_cross_leverage(client, symbol, targets[symbol]),
            deadline_s=None,
            progress=_stage(progress, "change"),
            report_fatal=True,
            not_done="not changed",
        )
        back = None
        if verify and changed.values:
            back = leverage_read_report(
                client, list(changed.values), progress=_stage(progress, "verify")
            )
    read_back = {} if back is None else {row.symbol: row for row in back.symbols}
    error = changed.error or (None if back is None else back.error)
    rows: list[Row] = []
    for symbol in symbols:
        target, before = targets[symbol], current.get(symbol)
        if symbol in changed.values:
            accepted = leverage_text(changed.values[symbol])
            rows.append(_change_row(symbol, target, before, accepted, read_back.get(symbol)))
        elif symbol in changed.failed:
            failure = changed.failed[symbol]
            reason = _change_reason(failure)
            rows.append(_failed(LeverageReport, symbol, target, before, failure, reason))
        else:
            rows.append(_not_attempted(LeverageReport, symbol, target, before, error))
    return ApplyReport(tuple(rows), False, error)


def _change_reason(error: KucoinError) -> Reason:
    """A leverage change is a request about one symbol, but only a refusal of the value
    asked for (`100001`, e.g. above the contract's maximum; `data: false`) is that
    symbol's own failure; any other refusal (404000, 400100, 300000, ...) stays the whole
    request's (`Reason.REQUEST_REFUSED`), as for every other call."""
    if isinstance(error, LeverageNotSetError) or error_code(error) in _VALUE_REFUSED:
        return Reason.REFUSED
    return failure_reason(error)


_VALUE_REFUSED: Final = frozenset({"100001"})


def _change_row(
    symbol: str, target: str, current: str | None, accepted: str, back: Row | None
) -> Row:
    if back is None:
        return LeverageReport(symbol, target, current, Result.CHANGED, accepted)
    return _verified(LeverageReport, symbol, target, current, Result.CHANGED, back)


def _verified(
    row: _RowClass,
    symbol: str,
    target: MarginMode | str,
    current: MarginMode | str | None,
    done: Result,
    back: Row,
) -> Row:
    """The row of a value reported `done` (switched, changed), as its read-back `back`
    shows it."""
    if back.result in _NOT_READ:
        msg = f"reported {done}, but the read-back failed: {back.msg}"
        return row(symbol, target, current, Result.UNVERIFIED, None, back.code, msg, back.reason)
    if back.current != target:
        msg = f"reported {done} to {target}, but reads back {back.current}"
        return row(
            symbol, target, current, Result.UNVERIFIED, back.current, None, msg, Reason.MISMATCH
        )
    return row(symbol, target, current, done, back.current)
