"""Cross-margin leverage: read it (one symbol or many), set it.

    get_cross_leverage(client, "XBTUSDTM")          # Decimal('5')
    set_cross_leverage(client, "XBTUSDTM", 10)      # Decimal('10'), sent as "10"
    readout = get_cross_leverages(client, ["XBTUSDTM", "NOPEUSDTM"])
    readout.leverages, readout.failed    # {"XBTUSDTM": Decimal("10")}, {"NOPEUSDTM": ...}

KuCoin sends and takes the leverage as a string ("3", "2.5"). `leverage_value` checks what
a caller gives (a number or a numeric string, at least 1, at most two decimals) and makes
that string; the CLI and apply files reuse it. Where the leverage may go up to is the
contract's business: KuCoin refuses a leverage above a contract's maximum with its own
error (`InvalidParameterError`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs

from kucoin_futures_client import Client
from kucoin_futures_client.api.positions import change_cross_user_leverage, get_cross_user_leverage
from kucoin_futures_client.models import (
    ChangeCrossUserLeverageRequest,
    ChangeCrossUserLeverageResponse,
    GetCrossUserLeverageResponse,
)
from kucoin_futures_client.types import Response

from ._errors import (
    InvalidInputError,
    InvalidParameterError,
    InvalidReplyError,
    KucoinError,
    RateLimit,
    excerpt,
)
from ._http import KucoinAsyncHTTPClient, KucoinHTTPClient
from ._margin import requested_symbols
from ._reads import (
    DEFAULT_CONCURRENCY,
    aread_many,
    async_http,
    check_symbol,
    read_many,
    sync_http,
)

MIN_LEVERAGE: Final = Decimal(1)
MAX_LEVERAGE: Final = Decimal("9999.99")
"""openapi.yaml's `Leverage` pattern allows four whole digits; KuCoin's real maxima are
far lower (about 20 to 125 by contract) and are KuCoin's to enforce."""
_CENT: Final = Decimal("0.01")
# A numeric string, given or in a reply: digits, an optional fraction, bounded. No sign,
# exponent, underscore or blank (Decimal() would take them all, and "NaN").
_NUMERIC: Final = re.compile(r"[0-9]{1,40}(\.[0-9]{1,40})?")
_NOT_OURS: Final = "cross-margin leverage needs a client made by futures_client()"


class LeverageNotSetError(InvalidParameterError):
    """KuCoin answered a leverage change with `data: false` (code None, HTTP 200): it
    declined that symbol's change, and the leverage is not set."""


def leverage_value(leverage: object) -> str:
    """`leverage` as KuCoin's string, or `InvalidInputError` naming the problem.

    Takes an int, a float, a `Decimal` or a numeric string ("5", "2.50"): at least 1, at
    most two decimals, at most 9999.99. Refuses a bool, NaN, infinity, a negative number,
    an exponent or blanks in a string. The string has no trailing zeros: 5 -> "5",
    2.5 -> "2.5", "10.00" -> "10".
    """
    number = _as_decimal(leverage)
    if number < MIN_LEVERAGE:
        raise InvalidInputError(f"leverage must be at least 1, got {_shown(leverage)}")
    if number > MAX_LEVERAGE:
        raise InvalidInputError(f"leverage must be at most {MAX_LEVERAGE}, got {_shown(leverage)}")
    if number != number.quantize(_CENT):
        raise InvalidInputError(f"leverage has at most two decimals, got {_shown(leverage)}")
    return leverage_text(number)


def _as_decimal(leverage: object) -> Decimal:
    if isinstance(leverage, bool):  # an int to Python, never a leverage
        raise InvalidInputError(f"leverage must be a number, got {leverage!r}")
    if isinstance(leverage, int):
        return Decimal(leverage)
    if isinstance(leverage, float):
        if not math.isfinite(leverage):
            raise InvalidInputError(f"leverage must be a finite number, got {leverage!r}")
        return Decimal(repr(leverage))  # the float as written (2.5), not its binary value
    if isinstance(leverage, Decimal):
        if not leverage.is_finite():
            raise InvalidInputError(f"leverage must be a finite number, got {leverage}")
        return leverage
    if isinstance(leverage, str):
        if not _NUMERIC.fullmatch(leverage):
            raise InvalidInputError(
                f"leverage must be a number such as 5 or 2.5, got {_shown(leverage)}"
            )
        return Decimal(leverage)
    raise InvalidInputError(
        f"leverage must be a number or a numeric string, got {type(leverage).__name__}"
    )


def leverage_text(number: Decimal) -> str:
    """`number` in KuCoin's form: fixed-point without trailing zeros (Decimal("3.00") ->
    "3"); normalize() alone writes 10 as "1E+1"."""
    return format(number.normalize(), "f")


def _shown(value: object) -> str:
    if isinstance(value, int) and not -(10**12) < value < 10**12:
        return f"an integer of {value.bit_length()} bits"  # repr() refuses > 4300 digits
    # A Decimal as written (a file's 0.999, not Decimal('0.999')).
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_sync(client: Client) -> KucoinHTTPClient:
    return sync_http(client, _NOT_OURS)


def _check_async(client: Client) -> KucoinAsyncHTTPClient:
    return async_http(client, _NOT_OURS)


def _leverage_of(symbol: str, response: Response[Any]) -> Decimal:
    parsed = response.parsed
    if not isinstance(parsed, GetCrossUserLeverageResponse):
        # Unreachable through futures_client (its HTTP layer checks a success's shape).
        raise InvalidReplyError(
            int(response.status_code), excerpt(response.content), "not a leverage reply"
        )
    if parsed.data.symbol != symbol:
        raise InvalidReplyError(
            200,
            excerpt(response.content),
            f"the reply is for {parsed.data.symbol[:40]!r}, not the symbol asked for",
        )
    reported = parsed.data.leverage
    if not _NUMERIC.fullmatch(reported):
        raise InvalidReplyError(
            200, excerpt(response.content), f"leverage {reported[:40]!r} is not a number"
        )
    return Decimal(reported)  # the pattern admits plain decimals only: this cannot raise


def _changed(request: ChangeCrossUserLeverageRequest, response: Response[Any]) -> Decimal:
    parsed = response.parsed
    if not isinstance(parsed, ChangeCrossUserLeverageResponse):
        # Unreachable through futures_client (its HTTP layer checks a success's shape).
        raise InvalidReplyError(
            int(response.status_code), excerpt(response.content), "not a leverage change reply"
        )
    if parsed.data is not True:
        # A well-formed answer about this one symbol: KuCoin declined its change.
        raise LeverageNotSetError(
            None,
            "KuCoin replied `data: false`: the leverage is not set",
            int(response.status_code),
            RateLimit.from_headers(response.headers),
        )
    return Decimal(request.leverage)


def get_cross_leverage(client: Client, symbol: str) -> Decimal:
    """The cross-margin leverage `symbol` has now (KuCoin's string as a `Decimal`).

    Raises `InvalidInputError` (nothing sent), `InvalidParameterError` (code 200003) for
    an unknown symbol, another `KucoinAPIError`, `TransportError` or `InvalidReplyError`.
    """
    symbol = check_symbol(symbol)
    _check_sync(client)
    response = get_cross_user_leverage.sync_detailed(client=client, symbol=symbol)
    return _leverage_of(symbol, response)


async def aget_cross_leverage(client: Client, symbol: str) -> Decimal:
    """`get_cross_leverage` through the client's async httpx client."""
    symbol = check_symbol(symbol)
    _check_async(client)
    response = await get_cross_user_leverage.asyncio_detailed(client=client, symbol=symbol)
    return _leverage_of(symbol, response)


def cross_leverage_request(symbol: str, leverage: object) -> ChangeCrossUserLeverageRequest:
    """The request body for `symbol` and `leverage`, both checked (`leverage_value`)."""
    return ChangeCrossUserLeverageRequest(
        symbol=check_symbol(symbol), leverage=leverage_value(leverage)
    )


def set_cross_leverage(client: Client, symbol: str, leverage: object) -> Decimal:
    """Set the cross-margin leverage of `symbol`; returns the leverage KuCoin accepted.

    `leverage` is an int, float, `Decimal` or numeric string (see `leverage_value`),
    checked before anything is sent. KuCoin accepts it in either margin mode (it applies
    while the symbol is in CROSS). Raises `InvalidInputError` (nothing sent),
    `InvalidParameterError` for an unknown symbol (200003), a leverage outside the
    contract's range (100001) or a change KuCoin answered `data: false` (code None,
    HTTP 200: the leverage is not set), another `KucoinAPIError`, `TransportError` or
    `InvalidReplyError`.
    """
    body = cross_leverage_request(symbol, leverage)
    _check_sync(client)
    response = change_cross_user_leverage.sync_detailed(client=client, body=body)
    return _changed(body, response)


async def aset_cross_leverage(client: Client, symbol: str, leverage: object) -> Decimal:
    """`set_cross_leverage` through the client's async httpx client."""
    body = cross_leverage_request(symbol, leverage)
    _check_async(client)
    response = await change_cross_user_leverage.asyncio_detailed(client=client, body=body)
    return _changed(body, response)


@attrs.frozen
class CrossLeverageReadout:
    """The cross-margin leverage of each requested symbol, or why it could not be read.

    Every requested symbol is in exactly one of `leverages` (KuCoin's string as a
    `Decimal`) and `failed` (the typed error of its read, as in `MarginModeReadout`).
    Both keep the request's order.
    """

    requested: tuple[str, ...]
    leverages: Mapping[str, Decimal]
    failed: Mapping[str, KucoinError]

    @property
    def all_read(self) -> bool:
        return not self.failed


def get_cross_leverages(
    client: Client,
    symbols: Iterable[str],
    *,
    deadline_s: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CrossLeverageReadout:
    """Read every symbol's cross-margin leverage, one read after another; see
    `CrossLeverageReadout`. Paced, retried and bounded exactly as `get_margin_modes`:
    authentication, permission and configuration errors end the whole call (raised), a
    used-up quota is waited out, `deadline_s` bounds every read, retry and pause (None:
    `default_deadline_s` of one request a symbol, or an enclosing call's deadline).
    `progress(done, total)` is called after each symbol."""
    requested = requested_symbols(symbols)
    http = _check_sync(client)

    def read_one(symbol: str) -> Decimal:
        response = get_cross_user_leverage.sync_detailed(client=client, symbol=symbol)
        return _leverage_of(symbol, response)

    found = read_many(http, requested, read_one, deadline_s=deadline_s, progress=progress)
    return CrossLeverageReadout(found.requested, found.values, found.failed)


async def aget_cross_leverages(
    client: Client,
    symbols: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline_s: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CrossLeverageReadout:
    """`get_cross_leverages` with up to `concurrency` reads in flight at once. A
    rate-limit block seen by one read holds all of them back."""
    requested = requested_symbols(symbols)
    http = _check_async(client)

    async def read_one(symbol: str) -> Decimal:
        response = await get_cross_user_leverage.asyncio_detailed(client=client, symbol=symbol)
        return _leverage_of(symbol, response)

    found = await aread_many(
        http,
        requested,
        read_one,
        concurrency=concurrency,
        deadline_s=deadline_s,
        progress=progress,
    )
    return CrossLeverageReadout(found.requested, found.values, found.failed)
