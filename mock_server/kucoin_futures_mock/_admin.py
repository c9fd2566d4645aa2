"""The admin API under `/_mock/`: read and change the mock's state and faults over HTTP.

For test suites in any language, and for the mock run as a separate service (a CI
sidecar). Unsigned, never rate-limited, faulted or recorded, and not part of KuCoin's
contract: it is described by `admin-openapi.yaml` in this package (also served at
`GET /_mock/openapi.yaml`), not by the root `openapi.yaml`. Every route goes through
`MockKucoin`'s public methods, the same ones the pytest fixture's `.mock` offers, so the
faults take the same validation as `--fault` and `MockKucoin.inject`.

Bad input is answered 400 `{"error": "<what is wrong>"}`; an unknown admin path 404, a
known path with another method 405 (with `Allow`) and a body that does not arrive in
time 408, in the same shape.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from kucoin_futures_auth import REDACTED, SECRET_HEADERS

from ._body import BodyTimeout, ClientDisconnected, read_body
from ._state import MARGIN_MODES, MIN_LEVERAGE, MockKucoin, RecordedRequest, leverage_text

PREFIX: Final = "/_mock"
DOCUMENT_FILE: Final = "admin-openapi.yaml"
MAX_ADMIN_BODY_BYTES: Final = 64 * 1024
# Request headers never shown by GET /_mock/requests: the signatures and the (signed)
# passphrase, the key, and the usual carriers of credentials.
REDACTED_HEADERS: Final = frozenset(
    {name.lower() for name in SECRET_HEADERS} | {"kc-api-key", "authorization", "cookie"}
)
_SHOWN_CHARS: Final = 60
_SYMBOL_ROUTE: Final = re.compile(re.escape(PREFIX) + r"/symbols/(?P<symbol>[^/]+)")

_Reply = tuple[int, bytes, list[tuple[bytes, bytes]]]
_Handler = Callable[[Scope, Receive], Awaitable[_Reply]]


class AdminInputError(ValueError):
    """Admin input that cannot be applied: answered 400 with this message."""


def _shown(value: object) -> str:
    """A value quoted in an error: repr, bounded (it comes from the request)."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."


def _json(status: int, document: object, extra: list[tuple[bytes, bytes]] | None = None) -> _Reply:
    body = json.dumps(document, indent=2, ensure_ascii=True).encode("ascii") + b"\n"
    return status, body, [(b"content-type", b"application/json"), *(extra or [])]


def _error(status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> _Reply:
    return _json(status, {"error": message}, extra)


def _query(scope: Scope, allowed: frozenset[str]) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    values: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise AdminInputError(f"unknown query parameter {_shown(name)} (allowed: {known})")
        if name in values:
            raise AdminInputError(f"query parameter {name!r} given twice")
        values[name] = value
    return values


def _reject_huge_integer(text: str) -> int:
    # int() refuses over ~4300 digits anyway; no field here needs more than a few.
    if len(text.lstrip("-")) > 18:
        raise AdminInputError(f"body: number {_shown(text)} is too long")
    return int(text)


def _reject_constant(text: str) -> None:
    raise AdminInputError(f"body: {text} is not JSON")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # As the signed routes: which of two values would count is a guess, so neither does.
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise AdminInputError(f"body: member {_shown(key)} is repeated")
        document[key] = value
    return document


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(
            body,
            parse_int=_reject_huge_integer,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_members,
        )
    except RecursionError:
        raise AdminInputError("body: nested too deeply") from None
    except ValueError as exc:  # also UnicodeDecodeError
        if isinstance(exc, AdminInputError):
            raise
        raise AdminInputError(f"body: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise AdminInputError("body: must be a JSON object")
    return document


def _account_key(mock: MockKucoin, query: Mapping[str, str]) -> str | None:
    key = query.get("account")
    if key is not None and all(account.key != key for account in mock.accounts):
        raise AdminInputError(f"account: no account with the API key {_shown(key)}")
    return key


def _recorded(request: RecordedRequest) -> dict[str, Any]:
    headers = {
        name: REDACTED if name in REDACTED_HEADERS else value
        for name, value in request.headers.items()
    }
    return {
        "method": request.method,
        "path": request.path,
        "headers": headers,
        "body": request.body.decode("utf-8", "replace"),
        "status": request.status,
        "receivedMs": request.received_ms,
        "replyHeaders": request.reply,
    }


class AdminApi:
    """The `/_mock/` routes of one mock (a raw ASGI endpoint)."""

    def __init__(self, mock: MockKucoin, request_timeout_s: float) -> None:
        self._mock = mock
        self._request_timeout_s = request_timeout_s
        self._document = importlib.resources.files(__package__).joinpath(DOCUMENT_FILE).read_bytes()
        self._routes: dict[str, dict[str, _Handler]] = {
            f"{PREFIX}/state": {"GET": self._state},
            f"{PREFIX}/requests": {"GET": self._requests},
            f"{PREFIX}/faults": {"POST": self._add_fault, "DELETE": self._clear_faults},
            f"{PREFIX}/reset": {"POST": self._reset},
            f"{PREFIX}/openapi.yaml": {"GET": self._openapi},
        }
        self._symbol_methods: dict[str, _Handler] = {"PUT": self._put_symbol}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, body, headers = await self._dispatch(scope, receive)
        except ClientDisconnected:
            return
        headers = [*headers, (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _dispatch(self, scope: Scope, receive: Receive) -> _Reply:
        path: str = scope["path"]
        methods = self._routes.get(path)
        if methods is None and _SYMBOL_ROUTE.fullmatch(path):
            methods = self._symbol_methods
        if methods is None:
            routes = [f"{'|'.join(methods)} {route}" for route, methods in self._routes.items()]
            routes.append(f"{'|'.join(self._symbol_methods)} {PREFIX}/symbols/{{symbol}}")
            return _error(
                404, f"no admin route {path[:_SHOWN_CHARS]!r} (routes: {', '.join(routes)})"
            )
        handle = methods.get(scope["method"])
        if handle is None:
            allow = ", ".join(methods)
            return _error(
                405,
                f"{scope['method']} is not allowed here (allowed: {allow})",
                [(b"allow", allow.encode("ascii"))],
            )
        try:
            return await handle(scope, receive)
        except AdminInputError as exc:
            return _error(400, str(exc))
        except BodyTimeout:
            return _error(
                408,
                f"body: not received within {self._request_timeout_s:g} s",
                [(b"connection", b"close")],
            )

    async def _body(self, receive: Receive) -> dict[str, Any]:
        body = await read_body(receive, MAX_ADMIN_BODY_BYTES, self._request_timeout_s)
        if body is None:
            raise AdminInputError(f"body: larger than {MAX_ADMIN_BODY_BYTES // 1024} KiB")
        return _json_object(body)

    # ---- routes --------------------------------------------------------------------

    async def _state(self, scope: Scope, receive: Receive) -> _Reply:
        _query(scope, frozenset())
        return _json(200, self._mock.snapshot())

    async def _requests(self, scope: Scope, receive: Receive) -> _Reply:
        _query(scope, frozenset())
        recorded = [_recorded(request) for request in self._mock.recent_requests]
        return _json(200, {"requests": recorded})

    async def _put_symbol(self, scope: Scope, receive: Receive) -> _Reply:
        mock = self._mock
        key = _account_key(mock, _query(scope, frozenset({"account"})))
        match = _SYMBOL_ROUTE.fullmatch(scope["path"])
        assert match is not None
        symbol = match["symbol"]
        if symbol not in mock.symbols:
            raise AdminInputError(f"symbol {_shown(symbol)} is not in the mock's catalogue")
        fields = await self._body(receive)
        unknown = sorted(set(fields) - {"mode", "busy", "leverage"})
        if unknown:
            raise AdminInputError(
                f"body: unknown field {_shown(unknown[0])} (allowed: busy, leverage, mode)"
            )
        given_null = sorted(name for name, value in fields.items() if value is None)
        if given_null:  # leave a field out to keep it; null would read as "unset" to some
            raise AdminInputError(f"{given_null[0]}: must not be null (leave it out instead)")
        mode, busy, leverage = fields.get("mode"), fields.get("busy"), fields.get("leverage")
        if mode is not None and mode not in MARGIN_MODES:
            raise AdminInputError(
                f"mode: must be one of {', '.join(MARGIN_MODES)}, not {_shown(mode)}"
            )
        if busy is not None and not isinstance(busy, bool):
            raise AdminInputError(f"busy: must be true or false, not {_shown(busy)}")
        if leverage is not None:
            text = leverage_text(leverage)
            maximum = mock.max_leverage(symbol)
            if text is None or not MIN_LEVERAGE <= float(text) <= maximum:
                raise AdminInputError(
                    f"leverage: must be a number from {MIN_LEVERAGE} to {maximum} for {symbol}"
                    f" (a whole number, or a string with at most two decimals), not"
                    f" {_shown(leverage)}"
                )
        # All checked before any applies: a refused request changes nothing.
        if mode is not None:
            mock.set_mode(symbol, mode, key=key)
        if busy is not None:
            mock.set_busy(symbol, busy=busy, key=key)
        if leverage is not None:
            mock.set_leverage(symbol, leverage, key=key)
        account = key if key is not None else mock.default_account.key
        return _json(
            200,
            {
                "account": account,
                "symbol": symbol,
                "mode": mock.mode_of(symbol, key=key),
                "busy": mock.is_busy(symbol, key=key),
                "leverage": mock.leverage_of(symbol, key=key),
            },
        )

    async def _add_fault(self, scope: Scope, receive: Receive) -> _Reply:
        _query(scope, frozenset())
        fields = await self._body(receive)
        kind = fields.pop("kind", None)
        if not isinstance(kind, str):
            raise AdminInputError(f"kind: required, a fault kind name (got {_shown(kind)})")
        count, rate = fields.pop("count", None), fields.pop("rate", None)
        try:  # the validation of --fault and MockKucoin.inject: one code path
            self._mock.inject(kind, count=count, rate=rate, **fields)
        except ValueError as exc:
            raise AdminInputError(str(exc)) from None
        return _json(200, {"faults": self._mock.snapshot()["faults"]})

    async def _clear_faults(self, scope: Scope, receive: Receive) -> _Reply:
        _query(scope, frozenset())
        self._mock.clear_faults()
        return _json(200, {"faults": []})

    async def _reset(self, scope: Scope, receive: Receive) -> _Reply:
        _query(scope, frozenset())
        self._mock.reset()
        return _json(200, self._mock.snapshot())

    async def _openapi(self, scope: Scope, receive: Receive) -> _Reply:
        _query(scope, frozenset())
        return 200, self._document, [(b"content-type", b"application/yaml")]
