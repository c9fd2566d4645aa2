"""Bring symbols to the margin modes a caller wants: read, switch what differs, read back.

    report = apply_margin_modes(client, {"XBTUSDTM": "ISOLATED", "ETHUSDTM": "CROSS"})
    report.all_as_asked, [(s.symbol, s.result) for s in report.symbols]

Reading first is what keeps a bot out of KuCoin's `330005` (an order's margin mode does
not match the position's): it acts on the difference, so running it twice switches
nothing the second time. Every symbol asked about gets exactly one `SymbolReport`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from kucoin_futures_client import Client
from kucoin_futures_client.models import MarginMode

from ._deadline import call_deadline, check_deadline_s
from ._errors import InvalidInputError
from ._margin import BATCH_MAX_SYMBOLS, check_symbols, set_margin_mode
from ._modes import KNOWN_MODES
from ._outcome import MarginModeOutcome
from ._reads import MarginModeReadout, error_code, error_message, get_margin_modes, sync_http

Progress = Callable[[str, int, int], None]
"""Called as `progress(stage, done, total)` while reading ("read") or switching ("switch")."""


class Result(enum.StrEnum):
    """Where a symbol ended up."""

    UNCHANGED = "unchanged"
    """It already had the target mode: nothing was sent for it."""
    WOULD_SWITCH = "would switch"
    """Dry run: it would be switched."""
    SWITCHED = "switched"
    """Switched, and (unless verification was off) read back in the target mode."""
    FAILED = "failed"
    """KuCoin refused its switch (`code`, `msg`), e.g. 50002 for an open position."""
    UNVERIFIED = "unverified"
    """Reported switched, but reads back in another mode (`after`) or not at all."""
    UNREADABLE = "unreadable"
    """Its current mode could not be read (`code`, `msg`): nothing was sent for it."""


@attrs.frozen
class SymbolReport:
    """One symbol's plan and result. `current` is the mode read before (None if it could
    not be read), `after` the mode read back after a switch (None if not read back)."""

    symbol: str
    target: MarginMode
    current: MarginMode | str | None
    result: Result
    after: MarginMode | str | None = None
    code: str | None = None
    msg: str = ""

    @property
    def as_asked(self) -> bool:
        return self.result in (Result.UNCHANGED, Result.SWITCHED)

    def as_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "current": None if self.current is None else str(self.current),
            "target": str(self.target),
            "result": str(self.result),
            "after": None if self.after is None else str(self.after),
            "code": self.code,
            "msg": self.msg,
        }


@attrs.frozen
class ApplyReport:
    """Every requested symbol's `SymbolReport`, in the caller's order."""

    symbols: tuple[SymbolReport, ...]
    dry_run: bool

    @property
    def all_as_asked(self) -> bool:
        """Every symbol has its target mode (dry run: every symbol could be read)."""
        if self.dry_run:
            return all(s.result is not Result.UNREADABLE for s in self.symbols)
        return all(s.as_asked for s in self.symbols)

    def as_json(self) -> dict[str, Any]:
        return {"dryRun": self.dry_run, "symbols": [s.as_json() for s in self.symbols]}


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

    With `dry_run`, only reads are sent. `deadline_s` bounds the whole call, reads,
    switches and read-backs (None: `default_deadline_s` of two reads a symbol and two
    batches): a symbol whose read it stops is reported unreadable with the
    `DeadlineExceededError`'s message, a switch it stops raises that error. Raises
    what a whole call raises (`InvalidInputError` before anything is sent,
    authentication errors, ...); a symbol's own trouble is in its report.
    """
    wanted = margin_mode_targets(targets)
    check_deadline_s(deadline_s)
    http = sync_http(client)
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
    before = get_margin_modes(client, list(wanted), progress=_stage(progress, "read"))
    reports: dict[str, SymbolReport] = {}
    to_switch: dict[MarginMode, list[str]] = {}
    for symbol, target in wanted.items():
        if symbol in before.failed:
            error = before.failed[symbol]
            reports[symbol] = SymbolReport(
                symbol,
                target,
                None,
                Result.UNREADABLE,
                None,
                error_code(error),
                error_message(error),
            )
        elif before.modes[symbol] == target:
            reports[symbol] = SymbolReport(symbol, target, target, Result.UNCHANGED)
        elif dry_run:
            reports[symbol] = SymbolReport(
                symbol, target, before.modes[symbol], Result.WOULD_SWITCH
            )
        else:
            to_switch.setdefault(target, []).append(symbol)
    if to_switch:
        switched = _switch(client, to_switch, progress)
        checked = _read_back(client, switched, verify=verify, progress=progress)
        for target, symbols in to_switch.items():
            for symbol in symbols:
                reports[symbol] = _switch_report(
                    symbol, target, before.modes[symbol], switched, checked
                )
    return ApplyReport(tuple(reports[s] for s in wanted), dry_run)


def _stage(progress: Progress | None, stage: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(stage, done, total)


def _switch(
    client: Client, to_switch: dict[MarginMode, list[str]], progress: Progress | None
) -> dict[str, MarginModeOutcome]:
    """The outcome each switched symbol's batch reported, by symbol."""
    batches = [
        (target, symbols[start : start + BATCH_MAX_SYMBOLS])
        for target, symbols in to_switch.items()
        for start in range(0, len(symbols), BATCH_MAX_SYMBOLS)
    ]
    by_symbol: dict[str, MarginModeOutcome] = {}
    for done, (target, batch) in enumerate(batches, 1):
        outcome = set_margin_mode(client, target, batch)
        by_symbol.update(dict.fromkeys(batch, outcome))
        if progress is not None:
            progress("switch", done, len(batches))
    return by_symbol


def _read_back(
    client: Client,
    switched: dict[str, MarginModeOutcome],
    *,
    verify: bool,
    progress: Progress | None,
) -> MarginModeReadout | None:
    reported = [s for s, outcome in switched.items() if s in outcome.switched]
    if not verify or not reported:
        return None
    return get_margin_modes(client, reported, progress=_stage(progress, "verify"))


def _switch_report(
    symbol: str,
    target: MarginMode,
    current: MarginMode | str,
    switched: dict[str, MarginModeOutcome],
    checked: MarginModeReadout | None,
) -> SymbolReport:
    outcome = switched[symbol]
    if symbol in outcome.failed:
        failure = outcome.failed[symbol]
        return SymbolReport(
            symbol, target, current, Result.FAILED, failure.mode, failure.code, failure.msg
        )
    if symbol not in outcome.switched:
        return SymbolReport(
            symbol, target, current, Result.FAILED, None, None, "not mentioned in the reply"
        )
    return verified_report(symbol, target, current, checked)


def verified_report(
    symbol: str,
    target: MarginMode,
    current: MarginMode | str | None,
    checked: MarginModeReadout | None,
) -> SymbolReport:
    """The report of a symbol its switch reported switched, given its read-back."""
    if checked is None:
        return SymbolReport(symbol, target, current, Result.SWITCHED)
    if symbol in checked.failed:
        error = checked.failed[symbol]
        return SymbolReport(
            symbol,
            target,
            current,
            Result.UNVERIFIED,
            None,
            error_code(error),
            f"reported switched, but the read-back failed: {error_message(error)}",
        )
    after = checked.modes[symbol]
    if after != target:
        return SymbolReport(
            symbol,
            target,
            current,
            Result.UNVERIFIED,
            after,
            None,
            f"reported switched to {target}, but reads back {after}",
        )
    return SymbolReport(symbol, target, current, Result.SWITCHED, after)
