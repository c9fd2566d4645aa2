"""Read-after-write consistency of the cross-margin leverage, as a schemathesis check.

`read_after_leverage_change` is `read_after_switch`'s twin (`_stateful.py`) for the two
leverage operations: it follows every response of a run and keeps, per symbol, the
leverage the last *successful* change sent; each successful read of such a symbol must
return it. openapi.yaml's link `ReadChangedLeverage` makes every read in the stateful
phase a step after a change of the same symbol, so those comparisons are the pairs the
run counts, and a run whose stateful phase compares fewer than `min_pairs` fails.

The change replies only `data: true`, so the model holds the leverage the request sent:

- A change answered `200000` with `data` true, whose request was valid: the symbol's
  leverage is the one sent.
- A business error (HTTP 200, another `code`, no `data`: out of range, unknown symbol)
  and a refusal (400, 401, 429) change nothing: the model keeps what it knew.
- Anything else (5xx, a reply that cannot be read, `data` not true, an invalid request
  the server accepted): the symbol is forgotten, since its leverage is unknown.
- Leverages are compared as numbers (`"2.50"` and `"2.5"` are one leverage); the string
  type and pattern of the read's `leverage` are `response_schema_conformance`'s business.

A margin-mode switch leaves the leverage alone (openapi.yaml: the leverage is a setting of
the symbol whatever its mode), so switches do not touch this model.
"""

from __future__ import annotations

import contextlib
import decimal
import re
from collections.abc import Iterator
from typing import Any, Final

import schemathesis

from ._stateful import (
    DEFAULT_MIN_PAIRS,
    REFUSED,
    SUCCESS,
    UNKNOWN_SYMBOL,
    Reported,
    Tally,
    parse_json,
)
from .operations import LEVERAGE_CHANGE_PATH, LEVERAGE_READ_PATH

CHECK_NAME: Final = "read_after_leverage_change"
CHANGE_OPERATION: Final = f"POST {LEVERAGE_CHANGE_PATH}"
LEVERAGE_READ_OPERATION: Final = f"GET {LEVERAGE_READ_PATH}"
# openapi.yaml's Leverage pattern: what a valid request sends.
_LEVERAGE: Final = re.compile(r"[0-9]{1,4}(\.[0-9]{1,2})?")

_active: Tally | None = None


@contextlib.contextmanager
def leverage_consistency_for(*, stateful: bool) -> Iterator[Tally]:
    """Arm the check for one run; yields the tally the run's check instance fills."""
    global _active
    _active = Tally(
        stateful=stateful, pair_name="read-after-leverage-change", check_name=CHECK_NAME
    )
    try:
        yield _active
    finally:
        _active = None


def _number(value: object) -> decimal.Decimal | None:
    if not isinstance(value, str) or _LEVERAGE.fullmatch(value) is None:
        return None
    return decimal.Decimal(value)


def _changed(case: Any) -> tuple[str | None, str | None]:
    """(the symbol a change request names, its leverage if the request is valid)."""
    body = case.body
    if not isinstance(body, dict):
        return None, None
    symbol = body.get("symbol")
    symbol = symbol if isinstance(symbol, str) else None
    leverage = body.get("leverage")
    valid = (
        symbol is not None and set(body) == {"symbol", "leverage"} and _number(leverage) is not None
    )
    return symbol, leverage if valid and isinstance(leverage, str) else None


@schemathesis.check
class read_after_leverage_change:  # schemathesis names a check after its class
    """A read after a leverage change returns the leverage that change sent."""

    def __init__(self, min_pairs: int = DEFAULT_MIN_PAIRS) -> None:
        self.tally = _active if _active is not None else Tally()
        self.tally.min_pairs = min_pairs

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        label = case.operation.label
        if label == CHANGE_OPERATION:
            self._observe_change(response, case)
        elif label == LEVERAGE_READ_OPERATION:
            self._compare_read(response, case)
        return None

    def _observe_change(self, response: Any, case: Any) -> None:
        model = self.tally.model
        symbol, leverage = _changed(case)
        status = response.status_code
        if symbol is None or status in REFUSED:
            return
        parsed = parse_json(response.content) if status == 200 else None
        reply: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        code = str(reply["code"]) if reply.get("code") is not None else None
        if code is not None and code != SUCCESS and "data" not in reply:
            return  # a business error: nothing changed
        if leverage is None or code != SUCCESS or reply.get("data") is not True:
            model.pop(symbol, None)  # what happened to it is unknown
            return
        model[symbol] = Reported(leverage, CHANGE_OPERATION)

    def _compare_read(self, response: Any, case: Any) -> None:
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
            got = data.get("leverage")
            same = _number(got) == _number(expected.value)
            if _number(got) is None:
                return  # not a leverage at all: the schema check reports it
        elif code == UNKNOWN_SYMBOL:
            got, same = "not a contract (200003)", False
        else:
            return  # another business error: nothing was read
        tally = self.tally
        key = (str(case.id), symbol)
        (tally.stateful_pairs if tally.in_stateful else tally.other_pairs).add(key)
        if not same:
            tally.mismatches.add(key)
            raise AssertionError(
                f"GET getCrossUserLeverage?symbol={symbol} returned {got}, but the last "
                f"successful change of {symbol} sent leverage {expected.value}"
            )
