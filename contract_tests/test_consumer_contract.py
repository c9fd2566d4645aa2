"""Consumer contract: the generated client, as `futures_client` builds it, against the live mock.

Every request the client puts on the wire is captured (httpx `request` event hook, after
signing) and validated against openapi.yaml by `RequestContract`, independently of the
mock's own validation. What each reply turns into is asserted at the wire level: code,
HTTP status, and the typed error the caller catches.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest

from kucoin_futures import (
    AuthenticationError,
    Clock,
    Credentials,
    InvalidParameterError,
    InvalidReplyError,
    KucoinAPIError,
    KucoinError,
    PermissionDeniedError,
    QuotaWaitError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
    apply_margin_modes,
    futures_client,
    get_margin_mode,
    get_margin_modes,
)
from kucoin_futures_client import Client
from kucoin_futures_client.api.positions import batch_change_margin_mode, change_margin_mode
from kucoin_futures_client.models import (
    BatchChangeMarginModeRequest,
    BatchChangeMarginModeResponse,
    ChangeMarginModeRequest,
    ChangeMarginModeResponse,
    MarginMode,
)
from kucoin_futures_mock import DEMO_CREDENTIALS, Account, Fault, MockKucoin, serve_in_thread

from ._request_contract import RequestContract, RequestRecorder
from .operations import BATCH_PATH, READ_PATH, SWITCH_PATH
from .operations import SERVER_TIME_PATH as TIMESTAMP_PATH

CONTRACT = RequestContract.load()
# Far from any real clock: every signature made with it is outside the 5 s window.
FROZEN_PAST_S = 1_600_000_000.0


def _documented(*pointer: str) -> Any:
    node: Any = CONTRACT.spec
    for key in pointer:
        node = node[key]
    return node


DOCUMENTED_REQUEST = _documented(
    "paths", BATCH_PATH, "post", "requestBody", "content", "application/json", "examples"
)["documented"]["value"]
DOCUMENTED_REPLY = _documented(
    "paths", BATCH_PATH, "post", "responses", "200", "content", "application/json", "examples"
)["documented"]["value"]


@attrs.define
class Wire:
    """A running mock and everything the clients made here sent to it."""

    base_url: str
    mock: MockKucoin
    recorder: RequestRecorder = attrs.Factory(RequestRecorder)

    def client(self, credentials: Credentials = DEMO_CREDENTIALS, **options: Any) -> Client:
        """`futures_client` as a user builds it; no retries and no clock sync unless asked,
        so each test sees exactly the exchange it is about."""
        options.setdefault("retry", None)
        options.setdefault("clock_sync", False)
        hooks = {"request": [self.recorder]}
        return futures_client(
            credentials, base_url=self.base_url, httpx_args={"event_hooks": hooks}, **options
        )

    def sent(self) -> list[httpx.Request]:
        """The requests sent so far, each checked against openapi.yaml."""
        assert self.recorder.requests, "the client sent nothing"
        for request in self.recorder.requests:
            CONTRACT.check(request)
        return self.recorder.requests


@pytest.fixture
def wire(kucoin_mock: Any) -> Wire:
    return Wire(kucoin_mock.base_url, kucoin_mock.mock)


def switch(client: Client, mode: MarginMode, symbols: list[str]) -> Any:
    body = BatchChangeMarginModeRequest(margin_mode=mode, symbols=symbols)
    return batch_change_margin_mode.sync(client=client, body=body)


# ---- success and partial failure ------------------------------------------------------


def test_success_switches_every_symbol(wire: Wire) -> None:
    with wire.client() as client:
        reply = switch(client, MarginMode.ISOLATED, ["ETHUSDTM", "SOLUSDTM"])

    assert isinstance(reply, BatchChangeMarginModeResponse)
    assert reply.code == "200000"
    assert reply.data.margin_mode.additional_properties == {
        "ETHUSDTM": "ISOLATED",
        "SOLUSDTM": "ISOLATED",
    }
    assert reply.data.errors == []
    assert wire.mock.mode_of("SOLUSDTM") == "ISOLATED"
    [request] = wire.sent()
    assert request.method == "POST"
    # Compact JSON, as KuCoin asks, and these exact bytes are what was signed.
    assert request.content == b'{"marginMode":"ISOLATED","symbols":["ETHUSDTM","SOLUSDTM"]}'


def test_partial_failure_is_the_documented_reply(wire: Wire) -> None:
    wire.mock.set_busy("XBTUSDTM")
    with wire.client() as client:
        body = BatchChangeMarginModeRequest.from_dict(DOCUMENTED_REQUEST)
        response = batch_change_margin_mode.sync_detailed(client=client, body=body)

    assert response.status_code == 200
    assert json.loads(response.content) == DOCUMENTED_REPLY
    reply = response.parsed
    assert isinstance(reply, BatchChangeMarginModeResponse)
    [error] = reply.data.errors
    assert (error.code, error.msg, error.symbol) == ("50002", "exist.order.or.position", "XBTUSDTM")
    assert wire.mock.mode_of("XBTUSDTM") == "CROSS"
    assert wire.mock.mode_of("ETHUSDTM") == "ISOLATED"
    [request] = wire.sent()
    assert json.loads(request.content) == DOCUMENTED_REQUEST


# ---- authentication failures ----------------------------------------------------------


@attrs.frozen
class AuthCase:
    name: str
    # Given the mock: the credentials and clock the client signs with.
    setup: Callable[[MockKucoin], tuple[Credentials, Clock | None]]
    code: str
    error: type[KucoinAPIError]

    def __str__(self) -> str:
        return self.name


def _demo_with(**changes: Any) -> Credentials:
    fields = {
        "key": DEMO_CREDENTIALS.key,
        "secret": DEMO_CREDENTIALS.secret,
        "passphrase": DEMO_CREDENTIALS.passphrase,
        "key_version": DEMO_CREDENTIALS.key_version,
    }
    return Credentials(**{**fields, **changes})


def _without_futures_permission(mock: MockKucoin) -> tuple[Credentials, Clock | None]:
    credentials = Credentials("general-only-key", "general-only-secret", "general-only-pass")
    mock.add_account(Account(credentials, permissions=frozenset({"General"})))
    return credentials, None


AUTH_CASES = (
    # KC-API-PASSPHRASE is an HMAC keyed with the secret, and the gateway checks it before
    # the signature: a wrong secret is reported as a wrong passphrase.
    AuthCase(
        "wrong secret",
        lambda _: (_demo_with(secret="not-the-secret"), None),
        "400004",
        AuthenticationError,
    ),
    AuthCase(
        "wrong passphrase",
        lambda _: (_demo_with(passphrase="not-it"), None),
        "400004",
        AuthenticationError,
    ),
    AuthCase(
        "unknown key",
        lambda _: (_demo_with(key="no-such-key"), None),
        "400003",
        AuthenticationError,
    ),
    AuthCase(
        "bad key version",
        lambda _: (_demo_with(key_version=2), None),
        "400009",
        AuthenticationError,
    ),
    AuthCase(
        "stale timestamp",
        lambda _: (DEMO_CREDENTIALS, Clock(time_fn=lambda: FROZEN_PAST_S)),
        "400002",
        AuthenticationError,
    ),
    AuthCase(
        "missing Futures permission",
        _without_futures_permission,
        "400007",
        PermissionDeniedError,
    ),
)


@pytest.mark.parametrize("case", AUTH_CASES, ids=str)
def test_each_authentication_failure_is_a_401_with_its_code(wire: Wire, case: AuthCase) -> None:
    credentials, clock = case.setup(wire.mock)
    with wire.client(credentials, clock=clock) as client, pytest.raises(case.error) as raised:
        switch(client, MarginMode.ISOLATED, ["ETHUSDTM"])

    assert (raised.value.code, raised.value.status) == (case.code, 401)
    assert credentials.secret not in str(raised.value)
    assert wire.mock.mode_of("ETHUSDTM") == "CROSS"
    [request] = wire.sent()
    assert request.url.path == BATCH_PATH


def test_stale_clock_is_corrected_through_the_timestamp_endpoint(wire: Wire) -> None:
    clock = Clock(time_fn=lambda: FROZEN_PAST_S)
    with wire.client(clock=clock, clock_sync=True) as client:
        reply = switch(client, MarginMode.ISOLATED, ["ETHUSDTM"])

    assert isinstance(reply, BatchChangeMarginModeResponse)
    # Refused (400002), server time fetched from the public endpoint, then sent again.
    sent = wire.sent()
    assert [(r.method, r.url.path) for r in sent] == [
        ("POST", BATCH_PATH),
        ("GET", TIMESTAMP_PATH),
        ("POST", BATCH_PATH),
    ]
    assert sent[0].content == sent[2].content


# ---- rate limit -----------------------------------------------------------------------


def test_rate_limit_is_a_429_with_the_reset_time() -> None:
    # Weight 2 per call: a third call in the window is over the quota. Another client (a
    # bot sharing the key) spent it, so this client learns of it from the 429 itself.
    with serve_in_thread(MockKucoin(quota=4)) as running:
        wire = Wire(running.base_url, running.mock)
        with wire.client() as other:
            switch(other, MarginMode.ISOLATED, ["ETHUSDTM"])
            switch(other, MarginMode.CROSS, ["ETHUSDTM"])
        with wire.client() as client, pytest.raises(RateLimitError) as raised:
            switch(client, MarginMode.ISOLATED, ["ETHUSDTM"])

    error = raised.value
    assert (error.code, error.status) == ("429000", 429)
    assert error.rate_limit.remaining == 0
    assert error.rate_limit.reset_ms is not None
    assert len(wire.sent()) == 3


def test_a_used_up_quota_is_not_spent_on_a_request_bound_to_fail() -> None:
    # The second reply says no weight is left: the third call is not sent at all.
    with serve_in_thread(MockKucoin(quota=4)) as running:
        wire = Wire(running.base_url, running.mock)
        with wire.client() as client:
            switch(client, MarginMode.ISOLATED, ["ETHUSDTM"])
            switch(client, MarginMode.CROSS, ["ETHUSDTM"])
            with pytest.raises(QuotaWaitError) as raised:
                switch(client, MarginMode.ISOLATED, ["ETHUSDTM"])

    assert isinstance(raised.value, RateLimitError)
    assert raised.value.rate_limit.reset_ms is not None
    assert "not sent" in str(raised.value)
    assert len(wire.sent()) == 2


# ---- faults ---------------------------------------------------------------------------


@attrs.frozen
class FaultCase:
    kind: Fault
    params: dict[str, Any]
    # None: the call succeeds; otherwise every class the error must be an instance of.
    errors: tuple[type[KucoinError], ...]
    code: str | None = None
    status: int | None = None

    def __str__(self) -> str:
        return str(self.kind)


FAULT_CASES = (
    FaultCase(Fault.LATENCY, {"ms": 20}, ()),
    FaultCase(Fault.CLOCK_SKEW, {"ms": 60_000}, (AuthenticationError,), "400002", 401),
    FaultCase(Fault.HTTP_500, {}, (ServerError,), "500000", 500),
    FaultCase(Fault.HTTP_503, {}, (ServerError,), "503000", 503),
    # A CDN's HTML page: a server error whose body is not KuCoin's, no code.
    FaultCase(Fault.HTML_502, {}, (ServerError, InvalidReplyError), None, 502),
    FaultCase(Fault.RESET, {}, (TransportError,)),
    FaultCase(Fault.TRUNCATED, {}, (InvalidReplyError,), None, 200),
    FaultCase(Fault.BURST_429, {"reset_ms": 1500}, (RateLimitError,), "429000", 429),
    FaultCase(Fault.BUSINESS_ERROR, {"code": "300000"}, (InvalidParameterError,), "300000", 200),
    # Replies as a success: only a read-back tells (see the CLI's --verify).
    FaultCase(Fault.LOST_SWITCH, {}, ()),
)


def test_every_fault_kind_is_covered() -> None:
    assert {case.kind for case in FAULT_CASES} == set(Fault)


@pytest.mark.parametrize("case", FAULT_CASES, ids=str)
def test_each_fault_reaches_the_caller_as_its_typed_error(wire: Wire, case: FaultCase) -> None:
    wire.mock.inject(case.kind, count=1, **case.params)
    with wire.client() as client:
        if not case.errors:
            reply = switch(client, MarginMode.ISOLATED, ["ETHUSDTM"])
            assert isinstance(reply, BatchChangeMarginModeResponse)
        else:
            with pytest.raises(case.errors[0]) as raised:
                switch(client, MarginMode.ISOLATED, ["ETHUSDTM"])
            error = raised.value
            assert isinstance(error, case.errors)
            if case.status is not None:
                assert getattr(error, "status", None) == case.status
            if isinstance(error, KucoinAPIError):
                assert error.code == case.code
            if case.kind is Fault.BURST_429:
                assert isinstance(error, RateLimitError)
                assert error.rate_limit.reset_ms == case.params["reset_ms"]
    [request] = wire.sent()
    assert request.url.path == BATCH_PATH


def test_a_retried_request_is_the_same_request_signed_again(wire: Wire) -> None:
    wire.mock.inject(Fault.HTTP_503, count=1)
    no_wait = RetryPolicy(random=lambda: 0.0)
    with wire.client(retry=no_wait) as client:
        reply = switch(client, MarginMode.ISOLATED, ["ETHUSDTM"])

    assert isinstance(reply, BatchChangeMarginModeResponse)
    first, second = wire.sent()
    assert first.content == second.content
    assert all(r.headers["KC-API-SIGN"] for r in (first, second))


# ---- the async client -----------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_sends_what_the_spec_describes(wire: Wire) -> None:
    requests: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        requests.append(request)

    client = futures_client(
        DEMO_CREDENTIALS,
        base_url=wire.base_url,
        retry=None,
        httpx_args={"event_hooks": {"request": [record]}},
    )
    async with client:
        body = BatchChangeMarginModeRequest(margin_mode=MarginMode.ISOLATED, symbols=["ADAUSDTM"])
        reply = await batch_change_margin_mode.asyncio(client=client, body=body)

    assert isinstance(reply, BatchChangeMarginModeResponse)
    assert wire.mock.mode_of("ADAUSDTM") == "ISOLATED"
    [request] = requests
    CONTRACT.check(request)


# ---- the validator itself -------------------------------------------------------------


def _request(method: str, path: str, body: bytes = b"", **headers: str) -> httpx.Request:
    return httpx.Request(method, "http://mock" + path, content=body, headers=headers)


SIGNED = {
    "KC-API-KEY": "k",
    "KC-API-SIGN": "s",
    "KC-API-TIMESTAMP": "1",
    "KC-API-PASSPHRASE": "p",
    "KC-API-KEY-VERSION": "3",
    "Content-Type": "application/json",
}
VALID_BODY = b'{"marginMode":"ISOLATED","symbols":["XBTUSDTM","ETHUSDTM"]}'


def test_the_validator_accepts_the_documented_request() -> None:
    assert CONTRACT.violations(_request("POST", BATCH_PATH, VALID_BODY, **SIGNED)) == []
    assert CONTRACT.violations(_request("GET", TIMESTAMP_PATH)) == []


@pytest.mark.parametrize(
    ("request_", "complaint"),
    [
        (_request("POST", "/api/v2/position/other", VALID_BODY, **SIGNED), "no operation"),
        (_request("PUT", BATCH_PATH, VALID_BODY, **SIGNED), "no operation"),
        (_request("POST", BATCH_PATH + "?x=1", VALID_BODY, **SIGNED), "undeclared query"),
        (
            _request("POST", BATCH_PATH, VALID_BODY, **{**SIGNED, "KC-API-SIGN": ""}),
            "KC-API-SIGN",
        ),
        (_request("POST", BATCH_PATH, b"", **SIGNED), "body is missing"),
        (_request("POST", BATCH_PATH, b"{", **SIGNED), "not JSON"),
        (
            _request("POST", BATCH_PATH, VALID_BODY, **{**SIGNED, "Content-Type": "text/plain"}),
            "Content-Type",
        ),
        (
            _request("POST", BATCH_PATH, b'{"marginMode":"isolated","symbols":["A"]}', **SIGNED),
            "marginMode",
        ),
        (
            _request("POST", BATCH_PATH, b'{"marginMode":"CROSS","symbols":["A","A"]}', **SIGNED),
            "symbols",
        ),
        (
            _request("POST", BATCH_PATH, b'{"marginMode":"CROSS","symbols":["A"],"x":1}', **SIGNED),
            "'x'",
        ),
        (_request("GET", TIMESTAMP_PATH, b"{}"), "takes none"),
    ],
)
def test_the_validator_rejects_what_the_spec_does_not_allow(
    request_: httpx.Request, complaint: str
) -> None:
    problems = CONTRACT.violations(request_)
    assert any(complaint in problem for problem in problems), problems


# ---- the margin-mode family: read and single switch -----------------------------------


def test_reads_send_the_documented_query_signed_over_path_and_query(wire: Wire) -> None:
    wire.mock.set_mode("ETHUSDTM", "ISOLATED")
    with wire.client() as client:
        assert get_margin_mode(client, "ETHUSDTM") is MarginMode.ISOLATED
        readout = get_margin_modes(client, ["XBTUSDTM", "NOPEUSDTM"])
    assert readout.modes == {"XBTUSDTM": MarginMode.CROSS}
    assert readout.failed["NOPEUSDTM"].code == "200003"  # type: ignore[attr-defined]
    sent = wire.sent()  # each checked against openapi.yaml: query, headers, no body
    assert [(r.method, r.url.path, r.url.params["symbol"]) for r in sent] == [
        ("GET", READ_PATH, "ETHUSDTM"),
        ("GET", READ_PATH, "XBTUSDTM"),
        ("GET", READ_PATH, "NOPEUSDTM"),
    ]
    assert all(r.content == b"" for r in sent)


def test_the_generated_single_switch_is_signed_mapped_and_documented(wire: Wire) -> None:
    wire.mock.set_busy("XBTUSDTM")
    with wire.client() as client:
        body = ChangeMarginModeRequest(symbol="ETHUSDTM", margin_mode=MarginMode.ISOLATED)
        reply = change_margin_mode.sync(client=client, body=body)
        assert isinstance(reply, ChangeMarginModeResponse)
        assert (reply.data.symbol, reply.data.margin_mode) == ("ETHUSDTM", "ISOLATED")
        busy = ChangeMarginModeRequest(symbol="XBTUSDTM", margin_mode=MarginMode.ISOLATED)
        with pytest.raises(KucoinAPIError) as info:
            change_margin_mode.sync(client=client, body=busy)
    assert (info.value.code, info.value.status) == ("50002", 200)
    assert wire.mock.mode_of("ETHUSDTM") == "ISOLATED"
    first, second = wire.sent()
    assert first.content == b'{"symbol":"ETHUSDTM","marginMode":"ISOLATED"}'
    assert (second.method, second.url.path) == ("POST", SWITCH_PATH)


def test_apply_sends_reads_then_one_batch_then_read_backs(wire: Wire) -> None:
    with wire.client() as client:
        report = apply_margin_modes(client, {"ETHUSDTM": "ISOLATED", "SOLUSDTM": "CROSS"})
    assert report.all_as_asked
    assert [(r.method, r.url.path) for r in wire.sent()] == [
        ("GET", READ_PATH),
        ("GET", READ_PATH),
        ("POST", BATCH_PATH),
        ("GET", READ_PATH),
    ]
