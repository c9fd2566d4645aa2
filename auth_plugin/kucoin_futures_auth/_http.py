"""httpx clients that turn KuCoin replies into typed errors, retry safely and sync the clock.

The work happens in `send()`, below every generated operation, so a direct call to a
generated function gets it too. Each attempt is a fresh `super().send()`, which runs the
signing auth flow again: every attempt carries a new timestamp and signature.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, cast

import httpx

from ._signing import Clock
from .errors import (
    SUCCESS_CODE,
    AuthenticationError,
    ConfigurationError,
    InvalidReplyError,
    KucoinAPIError,
    KucoinError,
    TransportError,
    error_from_reply,
    excerpt,
)
from .retry import RetryPolicy

if TYPE_CHECKING:
    from httpx._client import UseClientDefault
    from httpx._types import AuthTypes

logger = logging.getLogger("kucoin_futures_auth.http")

SERVER_TIME_PATH: Final = "/api/v1/timestamp"
BATCH_PATH: Final = "/api/v2/position/batchChangeMarginMode"
_SIGNATURE_HEADERS: Final = ("KC-API-SIGN", "KC-API-PASSPHRASE", "KC-API-PARTNER-SIGN")
_CLOCK_SKEW: Final = "400002"
_NO_DATA: Final = object()
# Errors that sending again can cure; the others (bad URL scheme, ...) would recur.
_TRANSIENT_TRANSPORT_ERRORS: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)

T = TypeVar("T")


class _Calibrate:
    """Command: measure the clock offset; the driver answers with the offset or an error."""


class _Sleep(NamedTuple):
    """Command: wait this long; the driver answers None."""

    seconds: float


class _Resend(NamedTuple):
    """Command: make attempt number `attempt`; the driver answers its result or error."""

    attempt: int


_CALIBRATE: Final = _Calibrate()
_Command = _Calibrate | _Sleep | _Resend


def _recovery(
    policy: RetryPolicy | None,
    error: KucoinError,
    elapsed_s: Callable[[], float],
    *,
    may_calibrate: bool,
) -> Generator[_Command, object, object]:
    """What to do after a failed first attempt, for the sync and the async client alike.

    Like an httpx auth flow, it does no I/O: it yields commands (sleep, calibrate the
    clock, resend) and the client's driver sends back what each produced. It returns the
    first good result, or raises the last error once the policy says stop. A 400002 reply
    (timestamp out of window) calibrates the clock once and resends at once.
    """
    attempt = 1
    while True:
        if may_calibrate and isinstance(error, AuthenticationError) and error.code == _CLOCK_SKEW:
            may_calibrate = False
            calibrated = yield _CALIBRATE
            if isinstance(calibrated, KucoinError):
                raise error from calibrated
        else:
            delay = (
                None if policy is None else policy.delay_before_retry(attempt, error, elapsed_s())
            )
            if delay is None:
                raise error
            logger.info("retrying in %.3f s after attempt %d: %s", delay, attempt, _describe(error))
            yield _Sleep(delay)
        attempt += 1
        result = yield _Resend(attempt)
        if not isinstance(result, KucoinError):
            return result
        error = result


def _transport_error(exc: httpx.RequestError, request: httpx.Request) -> TransportError:
    error = TransportError(
        f"{type(exc).__name__} on {request.method} {request.url.path}: {exc}",
        retryable=isinstance(exc, _TRANSIENT_TRANSPORT_ERRORS),
    )
    error.__cause__ = exc
    return error


def _reply_error(response: httpx.Response, request: httpx.Request) -> KucoinError | None:
    """None for a success of the documented shape; otherwise the error the reply stands for."""
    content = response.content
    if response.status_code == 200:
        try:
            reply = json.loads(content)
        except ValueError:
            reply = None
        if isinstance(reply, dict) and reply.get("code") == SUCCESS_CODE:
            problem = _success_shape_problem(request.url.path, reply)
            if problem is None:
                _reuse_parse(response, reply)
                return None
            return InvalidReplyError(200, excerpt(content), problem)
    redact = [request.headers.get(name, "") for name in _SIGNATURE_HEADERS]
    return error_from_reply(response.status_code, response.headers, content, redact=redact)


def _success_shape_problem(path: str, reply: dict[str, Any]) -> str | None:
    # What the generated parser relies on, so that it can never fail with a KeyError or
    # TypeError on a reply that merely starts like a success. Value types inside the map
    # are the outcome's business (a mode KuCoin adds later must stay readable).
    data = reply.get("data", _NO_DATA)
    if path == BATCH_PATH:
        if not isinstance(data, dict):
            return "success reply without a `data` object"
        if not isinstance(data.get("marginMode"), dict):
            return "success reply whose `data.marginMode` is not an object"
        errors = data.get("errors")
        if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
            return "success reply whose `data.errors` is not a list of objects"
    elif path == SERVER_TIME_PATH:
        if not isinstance(data, int) or isinstance(data, bool):
            return "server time reply without an integer `data`"
    elif data is _NO_DATA:
        return "success reply without `data`"
    return None


def _reuse_parse(response: httpx.Response, reply: dict[str, Any]) -> None:
    # The generated operation parses `response.json()` next. The reply was parsed (and
    # its shape checked) just now: hand over that parse rather than parsing twice, which
    # at a thousand symbols would cost about a seventh of the whole call.
    response.json = lambda **_: reply  # type: ignore[method-assign]


def _describe(error: KucoinError) -> str:
    if isinstance(error, KucoinAPIError):
        return f"{type(error).__name__} (HTTP {error.status}, code {error.code})"
    if isinstance(error, InvalidReplyError):
        return f"{type(error).__name__} (HTTP {error.status})"
    if isinstance(error, TransportError) and error.__cause__ is not None:
        return f"{type(error).__name__} ({type(error.__cause__).__name__})"
    return type(error).__name__


def _log_attempt(
    request: httpx.Request, outcome: str, attempt: int, started: float, now: float
) -> None:
    logger.debug(
        "%s %s -> %s (attempt %d, %.1f ms)",
        request.method,
        request.url.path,
        outcome,
        attempt,
        (now - started) * 1000,
    )


def _server_time_ms(response: httpx.Response) -> int:
    try:
        server_ms = response.json()["data"]
    except (ValueError, KeyError, TypeError):
        server_ms = None
    if not isinstance(server_ms, int) or isinstance(server_ms, bool):
        raise InvalidReplyError(
            response.status_code,
            excerpt(response.content),
            "server time reply without an integer `data`",
        )
    return server_ms


def _apply_offset(clock: Clock, server_ms: int, before: float, after: float) -> int:
    # The server read its clock somewhere in the round trip: assume the middle.
    offset = round(server_ms - (before + after) * 500)
    clock.offset_ms = offset
    logger.info("clock offset to KuCoin server time set to %d ms", offset)
    return offset


class KucoinHTTPClient(httpx.Client):
    """An `httpx.Client` whose `send()` maps replies to typed errors, retries per `retry`
    (None: never) and, on a 400002 reply, measures the clock offset once and resends.

    `sleep` (waits between attempts) and `monotonic` (the time budget's clock) are
    attributes, replaceable in tests.
    """

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        clock_sync: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        super().__init__(**httpx_kwargs)
        self.retry = retry
        self.clock = clock
        self.clock_sync = clock_sync
        self.sleep = sleep
        self.monotonic = monotonic

    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        started = self.monotonic()
        result = self._send_once(request, stream, auth, follow_redirects, 1, started)
        if isinstance(result, httpx.Response):
            return result
        return self._recover(
            result,
            lambda attempt: self._send_once(
                request, stream, auth, follow_redirects, attempt, self.monotonic()
            ),
            started,
            may_calibrate=self.clock_sync and self.clock is not None,
        )

    def calibrate_clock(self) -> int:
        """Measure the offset of `clock` to KuCoin's server time, apply it and return it
        (ms). Retried like any request."""
        clock = self._require_clock()
        started = self.monotonic()
        result = self._server_time_once(clock)
        if isinstance(result, int):
            return result
        return self._recover(
            result, lambda _attempt: self._server_time_once(clock), started, may_calibrate=False
        )

    def _recover(
        self,
        error: KucoinError,
        retry_once: Callable[[int], T | KucoinError],
        started: float,
        *,
        may_calibrate: bool,
    ) -> T:
        flow = _recovery(
            self.retry, error, lambda: self.monotonic() - started, may_calibrate=may_calibrate
        )
        answer: object = None
        while True:
            try:
                command = flow.send(answer)
            except StopIteration as done:
                return cast(T, done.value)
            if isinstance(command, _Sleep):
                self.sleep(command.seconds)
                answer = None
            elif isinstance(command, _Resend):
                answer = retry_once(command.attempt)
            else:
                answer = self._server_time_once(self._require_clock())

    def _send_once(
        self,
        request: httpx.Request,
        stream: bool,
        auth: AuthTypes | UseClientDefault | None,
        follow_redirects: bool | UseClientDefault,
        attempt: int,
        started: float,
    ) -> httpx.Response | KucoinError:
        try:
            response = super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
            if stream:
                try:
                    response.read()
                finally:
                    response.close()
        except httpx.RequestError as exc:
            if logger.isEnabledFor(logging.DEBUG):
                _log_attempt(request, type(exc).__name__, attempt, started, self.monotonic())
            return _transport_error(exc, request)
        if logger.isEnabledFor(logging.DEBUG):
            _log_attempt(request, str(response.status_code), attempt, started, self.monotonic())
        error = _reply_error(response, request)
        return response if error is None else error

    def _server_time_once(self, clock: Clock) -> int | KucoinError:
        # Public endpoint: sent unsigned (auth=None), never retried from inside a retry.
        request = self.build_request("GET", SERVER_TIME_PATH)
        before = clock.time_fn()
        result = self._send_once(request, False, None, False, 1, self.monotonic())
        after = clock.time_fn()
        if isinstance(result, KucoinError):
            return result
        try:
            return _apply_offset(clock, _server_time_ms(result), before, after)
        except InvalidReplyError as exc:
            return exc

    def _require_clock(self) -> Clock:
        if self.clock is None:
            raise ConfigurationError("this client has no clock to calibrate")
        return self.clock


async def _anyio_sleep(seconds: float) -> None:
    import anyio  # only retries need it; importing it up front would slow every start

    await anyio.sleep(seconds)


class KucoinAsyncHTTPClient(httpx.AsyncClient):
    """The `httpx.AsyncClient` twin of `KucoinHTTPClient`: same policy, same errors; it
    waits with the running event loop's sleep (asyncio or trio, through anyio).
    `sleep` (a coroutine function) and `monotonic` are replaceable in tests."""

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        clock_sync: bool = True,
        sleep: Callable[[float], Awaitable[None]] = _anyio_sleep,
        monotonic: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        super().__init__(**httpx_kwargs)
        self.retry = retry
        self.clock = clock
        self.clock_sync = clock_sync
        self.sleep = sleep
        self.monotonic = monotonic

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        started = self.monotonic()
        result = await self._send_once(request, stream, auth, follow_redirects, 1, started)
        if isinstance(result, httpx.Response):
            return result
        return await self._recover(
            result,
            lambda attempt: self._send_once(
                request, stream, auth, follow_redirects, attempt, self.monotonic()
            ),
            started,
            may_calibrate=self.clock_sync and self.clock is not None,
        )

    async def calibrate_clock(self) -> int:
        """Measure the offset of `clock` to KuCoin's server time, apply it and return it
        (ms). Retried like any request."""
        clock = self._require_clock()
        started = self.monotonic()
        result = await self._server_time_once(clock)
        if isinstance(result, int):
            return result
        return await self._recover(
            result, lambda _attempt: self._server_time_once(clock), started, may_calibrate=False
        )

    async def _recover(
        self,
        error: KucoinError,
        retry_once: Callable[[int], Awaitable[T | KucoinError]],
        started: float,
        *,
        may_calibrate: bool,
    ) -> T:
        flow = _recovery(
            self.retry, error, lambda: self.monotonic() - started, may_calibrate=may_calibrate
        )
        answer: object = None
        while True:
            try:
                command = flow.send(answer)
            except StopIteration as done:
                return cast(T, done.value)
            if isinstance(command, _Sleep):
                await self.sleep(command.seconds)
                answer = None
            elif isinstance(command, _Resend):
                answer = await retry_once(command.attempt)
            else:
                answer = await self._server_time_once(self._require_clock())

    async def _send_once(
        self,
        request: httpx.Request,
        stream: bool,
        auth: AuthTypes | UseClientDefault | None,
        follow_redirects: bool | UseClientDefault,
        attempt: int,
        started: float,
    ) -> httpx.Response | KucoinError:
        try:
            response = await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
            if stream:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        except httpx.RequestError as exc:
            if logger.isEnabledFor(logging.DEBUG):
                _log_attempt(request, type(exc).__name__, attempt, started, self.monotonic())
            return _transport_error(exc, request)
        if logger.isEnabledFor(logging.DEBUG):
            _log_attempt(request, str(response.status_code), attempt, started, self.monotonic())
        error = _reply_error(response, request)
        return response if error is None else error

    async def _server_time_once(self, clock: Clock) -> int | KucoinError:
        request = self.build_request("GET", SERVER_TIME_PATH)
        before = clock.time_fn()
        result = await self._send_once(request, False, None, False, 1, self.monotonic())
        after = clock.time_fn()
        if isinstance(result, KucoinError):
            return result
        try:
            return _apply_offset(clock, _server_time_ms(result), before, after)
        except InvalidReplyError as exc:
            return exc

    def _require_clock(self) -> Clock:
        if self.clock is None:
            raise ConfigurationError("this client has no clock to calibrate")
        return self.clock
