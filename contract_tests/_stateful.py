"""Read-after-write consistency of the margin-mode family, as a schemathesis check.

No built-in check compares values across calls, so `read_after_switch` does. It follows
every response of a run, in order, and keeps a model of what the server said: for each
symbol, the mode the last *successful* switch reported for it (single switch: `data`;
batch: `data.marginMode`, for symbols not in `data.errors`). Each successful read of a
symbol in the model must then return that mode. In the stateful phase every read is a
step that followed a link from a switch (openapi.yaml's links; the read is no root of
a scenario, having no links of its own), so those comparisons are the read-after-switch
pairs the run counts; a run that compares fewer than `min_pairs` of them fails.

What counts as what:

- A switch answered `200000` whose request was valid: each symbol it reports as switched
  is recorded with the reported mode (not the requested one: a reply that disagrees with
  the state must show up at the next read).
- A switch answered with a business error (HTTP 200, another `code`, which the spec's
  `oneOf` allows), a symbol listed in `data.errors`, and a refusal (400, 401, 429) are no
  successful switch: the model keeps what it knew (openapi.yaml: such a symbol keeps its
  mode).
- Anything else (5xx, a reply that cannot be read, an invalid request the server
  accepted): the symbols named are forgotten, since their mode is unknown.
- The JSON type of `code` and the spelling of a mode are `response_schema_conformance`'s
  business: this check compares meanings (`str(code)`, modes case-insensitively), so one
  bug is reported by one check.

Requests other checks send (the unauthenticated copies of `ignored_auth`, our forged ones)
repeat a request the model has seen, so they cannot change what a switch left behind.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Iterator, Sequence
from typing import Any, Final

import attrs
import schemathesis

from .operations import BATCH_PATH, READ_PATH, SWITCH_PATH

CHECK_NAME: Final = "read_after_switch"
# The three operations this check follows, by operationId from openapi.yaml.
BATCH_OPERATION: Final = f"POST {BATCH_PATH}"
SWITCH_OPERATION: Final = f"POST {SWITCH_PATH}"
READ_OPERATION: Final = f"GET {READ_PATH}"
SUCCESS: Final = "200000"
UNKNOWN_SYMBOL: Final = "200003"
MODES: Final = ("ISOLATED", "CROSS")
# A refusal leaves the state as it was: the body broke the spec, the gateway refused it.
REFUSED: Final = frozenset({400, 401, 429})
DEFAULT_MIN_PAIRS: Final = 1


@attrs.frozen
class Reported:
    """What a successful change left for one symbol (a switch: the mode it reported; a
    leverage change: the leverage it sent), and which operation it was."""

    value: str
    operation: str


@attrs.define
class Tally:
    """What one run's `read_after_switch` (or `read_after_leverage_change`) compared
    (read by `run_suite`)."""

    # Whether the stateful phase is part of the run (the floor applies only then).
    stateful: bool = True
    # What a pair is, in the floor's message, and the check that fails below the floor.
    pair_name: str = "read-after-switch"
    check_name: str = "read_after_switch"
    # Whether the responses seen now are the stateful phase's (set by the run).
    in_stateful: bool = False
    min_pairs: int = DEFAULT_MIN_PAIRS
    # (read case id, symbol) of every read compared with a switch, stateful phase only.
    stateful_pairs: set[tuple[str, str]] = attrs.Factory(set)
    # The same, in the other phases (reported, not counted towards the floor).
    other_pairs: set[tuple[str, str]] = attrs.Factory(set)
    mismatches: set[tuple[str, str]] = attrs.Factory(set)
    model: dict[str, Reported] = attrs.Factory(dict)

    @property
    def pairs(self) -> int:
        return len(self.stateful_pairs)


_active: Tally | None = None


def floor_message(tally: Tally, min_pairs: int) -> str | None:
    """Why a run proved too little, or None: its stateful phase compared fewer than
    `min_pairs` read-after-switch pairs (no floor when the run has no stateful phase)."""
    if not tally.stateful or tally.pairs >= min_pairs:
        return None
    return (
        f"the stateful phase compared {tally.pairs} {tally.pair_name} pairs, fewer "
        f"than the floor of {min_pairs}: the links from the changes to the "
        "reads, or the symbols they carry, no longer lead to reads of changed symbols"
    )


@contextlib.contextmanager
def consistency_for(*, stateful: bool) -> Iterator[Tally]:
    """Arm the check for one run; yields the tally the run's check instance fills."""
    global _active
    _active = Tally(stateful=stateful)
    try:
        yield _active
    finally:
        _active = None


def parse_json(content: bytes) -> Any:
    """The JSON document in `content`, or None if it is not JSON."""
    try:
        return json.loads(content)
    except ValueError:
        return None


def _mode(value: object) -> str | None:
    return value.upper() if isinstance(value, str) else None


def _switched(case: Any) -> tuple[list[str], str | None]:
    """(the symbols a switch request names, its target mode if the request is valid)."""
    body = case.body
    if not isinstance(body, dict):
        return [], None
    if case.operation.label == BATCH_OPERATION:
        raw = body.get("symbols")
        items = raw if isinstance(raw, list) else []
        symbols = [s for s in items if isinstance(s, str)]
        valid = (
            bool(items)
            and len(symbols) == len(items)
            and len(set(symbols)) == len(symbols)
            and set(body) == {"marginMode", "symbols"}
        )
    else:
        symbol = body.get("symbol")
        symbols = [symbol] if isinstance(symbol, str) else []
        valid = bool(symbols) and set(body) == {"marginMode", "symbol"}
    target = body.get("marginMode")
    return symbols, target if valid and target in MODES else None


@schemathesis.check
class read_after_switch:  # schemathesis names a check after its class
    """A read after a switch returns the mode that switch reported for the symbol."""

    def __init__(self, min_pairs: int = DEFAULT_MIN_PAIRS) -> None:
        self.tally = _active if _active is not None else Tally()
        self.tally.min_pairs = min_pairs

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        label = case.operation.label
        if label in (BATCH_OPERATION, SWITCH_OPERATION):
            self._observe_switch(label, response, case)
        elif label == READ_OPERATION:
            self._compare_read(ctx, response, case)
        return None

    # ---- the model ---------------------------------------------------------------------

    def _observe_switch(self, label: str, response: Any, case: Any) -> None:
        model = self.tally.model
        symbols, target = _switched(case)
        status = response.status_code
        if status in REFUSED:
            return
        parsed = parse_json(response.content) if status == 200 else None
        reply: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        code = str(reply["code"]) if reply.get("code") is not None else None
        if code is not None and code != SUCCESS and "data" not in reply:
            return  # a business error: no successful switch
        if target is None or code != SUCCESS:
            for symbol in symbols:  # what happened to them is unknown
                model.pop(symbol, None)
            return
        data = reply.get("data")
        data = data if isinstance(data, dict) else {}
        if label == SWITCH_OPERATION:
            (symbol,) = symbols
            mode = _mode(data.get("marginMode"))
            if mode is None or data.get("symbol") != symbol:
                model.pop(symbol, None)
            else:
                model[symbol] = Reported(mode, label)
            return
        reported = data.get("marginMode")
        reported = reported if isinstance(reported, dict) else {}
        errors = data.get("errors")
        failed = {
            error.get("symbol")
            for error in (errors if isinstance(errors, list) else [])
            if isinstance(error, dict)
        }
        for symbol in symbols:
            if symbol in failed:
                continue  # not switched: it keeps its mode
            mode = _mode(reported.get(symbol))
            if mode is None:
                model.pop(symbol, None)
            else:
                model[symbol] = Reported(mode, label)

    def _compare_read(self, ctx: Any, response: Any, case: Any) -> None:
        symbol = (case.query or {}).get("symbol")
        if not isinstance(symbol, str):
            return
        expected = self.tally.model.get(symbol)
        if expected is None or response.status_code != 200:
            return
        reply = parse_json(response.content)
        if not isinstance(reply, dict):
            return
        code = str(reply.get("code"))
        data = reply.get("data")
        if code == SUCCESS and isinstance(data, dict):
            got = _mode(data.get("marginMode"))
            if got is None:
                return
        elif code == UNKNOWN_SYMBOL:
            got = "not a contract (200003)"
        else:
            return  # another business error: nothing was read
        tally = self.tally
        key = (str(case.id), symbol)
        (tally.stateful_pairs if tally.in_stateful else tally.other_pairs).add(key)
        if got != expected.value:
            tally.mismatches.add(key)
            raise AssertionError(
                f"GET getMarginMode?symbol={symbol} returned {got}, but the last successful "
                f"switch of {symbol} ({expected.operation}) reported {expected.value}"
            )


# ---- symbols from the catalogue -------------------------------------------------------------


def catalogue_mapping(generated: Sequence[str], catalogue: Sequence[str]) -> dict[str, str]:
    """An injective map of distinct generated strings onto catalogue symbols.

    Catalogue symbols map to themselves; each other string goes to a free catalogue symbol
    chosen by a stable hash of it, while free ones remain (then it stays as it is). Equal
    strings get equal symbols and distinct ones distinct symbols, so a list keeps its
    length and its uniqueness, and a valid request stays valid.
    """
    known = set(catalogue)
    taken = {value for value in generated if value in known}
    mapping = {value: value for value in taken}
    free = [symbol for symbol in catalogue if symbol not in taken]
    for value in dict.fromkeys(generated):
        if value in mapping or not free:
            continue
        mapping[value] = free.pop(zlib.crc32(value.encode("utf-8", "surrogatepass")) % len(free))
    return mapping
