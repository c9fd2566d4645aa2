"""The read and the single switch: replies, choices, validation, auth, rate limit, shared state.

Every reply below goes through `Caller`, which checks it against openapi.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kucoin_futures_auth import Credentials
from kucoin_futures_mock import DEMO_CREDENTIALS, SYMBOLS, Account, MockKucoin, create_app

from .conftest import (
    BATCH,
    READ,
    SWITCH,
    Caller,
    ReplyChecker,
    read_target,
    signed_headers,
    switch_one_body,
)

UNKNOWN = b'{"code":"200003","msg":"The symbol parameter is invalid"}'
BUSY = b'{"code":"50002","msg":"exist.order.or.position"}'


def fresh(make_caller: Callable[..., Caller], **options: Any) -> tuple[MockKucoin, Caller]:
    mock = MockKucoin(**options)
    return mock, make_caller(mock)


def _examples(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    content = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


# ---- the read ---------------------------------------------------------------------------


def test_the_read_reproduces_the_documented_reply(
    make_caller: Callable[..., Caller], spec: dict[str, Any]
) -> None:
    mock, caller = fresh(make_caller)
    mock.set_mode("XBTUSDTM", "ISOLATED")
    response = caller.read("XBTUSDTM")
    assert response.status_code == 200
    assert response.json() == _examples(spec, READ, "get")["documented"]
    assert response.content == (
        b'{"code":"200000","data":{"symbol":"XBTUSDTM","marginMode":"ISOLATED"}}'
    )


def test_the_read_of_an_unknown_symbol_is_the_documented_200003(
    caller: Caller, spec: dict[str, Any]
) -> None:
    response = caller.read("NOPEUSDTM")
    assert (response.status_code, response.content) == (200, UNKNOWN)
    assert response.json() == _examples(spec, READ, "get")["unknownSymbol"]


def test_reading_changes_nothing_and_works_for_a_busy_symbol(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.set_busy("XBTUSDTM")
    mock.set_mode("SOLUSDTM", "ISOLATED")
    before = mock.modes()
    for symbol in (*SYMBOLS, "NOPEUSDTM", "XBTUSDTM"):
        caller.read(symbol)
    assert mock.modes() == before
    assert caller.read("XBTUSDTM").json()["data"] == {"symbol": "XBTUSDTM", "marginMode": "CROSS"}
    assert caller.read("SOLUSDTM").json()["data"]["marginMode"] == "ISOLATED"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (READ, "query: missing required parameter 'symbol'"),
        (READ + "?", "query: missing required parameter 'symbol'"),
        (READ + "?other=XBTUSDTM", "query: missing required parameter 'symbol'"),
        (READ + "?symbol=", "symbol: must not be empty"),
        (READ + "?symbol=%20%09", "symbol: must not be blank"),
        (READ + "?symbol=+", "symbol: must not be blank"),
        (READ + "?symbol=XBTUSDTM&symbol=ETHUSDTM", "symbol: must be given once"),
        (READ + "?symbol=%FF%FE", "query: not valid"),
    ],
)
def test_a_query_that_breaks_the_spec_is_400100_naming_the_problem(
    caller: Caller, target: str, message: str
) -> None:
    response = caller.request("GET", target, content_type=None)
    assert (response.status_code, response.json()["code"]) == (400, "400100")
    assert response.json()["msg"].startswith(message)


def test_undeclared_query_parameters_are_ignored(caller: Caller) -> None:
    response = caller.request("GET", read_target("ETHUSDTM") + "&cacheBuster=1", content_type=None)
    assert response.json()["data"] == {"symbol": "ETHUSDTM", "marginMode": "CROSS"}


def test_a_percent_encoded_symbol_is_read_decoded(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller, symbols=["A B!USDTM", "XBTUSDTM"])
    mock.set_mode("A B!USDTM", "ISOLATED")
    response = caller.request("GET", f"{READ}?symbol={quote('A B!USDTM')}", content_type=None)
    assert response.json()["data"] == {"symbol": "A B!USDTM", "marginMode": "ISOLATED"}


# ---- the single switch ------------------------------------------------------------------


def test_the_switch_reproduces_the_documented_example(
    make_caller: Callable[..., Caller], spec: dict[str, Any]
) -> None:
    operation = spec["paths"][SWITCH]["post"]
    request = operation["requestBody"]["content"]["application/json"]["examples"]["documented"]
    mock, caller = fresh(make_caller)
    response = caller.request("POST", SWITCH, json.dumps(request["value"]).encode())
    assert response.status_code == 200
    assert response.json() == _examples(spec, SWITCH, "post")["documented"]
    assert response.content == (
        b'{"code":"200000","data":{"symbol":"XBTUSDTM","marginMode":"ISOLATED"}}'
    )
    assert mock.mode_of("XBTUSDTM") == "ISOLATED"


@pytest.mark.parametrize("current", ["CROSS", "ISOLATED"])
def test_a_busy_symbol_is_50002_and_keeps_its_mode_even_if_already_there(
    make_caller: Callable[..., Caller], spec: dict[str, Any], current: str
) -> None:
    mock, caller = fresh(make_caller)
    mock.set_mode("XBTUSDTM", current)
    mock.set_busy("XBTUSDTM")
    response = caller.switch_one("XBTUSDTM", "ISOLATED")
    assert (response.status_code, response.content) == (200, BUSY)
    assert response.json() == _examples(spec, SWITCH, "post")["busy"]
    assert mock.mode_of("XBTUSDTM") == current


def test_an_unknown_symbol_is_200003(caller: Caller, spec: dict[str, Any]) -> None:
    response = caller.switch_one("NOPEUSDTM", "CROSS")
    assert (response.status_code, response.content) == (200, UNKNOWN)
    assert response.json() == _examples(spec, SWITCH, "post")["unknownSymbol"]


def test_switching_to_the_mode_a_symbol_has_succeeds(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    response = caller.switch_one("ETHUSDTM", "CROSS")
    assert response.json()["data"] == {"symbol": "ETHUSDTM", "marginMode": "CROSS"}
    assert mock.mode_of("ETHUSDTM") == "CROSS"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body: not valid JSON"),
        (b'{"symbol":"XBTUSDTM","marginMode":"ISOLATED"', "body: not valid JSON"),
        (b'{"symbol":"A","symbol":"B","marginMode":"CROSS"}', "body: not valid JSON"),
        (b"[]", "body: must be an object"),
        (b'{"marginMode":"CROSS"}', "body: missing required field 'symbol'"),
        (b'{"symbol":"XBTUSDTM"}', "body: missing required field 'marginMode'"),
        (b'{"symbol":"XBTUSDTM","marginMode":"cross"}', "marginMode: must be one of"),
        (b'{"symbol":"XBTUSDTM","marginMode":null}', "marginMode: must be a string"),
        (b'{"symbol":"","marginMode":"CROSS"}', "symbol: must not be empty"),
        (b'{"symbol":" \\t","marginMode":"CROSS"}', "symbol: must not be blank"),
        (b'{"symbol":7,"marginMode":"CROSS"}', "symbol: must be a string"),
        (b'{"symbol":["XBTUSDTM"],"marginMode":"CROSS"}', "symbol: must be a string"),
        (b'{"symbol":"XBTUSDTM","marginMode":"CROSS","leverage":3}', "body: unknown field"),
        (b'{"symbols":["XBTUSDTM"],"marginMode":"CROSS"}', "body: missing required field"),
    ],
)
def test_a_switch_body_that_breaks_the_spec_is_400100_and_changes_nothing(
    make_caller: Callable[..., Caller], body: bytes, message: str
) -> None:
    mock, caller = fresh(make_caller)
    before = mock.modes()
    response = caller.request("POST", SWITCH, body)
    assert (response.status_code, response.json()["code"]) == (400, "400100")
    assert response.json()["msg"].startswith(message)
    assert mock.modes() == before


def test_a_switch_not_sent_as_json_is_400100(caller: Caller) -> None:
    body = switch_one_body("ETHUSDTM", "ISOLATED")
    response = caller.request("POST", SWITCH, body, content_type="text/plain")
    assert (response.status_code, response.json()["code"]) == (400, "400100")
    assert "Content-Type" in response.json()["msg"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", READ, "GET"),
        ("HEAD", READ, "GET"),
        ("GET", SWITCH, "POST"),
        ("PUT", SWITCH, "POST"),
    ],
)
def test_other_methods_are_405_with_allow(
    caller: Caller, method: str, path: str, allow: str
) -> None:
    response = caller.request(method, path, check=method != "HEAD")
    assert response.status_code == 405
    assert response.headers["allow"] == allow


# ---- one state for the three operations --------------------------------------------------


def test_the_three_operations_share_one_state(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)

    def read(symbol: str) -> str:
        mode: str = caller.read(symbol).json()["data"]["marginMode"]
        return mode

    caller.switch("ISOLATED", ["ETHUSDTM", "SOLUSDTM"])
    assert (read("ETHUSDTM"), read("SOLUSDTM"), read("XBTUSDTM")) == ("ISOLATED",) * 2 + ("CROSS",)
    caller.switch_one("ETHUSDTM", "CROSS")
    assert read("ETHUSDTM") == "CROSS"
    batch = caller.switch("ISOLATED", ["ETHUSDTM"]).json()["data"]["marginMode"]
    assert batch == {"ETHUSDTM": "ISOLATED"}
    assert read("ETHUSDTM") == mock.mode_of("ETHUSDTM") == "ISOLATED"
    mock.set_mode("ETHUSDTM", "CROSS")  # the control handle writes the same state
    assert read("ETHUSDTM") == "CROSS"
    mock.set_busy("ETHUSDTM")
    assert caller.switch_one("ETHUSDTM", "ISOLATED").content == BUSY
    assert caller.switch("ISOLATED", ["ETHUSDTM"]).json()["data"]["errors"][0]["code"] == "50002"
    assert read("ETHUSDTM") == "CROSS"


def test_accounts_have_separate_state_for_reads_and_switches(
    make_caller: Callable[..., Caller],
) -> None:
    other = Credentials("second-key", "second-secret", "second-passphrase")
    mock = MockKucoin([Account(DEMO_CREDENTIALS), Account(other)])
    caller = make_caller(mock)
    caller.switch_one("ETHUSDTM", "ISOLATED", credentials=other)
    assert caller.read("ETHUSDTM").json()["data"]["marginMode"] == "CROSS"
    assert caller.read("ETHUSDTM", credentials=other).json()["data"]["marginMode"] == "ISOLATED"
    assert mock.mode_of("ETHUSDTM", key="second-key") == "ISOLATED"


# ---- authentication on the new paths -----------------------------------------------------

OPERATIONS = [
    pytest.param("GET", read_target("ETHUSDTM"), b"", id="read"),
    pytest.param("POST", SWITCH, switch_one_body("ETHUSDTM", "ISOLATED"), id="switch"),
]


@pytest.mark.parametrize(("method", "target", "body"), OPERATIONS)
@pytest.mark.parametrize(
    "header",
    ["KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE", "KC-API-KEY-VERSION"],
)
def test_each_missing_header_is_400001_on_the_new_paths(
    make_caller: Callable[..., Caller], method: str, target: str, body: bytes, header: str
) -> None:
    mock, caller = fresh(make_caller)
    headers = signed_headers(DEMO_CREDENTIALS, method, target, body)
    del headers[header]
    response = caller.request(method, target, body, credentials=None, headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "400001")
    assert mock.mode_of("ETHUSDTM") == "CROSS"


@pytest.mark.parametrize(("method", "target", "body"), OPERATIONS)
@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (Credentials("unknown-key", "s", "p"), "400003"),
        (Credentials(DEMO_CREDENTIALS.key, DEMO_CREDENTIALS.secret, "wrong"), "400004"),
    ],
)
def test_unknown_keys_and_wrong_passphrases_are_refused_on_the_new_paths(
    caller: Caller, method: str, target: str, body: bytes, credentials: Credentials, code: str
) -> None:
    response = caller.request(method, target, body, credentials=credentials)
    assert (response.status_code, response.json()["code"]) == (401, code)


@pytest.mark.parametrize(("method", "target", "body"), OPERATIONS)
def test_stale_timestamps_are_400002_on_the_new_paths(
    caller: Caller, method: str, target: str, body: bytes
) -> None:
    response = caller.request(method, target, body, timestamp_ms=1_000_000_000_000)
    assert (response.status_code, response.json()["code"]) == (401, "400002")


@pytest.mark.parametrize(("method", "target", "body"), OPERATIONS)
def test_a_key_without_futures_permission_is_400007_on_the_new_paths(
    make_caller: Callable[..., Caller], method: str, target: str, body: bytes
) -> None:
    spot_only = Credentials("spot-key", "spot-secret", "spot-passphrase")
    mock = MockKucoin([Account(DEMO_CREDENTIALS), Account(spot_only, permissions={"General"})])
    response = make_caller(mock).request(method, target, body, credentials=spot_only)
    assert (response.status_code, response.json()["code"]) == (401, "400007")
    assert mock.mode_of("ETHUSDTM", key="spot-key") == "CROSS"


def test_the_read_is_signed_over_its_query_with_an_empty_body(caller: Caller) -> None:
    target = read_target("ETHUSDTM")
    other_query = signed_headers(DEMO_CREDENTIALS, "GET", read_target("XBTUSDTM"), b"")
    no_query = signed_headers(DEMO_CREDENTIALS, "GET", READ, b"")
    with_a_body = signed_headers(DEMO_CREDENTIALS, "GET", target, b"{}")
    as_post = signed_headers(DEMO_CREDENTIALS, "POST", target, b"")
    for headers in (other_query, no_query, with_a_body, as_post):
        response = caller.request("GET", target, credentials=None, headers=headers)
        assert (response.status_code, response.json()["code"]) == (401, "400005")
    assert caller.request("GET", target, content_type=None).status_code == 200


def test_the_read_is_signed_over_the_query_before_percent_encoding(
    make_caller: Callable[..., Caller],
) -> None:
    _mock, caller = fresh(make_caller, symbols=["A B!USDTM"])
    sent = f"{READ}?symbol=A+B%21USDTM"
    decoded = signed_headers(DEMO_CREDENTIALS, "GET", f"{READ}?symbol=A B!USDTM", b"")
    response = caller.request("GET", sent, credentials=None, headers=decoded, content_type=None)
    assert response.json()["data"] == {"symbol": "A B!USDTM", "marginMode": "CROSS"}


def test_a_switch_signed_for_the_batch_path_is_400005(caller: Caller) -> None:
    body = switch_one_body("ETHUSDTM", "ISOLATED")
    headers = signed_headers(DEMO_CREDENTIALS, "POST", BATCH, body)
    response = caller.request("POST", SWITCH, body, credentials=None, headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "400005")


# ---- rate limit ----------------------------------------------------------------------------


def _remaining(response: httpx.Response) -> int:
    return int(response.headers["gw-ratelimit-remaining"])


def test_each_operation_costs_2_of_the_shared_futures_pool(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller, quota=8)
    sent = [
        caller.read("ETHUSDTM"),
        caller.switch_one("ETHUSDTM", "ISOLATED"),
        caller.switch("CROSS", ["ETHUSDTM"]),
        caller.read("NOPEUSDTM"),  # a business error is charged too
    ]
    assert [_remaining(r) for r in sent] == [6, 4, 2, 0]
    assert mock.quota_remaining() == 0
    for refused in (caller.read("ETHUSDTM"), caller.switch_one("ETHUSDTM", "CROSS")):
        assert (refused.status_code, refused.json()["code"]) == (429, "429000")
    assert mock.mode_of("ETHUSDTM") == "CROSS"
    assert caller.server_time().status_code == 200, "the Public pool is another pool"


# ---- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["read", "switch"])
@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("http_500", 500, "500000"),
        ("http_503", 503, "503000"),
        ("burst_429", 429, "429000"),
        ("business_error", 200, "300000"),
    ],
)
def test_replacing_faults_apply_to_the_new_operations(
    make_caller: Callable[..., Caller], operation: str, kind: str, status: int, code: str
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject(kind, count=1)

    def call() -> httpx.Response:
        if operation == "read":
            return caller.read("ETHUSDTM")
        return caller.switch_one("ETHUSDTM", "ISOLATED")

    faulty = call()
    assert (faulty.status_code, faulty.json()["code"]) == (status, code)
    assert mock.mode_of("ETHUSDTM") == "CROSS"
    assert call().json()["code"] == "200000"


def test_a_truncated_read_is_cut_json(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("truncated", count=1)
    response = caller.read("ETHUSDTM", check=False)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


# ---- never a 500 ---------------------------------------------------------------------------

query_values = st.one_of(
    st.sampled_from(["XBTUSDTM", "NOPEUSDTM", "", " ", "%", "%zz", "%FF", "+", "&", "="]),
    st.text(max_size=12),
)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(["symbol", "Symbol", "x", ""]), query_values), max_size=3
    ),
    encode=st.booleans(),
)
def test_any_query_gets_200_or_400100_never_500(
    checker: ReplyChecker, pairs: list[tuple[str, str]], encode: bool
) -> None:
    caller = Caller(create_app(MockKucoin()), checker)
    query = "&".join(
        f"{quote(name)}={quote(value)}" if encode else f"{name}={value}" for name, value in pairs
    )
    target = f"{READ}?{query}" if query else READ
    if not (target.isascii() and target.isprintable()):
        # httpx refuses such a URL itself: send it percent-encoded, as any client would.
        target = READ + "?" + quote(query, safe="&=%+")
    response = caller.request("GET", target, content_type=None)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["code"] == "400100"
    else:
        assert response.json()["code"] in ("200000", "200003")
