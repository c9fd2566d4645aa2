"""httpx clients that turn KuCoin replies into typed errors, retry safely and sync the clock.

The work happens in `send()`, below every generated operation, so a direct call to a
generated function gets it too. Each attempt is a fresh `super().send()`, which runs the
signing auth flow again: every attempt carries a new timestamp and signature. What an
operation's success looks like, and whether it is signed, comes from the spec
(`_operations.py`); nothing here names an operation.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

import httpx

from kucoin_futures_auth import Clock
from kucoin_futures_client import Client
from kucoin_futures_client.api.public import get_server_time
from kucoin_futures_client.models import ServerTimeResponse

from ._errors import (
    SUCCESS_CODE,
    ConfigurationError,
    InvalidReplyError,
    KucoinAPIError,
    KucoinError,
    QuotaWaitError,
    RateLimit,
    RateLimitError,
    TransportError,
    error_from_reply,
    excerpt,
)
from ._operations import Operation, find_operation, shape_problem
from ._pacing import Pacer
from ._retry import Calibrate, RetryPolicy, Sleep, Stop, next_step

if TYPE_CHECKING:
    from httpx._client import UseClientDefault
    from httpx._types import AuthTypes

logger = logging.getLogger("kucoin_futures.http")

_SIGNATURE_HEADERS: Final = ("KC-API-SIGN", "KC-API-PASSPHRASE", "KC-API-PARTNER-SIGN")
# Errors that sending again can cure; the others (bad URL scheme, ...) would recur.
_TRANSIENT_TRANSPORT_ERRORS: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


def _transport_error(exc: httpx.RequestError, request: httpx.Request) -> TransportError:
    error = TransportError(
        f"{type(exc).__name__} on {request.method} {request.url.path}: {exc}",
        retryable=isinstance(exc, _TRANSIENT_TRANSPORT_ERRORS),
    )
    error.__cause__ = exc
    return error


def _reply_error(
    response: httpx.Response, request: httpx.Request, operation: Operation | None
) -> KucoinError | None:
    """None for a success of the shape the spec gives; otherwise the error it stands for."""
    content = response.content
    if response.status_code == 200:
        try:
            reply = json.loads(content)
        except (ValueError, RecursionError):
            reply = None
        if isinstance(reply, dict) and reply.get("code") == SUCCESS_CODE:
            # Checked here so that the generated parser, which runs next, can never fail
            # with a KeyError or TypeError on a reply that merely starts like a success.
            problem = None if operation is None else shape_problem(operation.success, reply)
            if problem is None:
                return None
            return InvalidReplyError(200, excerpt(content), f"success reply whose {problem}")
    redact = [request.headers.get(name, "") for name in _SIGNATURE_HEADERS]
    return error_from_reply(response.status_code, response.headers, content, redact=redact)


def _pause_s(
    pacer: Pacer,
    operation: Operation | None,
    policy: RetryPolicy | None,
    *,
    now: float,
    elapsed_s: float,
    delay_s: float,
) -> float | None:
    """The pause before the next attempt: the retry delay, stretched to the end of the
    operation's rate-limit block; None when the stretch would run past the retry budget
    (no policy: no waiting for a block at all)."""
    if operation is None:
        return delay_s
    pause = max(delay_s, pacer.wait_s(operation.pool, now))
    budget = 0.0 if policy is None else policy.max_elapsed_s
    if pause > delay_s and elapsed_s + pause > budget:
        return None
    return pause


def _account(
    pacer: Pacer,
    operation: Operation | None,
    now: float,
    result: httpx.Response | KucoinError | None,
) -> None:
    # result None: the attempt ended without one (cancelled, interrupted).
    if operation is None:
        return
    if isinstance(result, httpx.Response):
        rate_limit: RateLimit | None = RateLimit.from_headers(result.headers)
    else:
        rate_limit = getattr(result, "rate_limit", None)
    refusal = result if isinstance(result, RateLimitError) else None
    pacer.answered(operation.pool, operation.weight, now, rate_limit, refusal)


def _describe(error: KucoinError) -> str:
    if isinstance(error, KucoinAPIError):
        return f"{type(error).__name__} (HTTP {error.status}, code {error.code})"
    if isinstance(error, InvalidReplyError):
        return f"{type(error).__name__} (HTTP {error.status})"
    if isinstance(error, TransportError) and error.__cause__ is not None:
        return f"{type(error).__name__} ({type(error.__cause__).__name__})"
    return type(error).__name__


def _log_attempt(
    request: httpx.Request, result: httpx.Response | KucoinError, attempt: int, elapsed_s: float
) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        if isinstance(result, httpx.Response):
            outcome = str(result.status_code)
        elif isinstance(result, TransportError) and result.__cause__ is not None:
            outcome = type(result.__cause__).__name__
        else:
            outcome = str(getattr(result, "status", type(result).__name__))
        logger.debug(
            "%s %s -> %s (attempt %d, %.1f ms)",
            request.method,
            request.url.path,
            outcome,
            attempt,
            elapsed_s * 1000,
        )


def _log_retry(step: Sleep | Calibrate, attempt: int, error: KucoinError) -> None:
    if isinstance(step, Sleep):
        logger.info(
            "retrying in %.3f s after attempt %d: %s", step.seconds, attempt, _describe(error)
        )
    else:
        logger.info("calibrating the clock after attempt %d: %s", attempt, _describe(error))


def _server_view(http: httpx.Client | httpx.AsyncClient) -> Client:
    # A generated Client over this very httpx client, to call the generated server-time
    # operation (public: `send` sends it unsigned, as the spec says).
    view = Client(base_url=str(http.base_url))
    if isinstance(http, httpx.Client):
        view.set_httpx_client(http)
    else:
        view.set_async_httpx_client(http)
    return view


def _apply_offset(clock: Clock, reply: object, before: float, after: float) -> int:
    if not isinstance(reply, ServerTimeResponse):  # unreachable: send() raised already
        raise InvalidReplyError(200, "", "server time reply of an unknown shape")
    # The server read its clock somewhere in the round trip: assume the middle. (A retried
    # calibration's round trip includes the waits, each bounded by the retry policy.)
    offset = round(reply.data - (before + after) * 500)
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
        pacer: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        super().__init__(**httpx_kwargs)
        self.pacer = pacer if pacer is not None else Pacer()
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
        operation = find_operation(request.method, request.url.path)
        signed = operation is None or operation.signed
        if not signed:
            auth = None
        may_calibrate = signed and self.clock_sync and self.clock is not None
        started = self.monotonic()
        pause = _pause_s(self.pacer, operation, self.retry, now=started, elapsed_s=0.0, delay_s=0.0)
        if pause is None:
            assert operation is not None
            wait_ms = round(self.pacer.wait_s(operation.pool, started) * 1000)
            raise QuotaWaitError(operation.pool, wait_ms)
        attempt = 1
        while True:
            if pause > 0:
                self.sleep(pause)
            result = self._attempt(request, stream, auth, follow_redirects, operation)
            now = self.monotonic()
            _log_attempt(request, result, attempt, now - started)
            if isinstance(result, httpx.Response):
                return result
            error = result
            step = next_step(
                self.retry,
                error,
                attempt=attempt,
                elapsed_s=now - started,
                may_calibrate=may_calibrate,
            )
            if isinstance(step, Stop):
                raise error
            _log_retry(step, attempt, error)
            if isinstance(step, Calibrate):
                may_calibrate = False
                try:
                    self.calibrate_clock()
                except KucoinError as exc:
                    raise error from exc
            delay_s = step.seconds if isinstance(step, Sleep) else 0.0
            pause = _pause_s(
                self.pacer, operation, self.retry, now=now, elapsed_s=now - started, delay_s=delay_s
            )
            if pause is None:
                raise error
            attempt += 1

    def _attempt(
        self,
        request: httpx.Request,
        stream: bool,
        auth: AuthTypes | UseClientDefault | None,
        follow_redirects: bool | UseClientDefault,
        operation: Operation | None,
    ) -> httpx.Response | KucoinError:
        """One send: the response of a success, or the error it stands for. The pacer
        learns of every send and of its end, however it ends (even cancelled)."""
        if operation is not None:
            self.pacer.sending(operation.pool)
        result: httpx.Response | KucoinError | None = None
        try:
            result = self._send_and_read(request, stream, auth, follow_redirects, operation)
        finally:
            _account(self.pacer, operation, self.monotonic(), result)
        return result

    def _send_and_read(
        self,
        request: httpx.Request,
        stream: bool,
        auth: AuthTypes | UseClientDefault | None,
        follow_redirects: bool | UseClientDefault,
        operation: Operation | None,
    ) -> httpx.Response | KucoinError:
        """One send and its reply read: the response of a success, or its error."""
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
            return _transport_error(exc, request)
        error = _reply_error(response, request, operation)
        return response if error is None else error

    def calibrate_clock(self) -> int:
        """Measure the offset of `clock` to KuCoin's server time with the generated
        server-time operation, apply it and return it (ms). Retried like any request."""
        clock = self._require_clock()
        before = clock.time_fn()
        reply = get_server_time.sync(client=_server_view(self))
        return _apply_offset(clock, reply, before, clock.time_fn())

    def _require_clock(self) -> Clock:
        if self.clock is None:
            raise ConfigurationError("this client has no clock to calibrate")
        return self.clock


async def _anyio_sleep(seconds: float) -> None:
    import anyio  # only retries need it; importing it up front would slow every start

    await anyio.sleep(seconds)


class KucoinAsyncHTTPClient(httpx.AsyncClient):
    """The `httpx.AsyncClient` twin of `KucoinHTTPClient`: same decisions, same errors; it
    waits with the running event loop's sleep (asyncio or trio, through anyio).
    `sleep` (a coroutine function) and `monotonic` are replaceable in tests."""

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        clock_sync: bool = True,
        pacer: Pacer | None = None,
        sleep: Callable[[float], Awaitable[None]] = _anyio_sleep,
        monotonic: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        super().__init__(**httpx_kwargs)
        self.pacer = pacer if pacer is not None else Pacer()
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
        operation = find_operation(request.method, request.url.path)
        signed = operation is None or operation.signed
        if not signed:
            auth = None
        may_calibrate = signed and self.clock_sync and self.clock is not None
        started = self.monotonic()
        pause = _pause_s(self.pacer, operation, self.retry, now=started, elapsed_s=0.0, delay_s=0.0)
        if pause is None:
            assert operation is not None
            wait_ms = round(self.pacer.wait_s(operation.pool, started) * 1000)
            raise QuotaWaitError(operation.pool, wait_ms)
        attempt = 1
        while True:
            if pause > 0:
                await self.sleep(pause)
            result = await self._attempt(request, stream, auth, follow_redirects, operation)
            now = self.monotonic()
            _log_attempt(request, result, attempt, now - started)
            if isinstance(result, httpx.Response):
                return result
            error = result
            step = next_step(
                self.retry,
                error,
                attempt=attempt,
                elapsed_s=now - started,
                may_calibrate=may_calibrate,
            )
            if isinstance(step, Stop):
                raise error
            _log_retry(step, attempt, error)
            if isinstance(step, Calibrate):
                may_calibrate = False
                try:
                    await self.calibrate_clock()
                except KucoinError as exc:
                    raise error from exc
            delay_s = step.seconds if isinstance(step, Sleep) else 0.0
            pause = _pause_s(
                self.pacer, operation, self.retry, now=now, elapsed_s=now - started, delay_s=delay_s
            )
            if pause is None:
                raise error
            attempt += 1

    async def _attempt(
        self,
        request: httpx.Request,
        stream: bool,
        auth: AuthTypes | UseClientDefault | None,
        follow_redirects: bool | UseClientDefault,
        operation: Operation | None,
    ) -> httpx.Response | KucoinError:
        """One send: the response of a success, or the error it stands for. The pacer
        learns of every send and of its end, however it ends (even cancelled)."""
        if operation is not None:
            self.pacer.sending(operation.pool)
        result: httpx.Response | KucoinError | None = None
        try:
            result = await self._send_and_read(request, stream, auth, follow_redirects, operation)
        finally:
            _account(self.pacer, operation, self.monotonic(), result)
        return result

    async def _send_and_read(
        self,
        request: httpx.Request,
        stream: bool,
        auth: AuthTypes | UseClientDefault | None,
        follow_redirects: bool | UseClientDefault,
        operation: Operation | None,
    ) -> httpx.Response | KucoinError:
        """One send and its reply read: the response of a success, or its error."""
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
            return _transport_error(exc, request)
        error = _reply_error(response, request, operation)
        return response if error is None else error

    async def calibrate_clock(self) -> int:
        """`KucoinHTTPClient.calibrate_clock` through this async client."""
        clock = self._require_clock()
        before = clock.time_fn()
        reply = await get_server_time.asyncio(client=_server_view(self))
        return _apply_offset(clock, reply, before, clock.time_fn())

    def _require_clock(self) -> Clock:
        if self.clock is None:
            raise ConfigurationError("this client has no clock to calibrate")
        return self.clock
