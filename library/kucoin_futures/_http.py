"""httpx clients that turn KuCoin replies into typed errors, retry safely and sync the clock.

The work happens in `send()`, below every generated operation, so a direct call to a
generated function gets it too. Each attempt is a fresh `super().send()`, which runs the
signing auth flow again: every attempt carries a new timestamp and signature. What an
operation's success looks like, and whether it is signed, comes from the spec
(`_operations.py`); nothing here names an operation.

One code path for sync and async: `_SharedClient.send_plan` decides everything (pauses,
attempts, retries, clock sync, the call's deadline) as a generator that yields what to do
next (`Sleep`, `Send`, `Calibrate`) and receives what came of it. Each twin drives it in
a short loop and holds only its own I/O: sending and reading one attempt, sleeping.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Any, Final

import attrs
import httpx

from kucoin_futures_auth import SECRET_HEADERS, Clock
from kucoin_futures_client import Client
from kucoin_futures_client.api.public import get_server_time
from kucoin_futures_client.models import ServerTimeResponse

from ._deadline import CALL_DEADLINE, CallDeadline, attempt_deadline, attempt_deadline_s
from ._defaults import DEFAULT_MAX_REPLY_BYTES
from ._errors import (
    SUCCESS_CODE,
    ConfigurationError,
    DeadlineExceededError,
    InvalidReplyError,
    KucoinAPIError,
    KucoinError,
    QuotaWaitError,
    RateLimit,
    RateLimitError,
    TransportError,
    error_from_reply,
    excerpt,
    redact_text,
    redaction_forms,
    unreadable_reply,
)
from ._network import DeadlineTransport, core_proxy, environment_proxy
from ._operations import Operation, find_operation, shape_problem
from ._pacing import Pacer
from ._reply import ACCEPTED_ENCODINGS, BodyReader, UnreadableReply, parse_json
from ._retry import Calibrate, RetryPolicy, Sleep, Stop, next_step

logger = logging.getLogger("kucoin_futures.http")

_SECRET: Final = frozenset(name.lower().encode() for name in SECRET_HEADERS)
# Server time before 2017 or after 2100 is a broken server, not a clock to follow.
_PLAUSIBLE_SERVER_TIME_MS: Final = range(1_483_228_800_000, 4_102_444_800_000)
# Errors that sending again can cure; the others (bad URL scheme, ...) would recur.
_TRANSIENT_TRANSPORT_ERRORS: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


def _signed_values(request: httpx.Request) -> list[str]:
    """The request's signature header values: never to be shown from a reply. (One pass
    over the raw headers: a lookup by name would walk them once per name.)"""
    return [
        value.decode("latin-1") for name, value in request.headers.raw if name.lower() in _SECRET
    ]


def _transport_error(exc: httpx.RequestError, request: httpx.Request) -> TransportError:
    # h11's messages quote the offending bytes, which a hostile server can fill with the
    # request's own headers.
    message = redact_text(str(exc), _signed_values(request))
    error = TransportError(
        f"{type(exc).__name__} on {request.method} {request.url.path}: {message[:300]}",
        retryable=isinstance(exc, _TRANSIENT_TRANSPORT_ERRORS),
    )
    # The httpx error (and the httpcore/h11 errors chained to it) would show the quote in
    # a traceback: chain a copy of it that carries the redacted message only.
    error.__cause__ = exc if message == str(exc) else type(exc)(message, request=request)
    return error


def _late(
    request: httpx.Request, deadline_s: float, cause: BaseException | None = None
) -> TransportError:
    error = TransportError(
        f"{request.method} {request.url.path}: no complete reply within the attempt's "
        f"deadline of {deadline_s:g} s",
        retryable=True,
    )
    error.__cause__ = cause
    return error


def _unreadable(
    response: httpx.Response, request: httpx.Request, reader: BodyReader, exc: UnreadableReply
) -> KucoinError:
    redact = _signed_values(request)
    if exc.retryable:  # cut off or garbled on the way: judged like any unreadable body
        return unreadable_reply(
            response.status_code,
            response.headers,
            reader.start(),
            redact,
            exc.reason,
            retryable=True,
        )
    # Too large, or an encoding not asked for: never retried (it would come back the same,
    # and be downloaded again up to the cap), whatever the status.
    return InvalidReplyError(
        response.status_code,
        excerpt(reader.start(), redact, response.headers.get("content-type")),
        redact_text(exc.reason, redact),
    )


def _body_reader(response: httpx.Response, max_reply_bytes: int) -> BodyReader:
    # A transport that builds its replies in memory (httpx.MockTransport) hands over a
    # body that is read and decoded already.
    encoding = None if response.is_stream_consumed else response.headers.get("content-encoding")
    return BodyReader(encoding, max_reply_bytes)


def _wire_chunks(response: httpx.Response) -> Iterable[bytes]:
    return [response.content] if response.is_stream_consumed else response.iter_raw()


class CheckedResponse(httpx.Response):
    """A success reply as the HTTP layer hands it on: read within the size cap, parsed by
    the bounded parser (`_reply.parse_json`) and of the spec's shape. Built with httpx's
    public constructor over the checked body; `content` is that body and `json()` that
    checked parse (the same object each time), so the generated parser works on exactly
    what was checked, without reading or parsing the body again."""

    def __init__(self, response: httpx.Response, body: bytes, parsed: Any) -> None:
        headers: httpx.Headers | list[tuple[bytes, bytes]] = response.headers
        if "content-encoding" in headers:  # the body is decoded already
            headers = [
                (name, value)
                for name, value in response.headers.raw
                if name.lower() not in (b"content-encoding", b"content-length")
            ] + [(b"content-length", b"%d" % len(body))]
        super().__init__(
            response.status_code,
            headers=headers,
            stream=httpx.ByteStream(body),
            request=response.request,
            extensions=response.extensions,
            history=response.history,
        )
        with contextlib.suppress(RuntimeError):  # an in-memory reply (MockTransport) has none
            self.elapsed = response.elapsed
        self.checked_body = body
        self.checked_json = parsed

    @property
    def content(self) -> bytes:
        # The body in hand, not copied through httpx's decoders once more (measured:
        # 20 us, a tenth of this layer's cost per call).
        return self.checked_body

    def read(self) -> bytes:
        return self.checked_body

    def json(self, **kwargs: Any) -> Any:
        return super().json(**kwargs) if kwargs else self.checked_json


def _checked_reply(
    response: httpx.Response, body: bytes, request: httpx.Request, operation: Operation | None
) -> httpx.Response | KucoinError:
    """The success reply of the shape the spec gives, or the error the reply stands for."""
    redact = _signed_values(request)
    if response.status_code == 200:
        try:
            reply = parse_json(body)
        except UnreadableReply:
            reply = None
        if isinstance(reply, dict) and reply.get("code") == SUCCESS_CODE:
            # Checked here so that the generated parser, which runs next, can never fail
            # with a KeyError or TypeError on a reply that merely starts like a success.
            problem = None if operation is None else shape_problem(operation.success, reply)
            if problem is None and not _echoes(body, redact):
                return CheckedResponse(response, body, reply)
            reason = (
                f"success reply whose {problem}"
                if problem is not None
                else "success reply that echoes the request's signature headers"
            )
            shown = excerpt(body, redact, response.headers.get("content-type"))
            return InvalidReplyError(200, shown, redact_text(reason, redact))
    error = error_from_reply(response.status_code, response.headers, body, redact=redact)
    assert error is not None  # a success was returned above
    return error


def _echoes(body: bytes, redact: list[str]) -> bool:
    # KuCoin never quotes a request's signature headers; a reply that does is a proxy or
    # server echoing the request, and nothing of it may reach the caller's output. (A
    # percent-encoded form needs a "%": most replies have none to look for.)
    if b"%" in body:
        return any(form.encode() in body for value in redact for form in redaction_forms(value))
    return any(value.encode() in body for value in redact if value)


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
        rate_limit: RateLimit | None = RateLimit.from_raw_headers(result.headers.raw)
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
    if reply.data not in _PLAUSIBLE_SERVER_TIME_MS:
        raise InvalidReplyError(
            200, str(reply.data)[:40], "server time is not a date between 2017 and 2100 (ms)"
        )
    # The server read its clock somewhere in the round trip: assume the middle. (A retried
    # calibration's round trip includes the waits, each bounded by the retry policy.)
    offset = round(reply.data - (before + after) * 500)
    clock.offset_ms = offset
    logger.info("clock offset to KuCoin server time set to %d ms", offset)
    return offset


@attrs.frozen
class Send:
    """Send the request once, within `seconds` (connect to last byte)."""

    seconds: float


Action = Sleep | Send | Calibrate
"""What `send_plan` asks its driver to do next."""
Plan = Generator[Action, "httpx.Response | KucoinError | None", httpx.Response]


def _past_deadline(
    request: httpx.Request, deadline: CallDeadline, error: KucoinError | None
) -> DeadlineExceededError:
    target = request.url.raw_path.decode("ascii", "replace")[:200]
    if error is None:
        what = f"{request.method} {target} not sent"
    else:
        what = f"{request.method} {target} not sent again after {_describe(error)}"
    return DeadlineExceededError(
        f"{what}: the call's deadline of {deadline.seconds:g} s has passed",
        deadline_s=deadline.seconds,
        last_error=error,
    )


class _SharedClient:
    """What `KucoinHTTPClient` and `KucoinAsyncHTTPClient` share: settings and the plan of
    one `send()`. Mixed in before the httpx client class."""

    attempt_deadline_s: float
    max_reply_bytes: int
    pacer: Pacer
    retry: RetryPolicy | None
    clock: Clock | None
    clock_sync: bool
    monotonic: Callable[[], float]

    def _configure(
        self,
        timeout: httpx.Timeout,
        *,
        retry: RetryPolicy | None,
        clock: Clock | None,
        clock_sync: bool,
        pacer: Pacer | None,
        max_reply_bytes: int,
        monotonic: Callable[[], float],
    ) -> None:
        self.attempt_deadline_s = attempt_deadline_s(timeout)
        self.max_reply_bytes = max_reply_bytes
        self.pacer = pacer if pacer is not None else Pacer()
        self.retry = retry
        self.clock = clock
        self.clock_sync = clock_sync
        self.monotonic = monotonic

    def send_plan(self, request: httpx.Request, operation: Operation | None) -> Plan:
        """Every decision of one `send()`: yields a `Sleep`, `Send` (receives the attempt's
        success response or error) or `Calibrate` (receives None, or the calibration's
        error); returns the success response, or raises the error that ends the call.

        The call's deadline (`_deadline.call_deadline`), when one is set, bounds it all:
        no pause runs past it, each attempt gets at most the time left, and once it has
        passed nothing more is sent (`DeadlineExceededError`)."""
        deadline = CALL_DEADLINE.get()
        signed = operation is None or operation.signed
        may_calibrate = signed and self.clock_sync and self.clock is not None
        started = self.monotonic()
        pause = _pause_s(self.pacer, operation, self.retry, now=started, elapsed_s=0.0, delay_s=0.0)
        if pause is None:
            assert operation is not None
            wait_ms = round(self.pacer.wait_s(operation.pool, started) * 1000)
            raise QuotaWaitError(operation.pool, wait_ms)
        attempt = 1
        error: KucoinError | None = None
        now = started
        while True:
            seconds = self.attempt_deadline_s
            if deadline is not None:
                left = deadline.at - now - pause
                if left <= 0:
                    raise _past_deadline(request, deadline, error)
                seconds = min(seconds, left)
            if pause > 0:
                yield Sleep(pause)
            if operation is not None:
                self.pacer.sending(operation.pool)
            result: httpx.Response | KucoinError | None = None
            try:
                result = yield Send(seconds)
            finally:  # the pacer learns of every send's end, however it ends (cancelled)
                _account(self.pacer, operation, self.monotonic(), result)
            assert result is not None
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
                failure = yield step
                if isinstance(failure, KucoinError):
                    raise error from failure
                now = self.monotonic()
            delay_s = step.seconds if isinstance(step, Sleep) else 0.0
            pause = _pause_s(
                self.pacer, operation, self.retry, now=now, elapsed_s=now - started, delay_s=delay_s
            )
            if pause is None:
                raise error
            attempt += 1

    def _require_clock(self) -> Clock:
        if self.clock is None:
            raise ConfigurationError("this client has no clock to calibrate")
        return self.clock


def _with_deadline_transport(httpx_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The sync client's httpx settings with `DeadlineTransport` as its transport, unless
    the caller gave a transport of their own. Its proxy is `proxy=`, else the
    environment's for the base URL (when `trust_env`): httpx itself ignores environment
    proxies once a transport is given."""
    if httpx_kwargs.get("transport") is not None:
        return httpx_kwargs
    settings = dict(httpx_kwargs)
    trust_env = settings.get("trust_env", True)
    proxy = settings.pop("proxy", None)
    if proxy is None and trust_env:
        proxy = environment_proxy(httpx.URL(settings.get("base_url", "")))
    settings["transport"] = DeadlineTransport(
        verify=settings.get("verify", True),
        cert=settings.get("cert"),
        trust_env=trust_env,
        http1=settings.get("http1", True),
        http2=settings.get("http2", False),
        limits=settings.get("limits"),
        proxy=None if proxy is None else core_proxy(proxy),
    )
    return settings


def _json_as_content(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`build_request` arguments (a fresh dict of the call's own) with a `json=` body
    encoded here: compact and ASCII-escaped, NaN and infinities refused, as httpx does but
    with `ensure_ascii=True`, the standard library's fast path, and one encoder for all
    calls (measured at 1000 symbols: 60 us instead of 120 for httpx's
    `ensure_ascii=False`). The JSON value is the same; the signature covers the bytes
    sent either way."""
    payload = kwargs.get("json")
    if (
        payload is None
        or kwargs.get("content") is not None
        or kwargs.get("data") is not None
        or kwargs.get("files") is not None
    ):
        return kwargs
    headers = kwargs.get("headers")
    if not (isinstance(headers, dict) and "Content-Type" in headers):  # as generated code has
        headers = httpx.Headers(headers)
        headers.setdefault("Content-Type", "application/json")
    kwargs["json"] = None
    kwargs["content"] = _JSON_ENCODER.encode(payload).encode("ascii")
    kwargs["headers"] = headers
    return kwargs


_JSON_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


class KucoinHTTPClient(_SharedClient, httpx.Client):
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
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        super().__init__(**_with_deadline_transport(httpx_kwargs))
        self.headers["Accept-Encoding"] = ACCEPTED_ENCODINGS
        self._configure(
            self.timeout,
            retry=retry,
            clock=clock,
            clock_sync=clock_sync,
            pacer=pacer,
            max_reply_bytes=max_reply_bytes,
            monotonic=monotonic,
        )
        self.sleep = sleep

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        return super().build_request(method, url, **_json_as_content(kwargs))

    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        operation = find_operation(request.method, request.url.path)
        if operation is not None and not operation.signed:
            auth = None
        plan = self.send_plan(request, operation)
        with contextlib.closing(plan):
            action = next(plan)
            while True:
                outcome: httpx.Response | KucoinError | None = None
                if isinstance(action, Send):
                    outcome = self._send_once(
                        request, action.seconds, auth, follow_redirects, operation
                    )
                elif isinstance(action, Sleep):
                    self.sleep(action.seconds)
                else:
                    outcome = self._calibrate_for_retry()
                try:
                    action = plan.send(outcome)
                except StopIteration as done:
                    response: httpx.Response = done.value
                    return response

    def _send_once(
        self,
        request: httpx.Request,
        seconds: float,
        auth: Any,
        follow_redirects: Any,
        operation: Operation | None,
    ) -> httpx.Response | KucoinError:
        """One send and its reply read, within `seconds` and the size cap: the response of
        a success, or its error."""
        with attempt_deadline(seconds) as deadline:
            try:
                response = super().send(
                    request, stream=True, auth=auth, follow_redirects=follow_redirects
                )
                reader = _body_reader(response, self.max_reply_bytes)
                try:
                    for chunk in _wire_chunks(response):
                        reader.feed(chunk)
                        # Also for transports that ignore the deadline (a test's MockTransport).
                        if time.monotonic() > deadline:
                            return _late(request, seconds)
                    body = reader.body()
                except UnreadableReply as exc:
                    return _unreadable(response, request, reader, exc)
                finally:
                    response.close()
            except httpx.RequestError as exc:
                if isinstance(exc, httpx.TimeoutException) and time.monotonic() >= deadline:
                    return _late(request, seconds, exc)
                return _transport_error(exc, request)
        return _checked_reply(response, body, request, operation)

    def _calibrate_for_retry(self) -> KucoinError | None:
        try:
            self.calibrate_clock()
        except KucoinError as exc:
            return exc
        return None

    def calibrate_clock(self) -> int:
        """Measure the offset of `clock` to KuCoin's server time with the generated
        server-time operation, apply it and return it (ms). Retried like any request."""
        clock = self._require_clock()
        before = clock.time_fn()
        reply = get_server_time.sync(client=_server_view(self))
        return _apply_offset(clock, reply, before, clock.time_fn())


async def _anyio_sleep(seconds: float) -> None:
    import anyio  # only retries need it; importing it up front would slow every start

    await anyio.sleep(seconds)


class KucoinAsyncHTTPClient(_SharedClient, httpx.AsyncClient):
    """The `httpx.AsyncClient` twin of `KucoinHTTPClient`: the same plan, driven with
    awaits; it waits with the running event loop's sleep (asyncio or trio, through anyio)
    and bounds each attempt with a cancel scope, so httpx's own transports (also those
    of environment proxies) keep the deadline. `sleep` (a coroutine function) and
    `monotonic` are replaceable in tests."""

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        clock_sync: bool = True,
        pacer: Pacer | None = None,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        sleep: Callable[[float], Awaitable[None]] = _anyio_sleep,
        monotonic: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        super().__init__(**httpx_kwargs)
        self.headers["Accept-Encoding"] = ACCEPTED_ENCODINGS
        self._configure(
            self.timeout,
            retry=retry,
            clock=clock,
            clock_sync=clock_sync,
            pacer=pacer,
            max_reply_bytes=max_reply_bytes,
            monotonic=monotonic,
        )
        self.sleep = sleep

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        return super().build_request(method, url, **_json_as_content(kwargs))

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        operation = find_operation(request.method, request.url.path)
        if operation is not None and not operation.signed:
            auth = None
        plan = self.send_plan(request, operation)
        with contextlib.closing(plan):
            action = next(plan)
            while True:
                outcome: httpx.Response | KucoinError | None = None
                if isinstance(action, Send):
                    outcome = await self._send_once(
                        request, action.seconds, auth, follow_redirects, operation
                    )
                elif isinstance(action, Sleep):
                    await self.sleep(action.seconds)
                else:
                    outcome = await self._calibrate_for_retry()
                try:
                    action = plan.send(outcome)
                except StopIteration as done:
                    response: httpx.Response = done.value
                    return response

    async def _send_once(
        self,
        request: httpx.Request,
        seconds: float,
        auth: Any,
        follow_redirects: Any,
        operation: Operation | None,
    ) -> httpx.Response | KucoinError:
        """One send and its reply read, within `seconds` (a cancel scope) and the size
        cap: the response of a success, or its error."""
        import anyio  # loaded by httpx's async transport already

        try:
            with anyio.fail_after(seconds):
                response = await super().send(
                    request, stream=True, auth=auth, follow_redirects=follow_redirects
                )
                reader = _body_reader(response, self.max_reply_bytes)
                try:
                    if response.is_stream_consumed:
                        reader.feed(response.content)
                    else:
                        async for chunk in response.aiter_raw():
                            reader.feed(chunk)
                    body = reader.body()
                except UnreadableReply as exc:
                    return _unreadable(response, request, reader, exc)
                finally:
                    await response.aclose()
        except httpx.RequestError as exc:
            return _transport_error(exc, request)
        except TimeoutError as exc:
            return _late(request, seconds, exc)
        return _checked_reply(response, body, request, operation)

    async def _calibrate_for_retry(self) -> KucoinError | None:
        try:
            await self.calibrate_clock()
        except KucoinError as exc:
            return exc
        return None

    async def calibrate_clock(self) -> int:
        """`KucoinHTTPClient.calibrate_clock` through this async client."""
        clock = self._require_clock()
        before = clock.time_fn()
        reply = await get_server_time.asyncio(client=_server_view(self))
        return _apply_offset(clock, reply, before, clock.time_fn())
