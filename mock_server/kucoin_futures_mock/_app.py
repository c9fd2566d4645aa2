"""The ASGI app: KuCoin's gateway checks, the six operations, faults on the way out.

The five signed operations (the margin-mode read `GET getMarginMode`, switch `POST
changeMarginMode` and batch switch `POST batchChangeMarginMode`; the cross-margin leverage
read `GET getCrossUserLeverage` and change `POST changeCrossUserLeverage`) share every step
but the last two. A signed request meets these steps, in this order (the first that
answers wins):

1. routing: unknown path -> 404 `404000`; method not in the spec -> 405 `405000` + `Allow`;
2. faults: latency sleeps; `html_502` / `burst_429` answer as the CDN / gateway would;
3. body: over 1 MiB -> 400 `400100` (the gateway will not buffer it); not received
   within the request timeout -> 408 `408000`, connection closed;
4. authentication by the verifier (`kucoin_futures_auth.verify.verify_request` unless
   another is injected) over METHOD + path and query (decoded, see `signing_path`) + the
   body bytes received (none for a read) -> 401 with its code; the clock it uses
   includes `clock_skew` (which only these signed requests use up);
5. rate limit: the account's Futures pool is charged (weight 2, whichever operation)
   -> 429 `429000` over quota;
6. permission: an account without "Futures" -> 401 `400007`;
7. faults `http_500` / `http_503` / `business_error` stand in for the backend's reply;
8. validation against openapi.yaml, of the JSON body (switches; Content-Type
   `application/json` required) or of the query (read) -> 400 `400100` naming the problem;
9. the operation on the account's state -> 200: `200000`, or a business error with HTTP
   200 (`200003` unknown symbol for the reads, the single switch and the leverage change,
   `50002` busy symbol for the single switch, `100001` a leverage outside the symbol's
   range; the batch reports per symbol in `data.errors`); a switch or leverage change
   consults `lost_switch` here, and a lost one replies the same but changes nothing;
10. faults `reset` / `truncated` damage whichever reply was produced.

The admin API under `/_mock/` (`_admin`, on unless `create_app(admin=False)`) stands
outside all of this: no signature, rate limit, fault or recording.

Replies that are not charged to an account (404, 405, failed authentication, the public
timestamp endpoint) are charged to the client IP's Public pool; every reply except the
CDN's `html_502` carries the `gw-ratelimit-*` headers of the pool it was charged to.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Final, NamedTuple

import anyio
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kucoin_futures_auth import signing_path
from kucoin_futures_auth.verify import VerificationFailure, Verifier, verify_request

from ._admin import PREFIX as ADMIN_PREFIX
from ._admin import AdminApi
from ._body import REQUEST_TIMEOUT_S, BodyTimeout, ClientDisconnected, read_body
from ._faults import BACKEND_OUTCOMES, DELIVERY_OUTCOMES, Fault, FaultDraw
from ._ratelimit import Charge
from ._spec import (
    BATCH_PATH,
    LEVERAGE_CHANGE_PATH,
    LEVERAGE_READ_PATH,
    READ_PATH,
    SWITCH_PATH,
    TIMESTAMP_PATH,
    BodyChecker,
    QueryChecker,
    load_spec,
    operation_body_validator,
    operation_query_validators,
)
from ._state import (
    FUTURES_PERMISSION,
    SUCCESS_CODE,
    UNKNOWN_SYMBOL_CODE,
    UNKNOWN_SYMBOL_MSG,
    MockKucoin,
    RecordedRequest,
)

MAX_BODY_BYTES: Final = 1024 * 1024

_log = logging.getLogger("kucoin_futures_mock")
_JSON: Final = b"application/json"
_HTML: Final = b"text/html; charset=utf-8"
# Compact, with "code" first: the client's fast path relies on KuCoin's byte layout.
_encode = json.JSONEncoder(separators=(",", ":")).encode
_CDN_PAGE: Final = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><center><h1>502 Bad Gateway</h1></center>\n"
    b"<hr><center>cloudflare</center></body></html>\n"
)


class InjectedConnectionReset(Exception):
    """Raised mid-reply by the `reset` fault so the server drops the connection."""


class _DropInjectedResets(logging.Filter):
    # The server logs every exception that ends a reply as an application error; an
    # injected reset is the mock doing its job, not a failure worth a traceback.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedConnectionReset)


def install_reset_log_filter() -> None:
    """Keep uvicorn from logging injected resets as errors (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropInjectedResets) for f in logger.filters):
        logger.addFilter(_DropInjectedResets())


class _Reply(NamedTuple):
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]
    content_type: bytes = _JSON


class _Outcome(NamedTuple):
    reply: _Reply
    request_body: bytes = b""
    delivery: Fault | None = None


# What runs behind the gateway for one signed operation: (account key, scope, headers,
# body, rate-limit headers) -> the reply.
_Operation = Callable[[str, Scope, "_HeaderView", bytes, list[tuple[bytes, bytes]]], _Reply]


class _HeaderView(Mapping[str, str]):
    """Request headers as the verifier sees them: case-insensitive, first value wins.

    Non-ASCII bytes in a value become "?": no valid KC-API-* value contains any, so the
    request still fails, with the code of the header that is wrong.
    """

    __slots__ = ("_values",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        values: dict[str, str] = {}
        for name, value in raw:
            key = name.decode("latin-1").lower()
            if key not in values:
                values[key] = (
                    value.decode("ascii")
                    if value.isascii()
                    else value.decode("latin-1").encode("ascii", "replace").decode("ascii")
                )
        self._values = values

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _error(code: str, msg: str) -> bytes:
    return _encode({"code": code, "msg": msg}).encode("ascii")


def _request_target(scope: Scope) -> str:
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope.get("query_string", b"")
    target: str = raw_path.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


def _client_pool(scope: Scope) -> tuple[str, str]:
    client = scope.get("client")
    return ("public", client[0] if client else "unknown")


def _is_json_content_type(value: str | None) -> bool:
    return value is not None and value.partition(";")[0].strip().lower() == "application/json"


async def _deliver(send: Send, reply: _Reply, delivery: Fault | None) -> None:
    body = reply.body
    if delivery is Fault.TRUNCATED:
        # Any proper prefix of a JSON object is invalid JSON; the framing stays correct.
        body = body[: len(body) // 2]
    headers = [
        (b"content-type", reply.content_type),
        (b"content-length", b"%d" % len(body)),
        *reply.headers,
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if delivery is Fault.RESET:
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        raise InjectedConnectionReset("fault injected: connection reset mid-reply")
    await send({"type": "http.response.body", "body": body})


class _Endpoint:
    """A raw ASGI endpoint: Starlette hands non-function endpoints the scope untouched."""

    def __init__(self, mock: MockKucoin, handle: Callable[[Scope, Receive], Awaitable[_Outcome]]):
        self._mock = mock
        self._handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        received_at = self._mock.clock()
        try:
            outcome = await self._handle(scope, receive)
        except ClientDisconnected:
            return
        reply = outcome.reply
        self._mock._record(
            RecordedRequest(
                scope["method"],
                _request_target(scope),
                tuple(scope["headers"]),
                outcome.request_body,
                reply.status,
                received_at,
                ((b"content-type", reply.content_type), *reply.headers),
            )
        )
        await _deliver(send, reply, outcome.delivery)


class _Service:
    def __init__(
        self,
        mock: MockKucoin,
        verify: Verifier,
        *,
        batch_bodies: BodyChecker,
        switch_bodies: BodyChecker,
        read_queries: QueryChecker,
        leverage_bodies: BodyChecker,
        leverage_queries: QueryChecker,
        request_timeout_s: float,
    ) -> None:
        self._mock = mock
        self._request_timeout_s = request_timeout_s
        self._verify = verify
        self._batch_bodies = batch_bodies
        self._switch_bodies = switch_bodies
        self._read_queries = read_queries
        self._leverage_bodies = leverage_bodies
        self._leverage_queries = leverage_queries

    # ---- replies --------------------------------------------------------------------

    def _public(
        self, scope: Scope, status: int, code: str, msg: str, extra: list[tuple[bytes, bytes]]
    ) -> _Reply:
        """An error reply charged to the client's Public pool (429 once that is used up)."""
        charge = self._mock._charge(_client_pool(scope))
        if not charge.allowed:
            return _Reply(429, _error("429000", "Too Many Requests"), charge.headers())
        return _Reply(status, _error(code, msg), charge.headers() + extra)

    def not_found(self, scope: Scope) -> _Reply:
        return self._public(scope, 404, "404000", "Not Found", [])

    def not_allowed(self, scope: Scope, allow: bytes) -> _Reply:
        return self._public(scope, 405, "405000", "Method Not Allowed", [(b"allow", allow)])

    @staticmethod
    def _backend_fault(kind: Fault, params: Mapping[str, int | str], charge: Charge) -> _Reply:
        if kind is Fault.HTTP_500:
            return _Reply(500, _error("500000", "Internal Server Error"), charge.headers())
        if kind is Fault.HTTP_503:
            return _Reply(503, _error("503000", "Service Unavailable"), charge.headers())
        return _Reply(200, _error(str(params["code"]), str(params["msg"])), charge.headers())

    # ---- endpoints ------------------------------------------------------------------

    async def unknown_path(self, scope: Scope, receive: Receive) -> _Outcome:
        return _Outcome(self.not_found(scope))

    async def server_time(self, scope: Scope, receive: Receive) -> _Outcome:
        if scope["method"] not in ("GET", "HEAD"):
            return _Outcome(self.not_allowed(scope, b"GET, HEAD"))
        mock = self._mock
        faults = mock._draw_faults(signed=False)
        if faults.latency_ms:
            await anyio.sleep(faults.latency_ms / 1000)
        charge = mock._charge(_client_pool(scope))
        if not charge.allowed:
            return _Outcome(_Reply(429, _error("429000", "Too Many Requests"), charge.headers()))
        body = b'{"code":"200000","data":%d}' % (mock.now_ms() + faults.skew_ms)
        return _Outcome(_Reply(200, body, charge.headers()))

    async def batch_change_margin_mode(self, scope: Scope, receive: Receive) -> _Outcome:
        return await self._signed_endpoint(scope, receive, "POST", self._batch)

    async def change_margin_mode(self, scope: Scope, receive: Receive) -> _Outcome:
        return await self._signed_endpoint(scope, receive, "POST", self._switch_one)

    async def get_margin_mode(self, scope: Scope, receive: Receive) -> _Outcome:
        return await self._signed_endpoint(scope, receive, "GET", self._read)

    async def get_cross_user_leverage(self, scope: Scope, receive: Receive) -> _Outcome:
        return await self._signed_endpoint(scope, receive, "GET", self._read_leverage)

    async def change_cross_user_leverage(self, scope: Scope, receive: Receive) -> _Outcome:
        return await self._signed_endpoint(scope, receive, "POST", self._change_leverage)

    async def _signed_endpoint(
        self, scope: Scope, receive: Receive, method: str, operation: _Operation
    ) -> _Outcome:
        if scope["method"] != method:
            return _Outcome(self.not_allowed(scope, method.encode("ascii")))
        mock = self._mock
        faults = mock._draw_faults(signed=True)
        if faults.latency_ms:
            await anyio.sleep(faults.latency_ms / 1000)
        if faults.outcome is Fault.HTML_502:
            return _Outcome(_Reply(502, _CDN_PAGE, [], _HTML))
        if faults.outcome is Fault.BURST_429:
            burst = Charge(False, mock.quota, 0, int(faults.params["reset_ms"]))
            return _Outcome(_Reply(429, _error("429000", "Too Many Requests"), burst.headers()))
        try:
            body = await read_body(receive, MAX_BODY_BYTES, self._request_timeout_s)
        except BodyTimeout:
            msg = f"body: not received within {self._request_timeout_s:g} s"
            return _Outcome(self._public(scope, 408, "408000", msg, [(b"connection", b"close")]))
        if body is None:
            reply = self._public(
                scope, 400, "400100", "body: larger than 1 MiB", [(b"connection", b"close")]
            )
            return _Outcome(reply)
        delivery = faults.outcome if faults.outcome in DELIVERY_OUTCOMES else None
        return _Outcome(self._signed(scope, body, faults, operation), body, delivery)

    def _signed(
        self, scope: Scope, body: bytes, faults: FaultDraw, operation: _Operation
    ) -> _Reply:
        mock = self._mock
        headers = _HeaderView(scope["headers"])
        try:
            verdict = self._verify(
                headers,
                scope["method"],
                signing_path(_request_target(scope)),
                body,
                lookup=mock._credentials_for,
                now_ms=mock.now_ms() + faults.skew_ms,
            )
        except Exception as exc:  # a verifier bug must not turn into a 500
            _log.warning("verifier raised %s; refusing the request", type(exc).__name__)
            verdict = VerificationFailure(
                "400001", "Please check the KC-API-* headers of your request"
            )
        if isinstance(verdict, VerificationFailure):
            return self._public(scope, 401, verdict.code, verdict.msg, [])
        account = mock._account(verdict.credentials.key)
        if account is None:  # an injected verifier vouched for a key the mock does not hold
            return self._public(scope, 401, "400003", "KC-API-KEY not exists", [])
        charge = mock._charge(("futures", account.key))
        limits = charge.headers()
        if not charge.allowed:
            return _Reply(429, _error("429000", "Too Many Requests"), limits)
        if FUTURES_PERMISSION not in account.permissions:
            return _Reply(401, _error("400007", "Access denied, require more permission."), limits)
        if faults.outcome in BACKEND_OUTCOMES:
            assert faults.outcome is not None
            return self._backend_fault(faults.outcome, faults.params, charge)
        return operation(account.key, scope, headers, body, limits)

    # ---- the operations, behind the gateway ----------------------------------------------

    @staticmethod
    def _json_body(
        checker: BodyChecker, headers: _HeaderView, body: bytes
    ) -> tuple[Any, str | None]:
        if not _is_json_content_type(headers.get("content-type")):
            return None, "Content-Type must be application/json"
        return checker.check(body)

    def _batch(
        self,
        key: str,
        scope: Scope,
        headers: _HeaderView,
        body: bytes,
        limits: list[tuple[bytes, bytes]],
    ) -> _Reply:
        document, violation = self._json_body(self._batch_bodies, headers, body)
        if violation is not None:
            return _Reply(400, _error("400100", violation), limits)
        mock = self._mock
        modes, errors = mock._switch(
            key, document["marginMode"], document["symbols"], lost=mock._lost_switch()
        )
        reply = _encode({"code": SUCCESS_CODE, "data": {"marginMode": modes, "errors": errors}})
        return _Reply(200, reply.encode("ascii"), limits)

    def _switch_one(
        self,
        key: str,
        scope: Scope,
        headers: _HeaderView,
        body: bytes,
        limits: list[tuple[bytes, bytes]],
    ) -> _Reply:
        document, violation = self._json_body(self._switch_bodies, headers, body)
        if violation is not None:
            return _Reply(400, _error("400100", violation), limits)
        mock = self._mock
        symbol = document["symbol"]
        code, result = mock._switch_one(
            key, document["marginMode"], symbol, lost=mock._lost_switch()
        )
        return _Reply(200, _symbol_reply(code, symbol, result), limits)

    def _read(
        self,
        key: str,
        scope: Scope,
        headers: _HeaderView,
        body: bytes,
        limits: list[tuple[bytes, bytes]],
    ) -> _Reply:
        query, violation = self._read_queries.check(scope.get("query_string", b""))
        if violation is not None:
            return _Reply(400, _error("400100", violation), limits)
        symbol = query["symbol"]
        mode = self._mock._read(key, symbol)
        if mode is None:
            reply = _error(UNKNOWN_SYMBOL_CODE, UNKNOWN_SYMBOL_MSG)
        else:
            reply = _symbol_reply(SUCCESS_CODE, symbol, mode)
        return _Reply(200, reply, limits)

    def _read_leverage(
        self,
        key: str,
        scope: Scope,
        headers: _HeaderView,
        body: bytes,
        limits: list[tuple[bytes, bytes]],
    ) -> _Reply:
        query, violation = self._leverage_queries.check(scope.get("query_string", b""))
        if violation is not None:
            return _Reply(400, _error("400100", violation), limits)
        symbol = query["symbol"]
        leverage = self._mock._read_leverage(key, symbol)
        if leverage is None:
            return _Reply(200, _error(UNKNOWN_SYMBOL_CODE, UNKNOWN_SYMBOL_MSG), limits)
        document = {"code": SUCCESS_CODE, "data": {"symbol": symbol, "leverage": leverage}}
        return _Reply(200, _encode(document).encode("ascii"), limits)

    def _change_leverage(
        self,
        key: str,
        scope: Scope,
        headers: _HeaderView,
        body: bytes,
        limits: list[tuple[bytes, bytes]],
    ) -> _Reply:
        document, violation = self._json_body(self._leverage_bodies, headers, body)
        if violation is not None:
            return _Reply(400, _error("400100", violation), limits)
        mock = self._mock
        code, msg = mock._change_leverage(
            key, document["symbol"], document["leverage"], lost=mock._lost_switch()
        )
        reply = b'{"code":"200000","data":true}' if code == SUCCESS_CODE else _error(code, msg)
        return _Reply(200, reply, limits)


def _symbol_reply(code: str, symbol: str, result: str) -> bytes:
    """`200000` with the read's `data` (symbol, mode), or the business error `code` (msg)."""
    if code != SUCCESS_CODE:
        return _error(code, result)
    document = {"code": code, "data": {"symbol": symbol, "marginMode": result}}
    return _encode(document).encode("ascii")


def create_app(
    mock: MockKucoin | None = None,
    *,
    verify: Verifier | None = None,
    admin: bool = True,
    request_timeout_s: float = REQUEST_TIMEOUT_S,
) -> Starlette:
    """The mock as a Starlette app, backed by `mock` (a fresh demo `MockKucoin` if None).

    `verify` replaces the signature check (default: `kucoin_futures_auth`'s
    `verify_request`), e.g. with a deliberately broken one to prove a test suite notices.
    `admin` serves the admin API under `/_mock/` (see `_admin`); without it those paths
    are unknown paths like any other (404 `404000`). A request body that has not arrived
    `request_timeout_s` seconds after the app started reading it is answered 408 `408000`
    and the connection closed (the server bounds the request head: see `_protocol`).
    The spec is loaded and its request validator compiled here, once.
    """
    if not (math.isfinite(request_timeout_s) and request_timeout_s > 0):
        raise ValueError(f"request_timeout_s must be finite and > 0, not {request_timeout_s!r}")
    mock = MockKucoin() if mock is None else mock
    spec = load_spec()
    service = _Service(
        mock,
        verify_request if verify is None else verify,
        batch_bodies=BodyChecker(operation_body_validator(spec, BATCH_PATH, "post")),
        switch_bodies=BodyChecker(operation_body_validator(spec, SWITCH_PATH, "post")),
        read_queries=QueryChecker(operation_query_validators(spec, READ_PATH, "get")),
        leverage_bodies=BodyChecker(operation_body_validator(spec, LEVERAGE_CHANGE_PATH, "post")),
        leverage_queries=QueryChecker(operation_query_validators(spec, LEVERAGE_READ_PATH, "get")),
        request_timeout_s=request_timeout_s,
    )
    install_reset_log_filter()
    admin_routes = (
        [Route(f"{ADMIN_PREFIX}/{{rest:path}}", AdminApi(mock, request_timeout_s))] if admin else []
    )
    app = Starlette(
        routes=[
            Route(BATCH_PATH, _Endpoint(mock, service.batch_change_margin_mode)),
            Route(SWITCH_PATH, _Endpoint(mock, service.change_margin_mode)),
            Route(READ_PATH, _Endpoint(mock, service.get_margin_mode)),
            Route(LEVERAGE_READ_PATH, _Endpoint(mock, service.get_cross_user_leverage)),
            Route(LEVERAGE_CHANGE_PATH, _Endpoint(mock, service.change_cross_user_leverage)),
            Route(TIMESTAMP_PATH, _Endpoint(mock, service.server_time)),
            *admin_routes,
            Route("/{path:path}", _Endpoint(mock, service.unknown_path)),
        ]
    )
    app.state.mock = mock
    return app
