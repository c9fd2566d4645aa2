"""Shared helpers: an independent check of replies against openapi.yaml, and callers that
apply it to every reply the mock sends (in-process and over real HTTP)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from kucoin_futures_auth import Credentials, KucoinAuth, kucoin_headers, signing_path
from kucoin_futures_mock import DEMO_CREDENTIALS, MockKucoin, create_app

# The repository's spec, read from its source file: the checker shares no code with the mock.
SPEC_FILE = Path(__file__).resolve().parents[2] / "openapi.yaml"
BATCH = "/api/v2/position/batchChangeMarginMode"
SWITCH = "/api/v2/position/changeMarginMode"
READ = "/api/v2/position/getMarginMode"
TIMESTAMP = "/api/v1/timestamp"
RATE_LIMIT_HEADERS = ("gw-ratelimit-limit", "gw-ratelimit-remaining", "gw-ratelimit-reset")
_URI = "urn:mock-tests:openapi"


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


class ReplyChecker:
    """Checks one reply (status, headers, JSON body) against openapi.yaml.

    Documented operations: the status must be documented, the body must match that
    response's schema, declared headers must match theirs. Undocumented paths must answer
    404 and known paths with an undeclared method 405 + `Allow`, both with the spec's
    `ErrorResponse` body. On top of the spec, the mock promises KuCoin's byte layout
    (`{"code":"...` first, compact) and the gw-ratelimit-* headers on every reply.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}

    def _resolve(self, pointer: str) -> tuple[str, Any]:
        node: Any = self.spec
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        if isinstance(node, dict) and "$ref" in node:
            return self._resolve(node["$ref"].removeprefix("#"))
        return pointer, node

    def problems(self, pointer: str, instance: Any) -> list[str]:
        """Why `instance` breaks the schema at `pointer` in the spec (empty: it conforms)."""
        validator = self._validators.get(pointer)
        if validator is None:
            validator = Draft202012Validator({"$ref": f"{_URI}#{pointer}"}, registry=self._registry)
            self._validators[pointer] = validator
        return [error.message for error in validator.iter_errors(instance)]

    def check(
        self,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        *,
        rate_limit_headers: bool = True,
    ) -> Any:
        paths = self.spec["paths"]
        media_pointer: str
        declared_headers: dict[str, Any] = {}
        if path not in paths:
            assert status == 404, f"undocumented path {path} answered {status}"
            media_pointer = "/components/schemas/ErrorResponse"
        elif method.lower() not in paths[path]:
            assert status == 405, f"{method} {path} (not in the spec) answered {status}"
            allowed = {m.strip().lower() for m in headers["allow"].split(",")}
            assert set(paths[path]) <= allowed
            media_pointer = "/components/schemas/ErrorResponse"
        else:
            responses = paths[path][method.lower()]["responses"]
            assert str(status) in responses, f"{method} {path}: status {status} is undocumented"
            pointer, response = self._resolve(
                f"/paths/{_escape(path)}/{method.lower()}/responses/{status}"
            )
            assert list(response["content"]) == ["application/json"]
            media_pointer = pointer + "/content/application~1json/schema"
            declared_headers = response.get("headers", {})
        assert headers["content-type"].split(";")[0].strip() == "application/json"
        for name, header in declared_headers.items():
            header_pointer, header = (
                self._resolve(header["$ref"].removeprefix("#"))
                if "$ref" in header
                else ("", header)
            )
            if name in headers:
                assert headers[name].isdigit(), f"{name}: {headers[name]!r}"
                problems = self.problems(header_pointer + "/schema", int(headers[name]))
                assert not problems, f"header {name}: {problems}"
        if rate_limit_headers:
            for name in RATE_LIMIT_HEADERS:
                assert headers.get(name, "").isdigit(), f"missing or bad {name}"
        assert body.startswith(b'{"code":"'), body[:40]
        document = json.loads(body)
        compact = json.dumps(document, separators=(",", ":")).encode()
        assert body == compact, "replies are compact JSON in KuCoin's key order"
        problems = self.problems(media_pointer, document)
        assert not problems, f"{method} {path} {status}: {problems}\n{body[:500]!r}"
        return document

    def check_response(self, response: httpx.Response, **options: bool) -> Any:
        return self.check(
            response.request.method,
            response.request.url.path,
            response.status_code,
            response.headers,
            response.content,
            **options,
        )


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="session")
def checker(spec: dict[str, Any]) -> ReplyChecker:
    return ReplyChecker(spec)


def signed_headers(
    credentials: Credentials,
    method: str,
    path_with_query: str,
    body: bytes,
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return kucoin_headers(credentials, method, signing_path(path_with_query), body, stamp)


def switch_body(mode: str, symbols: list[str]) -> bytes:
    return json.dumps({"marginMode": mode, "symbols": symbols}, separators=(",", ":")).encode()


def switch_one_body(symbol: str, mode: str) -> bytes:
    return json.dumps({"symbol": symbol, "marginMode": mode}, separators=(",", ":")).encode()


def read_target(symbol: str) -> str:
    """The read's path and query for `symbol`, percent-encoded as HTTP clients send it."""
    return f"{READ}?{urlencode({'symbol': symbol})}"


class Caller:
    """Sends requests to a mock app in-process; every reply is checked against the spec.

    `credentials=None` sends the request unsigned; `headers` are added after signing (so
    tests can tamper with the KC-API-* headers). `check=False` is for deliberate
    out-of-spec faults only.
    """

    def __init__(self, app: Any, checker: ReplyChecker) -> None:
        self.app = app
        self.checker = checker

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        *,
        credentials: Credentials | None = DEMO_CREDENTIALS,
        timestamp_ms: int | None = None,
        headers: Mapping[str, str | bytes] | None = None,
        content_type: str | None = "application/json",
        check: bool = True,
    ) -> httpx.Response:
        sent: dict[str, str | bytes] = {}
        if content_type is not None:
            sent["Content-Type"] = content_type
        if credentials is not None:
            sent.update(signed_headers(credentials, method, path, body, timestamp_ms))
        sent.update(headers or {})
        raw_headers = [
            (name.encode("ascii"), value if isinstance(value, bytes) else value.encode("latin-1"))
            for name, value in sent.items()
        ]

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
                return await client.request(method, path, content=body, headers=raw_headers)

        response = anyio.run(send)
        if check:
            self.checker.check_response(response)
        return response

    def switch(self, mode: str, symbols: list[str], **options: Any) -> httpx.Response:
        return self.request("POST", BATCH, switch_body(mode, symbols), **options)

    def switch_one(self, symbol: str, mode: str, **options: Any) -> httpx.Response:
        return self.request("POST", SWITCH, switch_one_body(symbol, mode), **options)

    def read(self, symbol: str, **options: Any) -> httpx.Response:
        options.setdefault("content_type", None)
        return self.request("GET", read_target(symbol), **options)

    def server_time(self, **options: Any) -> httpx.Response:
        return self.request("GET", TIMESTAMP, credentials=None, content_type=None, **options)


@pytest.fixture
def make_caller(checker: ReplyChecker) -> Callable[..., Caller]:
    """`make_caller(mock=None, verify=None)`: an in-process caller of a fresh app."""

    def make(mock: MockKucoin | None = None, **app_options: Any) -> Caller:
        return Caller(
            create_app(mock if mock is not None else MockKucoin(), **app_options), checker
        )

    return make


@pytest.fixture
def caller(make_caller: Callable[..., Caller]) -> Caller:
    return make_caller()


@pytest.fixture
def http_client(checker: ReplyChecker) -> Iterator[Callable[..., httpx.Client]]:
    """`http_client(base_url, credentials=DEMO, check=True)`: an httpx.Client over real
    HTTP, signing with KucoinAuth, checking every reply against the spec."""
    clients: list[httpx.Client] = []

    def make(
        base_url: str, credentials: Credentials | None = DEMO_CREDENTIALS, *, check: bool = True
    ) -> httpx.Client:
        def conforms(response: httpx.Response) -> None:
            response.read()
            checker.check_response(response)

        client = httpx.Client(
            base_url=base_url,
            auth=KucoinAuth(credentials) if credentials is not None else None,
            event_hooks={"response": [conforms] if check else []},
            timeout=10.0,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
