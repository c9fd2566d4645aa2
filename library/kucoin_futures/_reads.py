"""Reading margin modes: one symbol, or many with every symbol accounted for.

    mode = get_margin_mode(client, "XBTUSDTM")            # MarginMode.CROSS
    readout = get_margin_modes(client, ["XBTUSDTM", "NOPEUSDTM"])
    readout.modes, readout.failed                          # {"XBTUSDTM": CROSS}, {"NOPEUSDTM": ...}

Reads cost weight 2 each against the account's Futures quota (2000 per 30 s): reading a
thousand symbols uses it up. The client then holds every request back until the quota
resets (`_pacing.py`); when that wait is longer than the retry budget, a many-symbol
read waits it out itself, up to `deadline_s`, rather than failing the symbols.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from kucoin_futures_client import Client
from kucoin_futures_client.api.positions import get_margin_mode as read_operation
from kucoin_futures_client.models import GetMarginModeResponse, MarginMode
from kucoin_futures_client.types import Response

from ._errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    InvalidReplyError,
    KucoinAPIError,
    KucoinError,
    PermissionDeniedError,
    RateLimitError,
    excerpt,
)
from ._http import KucoinAsyncHTTPClient, KucoinHTTPClient
from ._margin import check_symbols, requested_symbols
from ._modes import reported_mode
from ._pacing import DEFAULT_BLOCK_MS, MAX_BLOCK_MS
from ._retry import reset_ms

DEFAULT_DEADLINE_S: Final = 120.0
"""How long a many-symbol read may wait for rate-limit resets in all (four windows)."""
MAX_DEADLINE_S: Final = 24 * 3600.0
DEFAULT_CONCURRENCY: Final = 4
MAX_RATE_LIMIT_WAITS: Final = 8
"""How often one symbol's read may be held back by a used-up quota before it fails."""
# Every read would fail the same way: these end the whole call.
_WHOLE_CALL_ERRORS: Final = (AuthenticationError, PermissionDeniedError, ConfigurationError)
_NOT_OURS: Final = "reading margin modes needs a client made by futures_client()"


@attrs.frozen
class MarginModeReadout:
    """The margin mode of each requested symbol, or why it could not be read.

    Every requested symbol is in exactly one of `modes` (a `MarginMode`, or the string
    KuCoin sent for a mode this version does not know) and `failed` (the typed error of
    its read: `InvalidParameterError` code 200003 for an unknown symbol, a
    `ServerError` or `TransportError` after retries, a `RateLimitError` past the
    deadline, ...). Both keep the request's order.
    """

    requested: tuple[str, ...]
    modes: Mapping[str, MarginMode | str]
    failed: Mapping[str, KucoinError]

    @property
    def all_read(self) -> bool:
        return not self.failed

    def as_json(self) -> dict[str, Any]:
        """The shape of KuCoin's batch reply: `{"marginMode": {...}, "errors": [...]}`."""
        return {
            "marginMode": {symbol: str(mode) for symbol, mode in self.modes.items()},
            "errors": [
                {"symbol": symbol, "code": error_code(error), "msg": error_message(error)}
                for symbol, error in self.failed.items()
            ],
        }


def error_code(error: KucoinError) -> str | None:
    """KuCoin's code for a per-symbol failure, when KuCoin gave one."""
    return error.code if isinstance(error, KucoinAPIError) else None


def error_message(error: KucoinError) -> str:
    """KuCoin's message for a per-symbol failure, else the error's own text."""
    if isinstance(error, KucoinAPIError) and error.code is not None and error.msg:
        return error.msg
    return str(error)


def _check_symbol(symbol: object) -> str:
    if isinstance(symbol, str):
        check_symbols([symbol])
        return symbol
    raise InvalidInputError(f"symbol must be a string, got {type(symbol).__name__}")


def _check_deadline(deadline_s: object) -> None:
    if (
        isinstance(deadline_s, bool)
        or not isinstance(deadline_s, int | float)
        or not 0 <= deadline_s <= MAX_DEADLINE_S
    ):
        raise InvalidInputError(
            f"deadline_s must be a number of seconds from 0 to {MAX_DEADLINE_S:g}"
        )


def _mode_of(symbol: str, response: Response[Any]) -> MarginMode | str:
    parsed = response.parsed
    if not isinstance(parsed, GetMarginModeResponse):
        # Unreachable through futures_client (its HTTP layer checks a success's shape).
        raise InvalidReplyError(
            int(response.status_code), excerpt(response.content), "not a margin-mode reply"
        )
    if parsed.data.symbol != symbol:
        raise InvalidReplyError(
            200,
            excerpt(response.content),
            f"the reply is for {parsed.data.symbol[:40]!r}, not the symbol asked for",
        )
    return reported_mode(parsed.data.margin_mode)


def _sync_http(client: Client) -> KucoinHTTPClient:
    http = client.get_httpx_client()
    if not isinstance(http, KucoinHTTPClient):
        raise ConfigurationError(_NOT_OURS)
    return http


def _async_http(client: Client) -> KucoinAsyncHTTPClient:
    http = client.get_async_httpx_client()
    if not isinstance(http, KucoinAsyncHTTPClient):
        raise ConfigurationError(_NOT_OURS)
    return http


def get_margin_mode(client: Client, symbol: str) -> MarginMode | str:
    """The margin mode `symbol` has now: a `MarginMode`, or the string KuCoin sent for a
    mode this version does not know.

    Raises `InvalidInputError` (nothing sent), `InvalidParameterError` (code 200003) for
    an unknown symbol, another `KucoinAPIError`, `TransportError` or `InvalidReplyError`.
    """
    symbol = _check_symbol(symbol)
    _sync_http(client)
    return _mode_of(symbol, read_operation.sync_detailed(client=client, symbol=symbol))


async def aget_margin_mode(client: Client, symbol: str) -> MarginMode | str:
    """`get_margin_mode` through the client's async httpx client."""
    symbol = _check_symbol(symbol)
    _async_http(client)
    response = await read_operation.asyncio_detailed(client=client, symbol=symbol)
    return _mode_of(symbol, response)


@attrs.define
class _HeldBack:
    """Decides, after a rate-limit refusal of one symbol's read, whether to wait and
    read it again: at most MAX_RATE_LIMIT_WAITS times, and never past the deadline."""

    deadline: float
    monotonic: Callable[[], float]
    waits: collections.Counter[str] = attrs.field(factory=collections.Counter)

    def wait_s(self, symbol: str, error: RateLimitError) -> float | None:
        self.waits[symbol] += 1
        if self.waits[symbol] > MAX_RATE_LIMIT_WAITS:
            return None
        # The refusal says when the quota resets (a QuotaWaitError: the wait left).
        wait_ms = reset_ms(error)
        wait = min(DEFAULT_BLOCK_MS if wait_ms is None else wait_ms, MAX_BLOCK_MS) / 1000
        return wait if self.monotonic() + wait <= self.deadline else None


def get_margin_modes(
    client: Client,
    symbols: Iterable[str],
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
    progress: Callable[[int, int], None] | None = None,
) -> MarginModeReadout:
    """Read every symbol's margin mode, one read after another; see `MarginModeReadout`.

    A symbol whose read fails is reported with its error and the others are still read;
    authentication, permission and configuration errors end the whole call (raised: every
    read would fail alike). When the rate-limit quota is used up, the reads wait for its reset and
    send nothing before it; `deadline_s` bounds the waiting in all (a symbol that would
    have to wait past it fails with its `RateLimitError`). `progress(done, total)` is
    called after each symbol.
    """
    requested = requested_symbols(symbols)
    _check_deadline(deadline_s)
    http = _sync_http(client)
    held_back = _HeldBack(http.monotonic() + deadline_s, http.monotonic)
    modes: dict[str, MarginMode | str] = {}
    failed: dict[str, KucoinError] = {}
    for symbol in requested:
        while True:
            try:
                modes[symbol] = get_margin_mode(client, symbol)
            except _WHOLE_CALL_ERRORS:
                raise
            except RateLimitError as error:
                wait = held_back.wait_s(symbol, error)
                if wait is not None:
                    http.sleep(wait)
                    continue
                failed[symbol] = error
            except KucoinError as error:
                failed[symbol] = error
            break
        if progress is not None:
            progress(len(modes) + len(failed), len(requested))
    return _readout(requested, modes, failed)


async def aget_margin_modes(
    client: Client,
    symbols: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline_s: float = DEFAULT_DEADLINE_S,
    progress: Callable[[int, int], None] | None = None,
) -> MarginModeReadout:
    """`get_margin_modes` with up to `concurrency` reads in flight at once. A rate-limit
    block seen by one read holds all of them back."""
    import anyio  # as the async HTTP client's sleep: loaded only when used

    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidInputError("concurrency must be a whole number >= 1")
    requested = requested_symbols(symbols)
    _check_deadline(deadline_s)
    http = _async_http(client)
    held_back = _HeldBack(http.monotonic() + deadline_s, http.monotonic)
    modes: dict[str, MarginMode | str] = {}
    failed: dict[str, KucoinError] = {}
    queue = collections.deque(requested)
    fatal: list[KucoinError] = []

    async def read_until_done() -> None:
        while queue and not fatal:
            symbol = queue.popleft()
            while not fatal:
                try:
                    modes[symbol] = await aget_margin_mode(client, symbol)
                except _WHOLE_CALL_ERRORS as error:
                    fatal.append(error)
                except RateLimitError as error:
                    wait = held_back.wait_s(symbol, error)
                    if wait is not None:
                        await http.sleep(wait)
                        continue
                    failed[symbol] = error
                except KucoinError as error:
                    failed[symbol] = error
                break
            if progress is not None:
                progress(len(modes) + len(failed), len(requested))

    async with anyio.create_task_group() as workers:
        for _ in range(min(concurrency, len(requested))):
            workers.start_soon(read_until_done)
    if fatal:
        raise fatal[0]
    return _readout(requested, modes, failed)


def _readout(
    requested: tuple[str, ...],
    modes: dict[str, MarginMode | str],
    failed: dict[str, KucoinError],
) -> MarginModeReadout:
    return MarginModeReadout(
        requested,
        {s: modes[s] for s in requested if s in modes},
        {s: failed[s] for s in requested if s in failed},
    )
