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
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, Generic, TypeGuard, TypeVar

import attrs

from kucoin_futures_client import Client
from kucoin_futures_client.api.positions import get_margin_mode as read_operation
from kucoin_futures_client.models import GetMarginModeResponse, MarginMode
from kucoin_futures_client.types import Response

from ._deadline import CallDeadline, call_deadline, check_deadline_s
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    DeadlineExceededError,
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

DEFAULT_CONCURRENCY: Final = 4
MAX_RATE_LIMIT_WAITS: Final = 8
"""How often one symbol's read may be held back by a used-up quota before it fails."""
# Every read would fail the same way: these end the whole call.
_WHOLE_CALL_ERRORS: Final = (AuthenticationError, PermissionDeniedError, ConfigurationError)
_NOT_OURS: Final = "reading margin modes needs a client made by futures_client()"
T = TypeVar("T")


@attrs.frozen
class MarginModeReadout:
    """The margin mode of each requested symbol, or why it could not be read.

    Every requested symbol is in exactly one of `modes` (a `MarginMode`, or the string
    KuCoin sent for a mode this version does not know) and `failed` (the typed error of
    its read: `InvalidParameterError` code 200003 for an unknown symbol, a
    `ServerError` or `TransportError` after retries, a `DeadlineExceededError` once
    the call's deadline has passed, ...). Both keep the request's order.
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


def never_sent(error: KucoinError) -> TypeGuard[DeadlineExceededError]:
    """Whether `error` is the deadline stopping a request before anything was sent for it
    (then the symbol was not attempted, rather than failed)."""
    return isinstance(error, DeadlineExceededError) and error.last_error is None


def first_never_sent(errors: Iterable[KucoinError]) -> DeadlineExceededError | None:
    """The first error of `errors` that `never_sent` is, as the call's error."""
    return next((error for error in errors if never_sent(error)), None)


def check_symbol(symbol: object) -> str:
    """`symbol` checked as one symbol of `check_symbols`, or `InvalidInputError`."""
    if isinstance(symbol, str):
        check_symbols([symbol])
        return symbol
    raise InvalidInputError(f"symbol must be a string, got {type(symbol).__name__}")


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


def sync_http(client: Client, not_ours: str = _NOT_OURS) -> KucoinHTTPClient:
    """The client's sync HTTP client, or `ConfigurationError(not_ours)` if it is not one
    `futures_client()` made."""
    http = client.get_httpx_client()
    if not isinstance(http, KucoinHTTPClient):
        raise ConfigurationError(not_ours)
    return http


def async_http(client: Client, not_ours: str = _NOT_OURS) -> KucoinAsyncHTTPClient:
    """`sync_http` for the client's async HTTP client."""
    http = client.get_async_httpx_client()
    if not isinstance(http, KucoinAsyncHTTPClient):
        raise ConfigurationError(not_ours)
    return http


def get_margin_mode(client: Client, symbol: str) -> MarginMode | str:
    """The margin mode `symbol` has now: a `MarginMode`, or the string KuCoin sent for a
    mode this version does not know.

    Raises `InvalidInputError` (nothing sent), `InvalidParameterError` (code 200003) for
    an unknown symbol, another `KucoinAPIError`, `TransportError` or `InvalidReplyError`.
    """
    symbol = check_symbol(symbol)
    sync_http(client)
    return _read_mode(client, symbol)


def _read_mode(client: Client, symbol: str) -> MarginMode | str:
    return _mode_of(symbol, read_operation.sync_detailed(client=client, symbol=symbol))


async def aget_margin_mode(client: Client, symbol: str) -> MarginMode | str:
    """`get_margin_mode` through the client's async httpx client."""
    symbol = check_symbol(symbol)
    async_http(client)
    response = await read_operation.asyncio_detailed(client=client, symbol=symbol)
    return _mode_of(symbol, response)


@attrs.define
class ReadTally(Generic[T]):
    """The bookkeeping of one many-symbol read, shared by the sync and async loops of
    `read_many` / `aread_many`: what was read, what failed, and whether a failed read is
    worth another try (a rate-limit refusal: at most MAX_RATE_LIMIT_WAITS times per
    symbol, never past the call's deadline). Pure: the loops do the I/O."""

    requested: tuple[str, ...]
    deadline: CallDeadline
    monotonic: Callable[[], float]
    progress: Callable[[int, int], None] | None
    values: dict[str, T] = attrs.field(factory=dict)
    failed: dict[str, KucoinError] = attrs.field(factory=dict)
    fatal: KucoinError | None = None
    not_done: str = "not read"
    """How a symbol the deadline stopped is described ("not changed" for changes)."""
    waits: collections.Counter[str] = attrs.field(factory=collections.Counter)

    def may_send(self, symbol: str) -> bool:
        """Whether `symbol` may be read now; once the deadline has passed (or the call
        ended) it is accounted for as failed instead, and nothing is sent for it."""
        if self.fatal is not None:
            return False
        if self.monotonic() < self.deadline.at:
            return True
        self.failed[symbol] = DeadlineExceededError(
            f"{symbol}: {self.not_done}: the call's deadline of {self.deadline.seconds:g} s "
            "has passed",
            deadline_s=self.deadline.seconds,
        )
        return False

    def read(self, symbol: str, value: T) -> None:
        self.values[symbol] = value

    def retry_after_s(self, symbol: str, error: KucoinError) -> float | None:
        """Seconds to wait before reading `symbol` again after `error`, or None: then it
        is accounted for (failed; or, for an error every read would share, the call's)."""
        if isinstance(error, _WHOLE_CALL_ERRORS):
            self.fatal = error
            self.failed[symbol] = error  # kept for `result(report_fatal=True)`
            return None
        if isinstance(error, RateLimitError):
            self.waits[symbol] += 1
            if self.waits[symbol] <= MAX_RATE_LIMIT_WAITS:
                # The refusal says when the quota resets (a QuotaWaitError: the wait left).
                wait_ms = reset_ms(error)
                wait = min(DEFAULT_BLOCK_MS if wait_ms is None else wait_ms, MAX_BLOCK_MS) / 1000
                if self.monotonic() + wait < self.deadline.at:
                    return wait
                error = DeadlineExceededError(
                    f"{symbol}: {self.not_done}: waiting {wait:g} s for the rate limit would pass "
                    f"the call's deadline of {self.deadline.seconds:g} s",
                    deadline_s=self.deadline.seconds,
                    last_error=error,
                )
        self.failed[symbol] = error
        return None

    def done(self) -> None:
        if self.progress is not None:
            self.progress(len(self.values) + len(self.failed), len(self.requested))

    def result(self, *, report_fatal: bool = False) -> ReadResults[T]:
        """What was found; an error that ended the call is raised, or with `report_fatal`
        kept in `ReadResults.error` beside what was done before it (also the deadline's
        first error for a request never sent: the call ended there)."""
        if self.fatal is not None and not report_fatal:
            raise self.fatal
        values, failed = self.values, self.failed
        if tuple(values) == self.requested:  # every read succeeded, in order (the sync loop)
            return ReadResults(self.requested, values, {})
        failed = {s: failed[s] for s in self.requested if s in failed}
        error = self.fatal
        if error is None and report_fatal:
            error = first_never_sent(failed.values())
        return ReadResults(
            self.requested, {s: values[s] for s in self.requested if s in values}, failed, error
        )


@attrs.frozen
class ReadResults(Generic[T]):
    """What `read_many` found: each requested symbol in exactly one of `values` and
    `failed`, both in the request's order. With `report_fatal`, `error` is the error that
    ended the call (its symbol failed with it; the symbols after it are in neither), or
    the first `DeadlineExceededError` of a request the deadline kept from being sent."""

    requested: tuple[str, ...]
    values: Mapping[str, T]
    failed: Mapping[str, KucoinError]
    error: KucoinError | None = None


def read_many(
    http: KucoinHTTPClient,
    requested: tuple[str, ...],
    read_one: Callable[[str], T],
    *,
    deadline_s: float | None,
    progress: Callable[[int, int], None] | None,
    report_fatal: bool = False,
    not_done: str = "not read",
) -> ReadResults[T]:
    """Read every symbol of `requested` (checked already) with `read_one(symbol)`, one
    read after another, within `deadline_s` (None: `default_deadline_s` of one request a
    symbol) for every read, retry and pause; see `ReadTally` for what is retried. Any
    per-symbol request of the spec can be built on this (`get_margin_modes` is, and the
    leverage changes of `apply_position_settings`, which pass `report_fatal` to keep what
    was changed before an error that ends the call, and `not_done="not changed"`)."""
    check_deadline_s(deadline_s)
    with call_deadline(http.monotonic, deadline_s, requests=len(requested)) as deadline:
        tally: ReadTally[T] = ReadTally(
            requested, deadline, http.monotonic, progress, not_done=not_done
        )
        for symbol in requested:
            while tally.may_send(symbol):
                try:
                    tally.read(symbol, read_one(symbol))
                except KucoinError as error:
                    wait = tally.retry_after_s(symbol, error)
                    if wait is not None:
                        http.sleep(wait)
                        continue
                break
            if tally.fatal is not None:
                break
            tally.done()
    return tally.result(report_fatal=report_fatal)


async def aread_many(
    http: KucoinAsyncHTTPClient,
    requested: tuple[str, ...],
    read_one: Callable[[str], Awaitable[T]],
    *,
    concurrency: int,
    deadline_s: float | None,
    progress: Callable[[int, int], None] | None,
) -> ReadResults[T]:
    """`read_many` with up to `concurrency` reads in flight at once. A rate-limit block
    seen by one read holds all of them back (the client's pacer). An exception raised in
    a worker outside its read (a caller's `progress`, the sleep) stops the others and is
    raised as itself after them, never wrapped in an `ExceptionGroup`."""
    import anyio  # as the async HTTP client's sleep: loaded only when used

    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidInputError("concurrency must be a whole number >= 1")
    check_deadline_s(deadline_s)
    queue = collections.deque(requested)
    with call_deadline(http.monotonic, deadline_s, requests=len(requested)) as deadline:
        tally: ReadTally[T] = ReadTally(requested, deadline, http.monotonic, progress)

        escaped: list[Exception] = []

        async def read_until_done() -> None:
            try:
                while queue and tally.fatal is None:
                    symbol = queue.popleft()
                    while tally.may_send(symbol):
                        try:
                            tally.read(symbol, await read_one(symbol))
                        except KucoinError as error:
                            wait = tally.retry_after_s(symbol, error)
                            if wait is not None:
                                await http.sleep(wait)
                                continue
                        break
                    tally.done()
            except Exception as error:  # a caller's progress callback, the sleep, ...
                # Kept to be raised as itself below, not inside an ExceptionGroup.
                escaped.append(error)
                workers.cancel_scope.cancel()

        # The workers start inside the deadline's context: each task copies it.
        async with anyio.create_task_group() as workers:
            for _ in range(min(concurrency, len(requested))):
                workers.start_soon(read_until_done)
    if escaped:
        raise escaped[0]
    return tally.result()


def get_margin_modes(
    client: Client,
    symbols: Iterable[str],
    *,
    deadline_s: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MarginModeReadout:
    """Read every symbol's margin mode, one read after another; see `MarginModeReadout`.

    A symbol whose read fails is reported with its error and the others are still read;
    authentication, permission and configuration errors end the whole call (raised: every
    read would fail alike). When the rate-limit quota is used up, the reads wait for its
    reset and send nothing before it. `deadline_s` bounds the whole call: every read,
    retry and pause (None: 60 s plus 0.25 s a symbol, `default_deadline_s`). Once it has
    passed nothing more is sent, and each symbol not read fails with a
    `DeadlineExceededError`. `progress(done, total)` is called after each symbol.
    """
    requested = requested_symbols(symbols)
    http = sync_http(client)
    found = read_many(
        http,
        requested,
        lambda symbol: _read_mode(client, symbol),
        deadline_s=deadline_s,
        progress=progress,
    )
    return MarginModeReadout(found.requested, found.values, found.failed)


async def aget_margin_modes(
    client: Client,
    symbols: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline_s: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MarginModeReadout:
    """`get_margin_modes` with up to `concurrency` reads in flight at once. A rate-limit
    block seen by one read holds all of them back."""
    requested = requested_symbols(symbols)
    http = async_http(client)

    async def read_one(symbol: str) -> MarginMode | str:
        response = await read_operation.asyncio_detailed(client=client, symbol=symbol)
        return _mode_of(symbol, response)

    found = await aread_many(
        http,
        requested,
        read_one,
        concurrency=concurrency,
        deadline_s=deadline_s,
        progress=progress,
    )
    return MarginModeReadout(found.requested, found.values, found.failed)
