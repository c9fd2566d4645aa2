"""Requests that break openapi.yaml get HTTP 400 `400100` naming the problem, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kucoin_futures_mock import DEMO_CREDENTIALS, MockKucoin, create_app, serve_in_thread
from kucoin_futures_mock._spec import _MockValidator

from .conftest import BATCH, Caller, ReplyChecker, signed_headers, switch_body

VALID = {"marginMode": "ISOLATED", "symbols": ["ETHUSDTM"]}


def compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body: not valid JSON"),
        (b"   ", "body: not valid JSON"),
        (b'{"marginMode":"ISOLATED",', "body: not valid JSON"),
        (b"\xff\xfe\x00", "body: not valid JSON"),
        (b'{"marginMode":NaN,"symbols":["A"]}', "body: not valid JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "body: not valid JSON"),
        (json.dumps(VALID).encode("utf-16"), "body: not valid JSON"),
        (b"\xef\xbb\xbf" + json.dumps(VALID).encode(), "body: not valid JSON"),
        (b'{"marginMode":"ISOLATED","marginMode":"CROSS","symbols":["A"]}', "body: not valid"),
        (b"null", "body: must be an object"),
        (b"[]", "body: must be an object"),
        (b'"ISOLATED"', "body: must be an object"),
        (compact({"marginMode": "isolated", "symbols": ["A"]}), "marginMode: must be one of"),
        (compact({"marginMode": None, "symbols": ["A"]}), "marginMode: must be a string"),
        (compact({"marginMode": "CROSS"}), "body: missing required field 'symbols'"),
        (compact({"symbols": ["A"]}), "body: missing required field 'marginMode'"),
        (compact({**VALID, "leverage": 3}), "body: unknown field 'leverage'"),
        (compact({"marginMode": "CROSS", "symbols": []}), "symbols: must not be empty"),
        (compact({"marginMode": "CROSS", "symbols": "ETHUSDTM"}), "symbols: must be an array"),
        (compact({"marginMode": "CROSS", "symbols": [""]}), "symbols[0]: must not be empty"),
        (
            compact({"marginMode": "CROSS", "symbols": ["A", " \t"]}),
            "symbols[1]: must not be blank",
        ),
        (compact({"marginMode": "CROSS", "symbols": ["A", 7]}), "symbols[1]: must be a string"),
        (compact({"marginMode": "CROSS", "symbols": ["A", "A"]}), "symbols: must not contain"),
    ],
)
def test_spec_violations_are_400100_naming_the_problem(
    caller: Caller, body: bytes, message: str
) -> None:
    response = caller.request("POST", BATCH, body)
    assert response.status_code == 400
    assert response.json()["code"] == "400100"
    assert response.json()["msg"].startswith(message)


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "multipart/form-data", "application/jsonx", ""]
)
def test_a_body_not_sent_as_json_is_400100(caller: Caller, content_type: str | None) -> None:
    response = caller.request("POST", BATCH, compact(VALID), content_type=content_type)
    assert (response.status_code, response.json()["code"]) == (400, "400100")
    assert "Content-Type" in response.json()["msg"]


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_content_types_are_accepted(caller: Caller, content_type: str) -> None:
    assert (
        caller.request("POST", BATCH, compact(VALID), content_type=content_type).status_code == 200
    )


def test_authentication_comes_before_body_validation(caller: Caller) -> None:
    response = caller.request("POST", BATCH, b"not json", headers={"KC-API-SIGN": "forged"})
    assert (response.status_code, response.json()["code"]) == (401, "400005")


def test_mixed_type_symbols_are_checked_in_linear_time(caller: Caller) -> None:
    # jsonschema's stock uniqueItems compares every pair when items cannot be sorted. Over
    # HTTP, 1000 symbols (maxItems) are the most that reach it, and a longer list is refused
    # by its size before any per-item work; the validator itself must stay linear whatever
    # the size, which 60k mixed items prove (the stock check would not finish).
    at_the_cap: list[Any] = [i if i % 2 else f"S{i}" for i in range(1000)]
    response = caller.request(
        "POST", BATCH, compact({"marginMode": "CROSS", "symbols": at_the_cap})
    )
    assert response.json()["msg"] == "symbols[1]: must be a string"

    hostile: list[Any] = [i if i % 2 else f"S{i}" for i in range(60_000)]
    response = caller.request("POST", BATCH, compact({"marginMode": "CROSS", "symbols": hostile}))
    assert response.json()["msg"] == "symbols: must have at most 1000 items"

    unbounded = _MockValidator({"type": "array", "uniqueItems": True})
    assert list(unbounded.iter_errors(hostile)) == []
    assert [e.message for e in unbounded.iter_errors([*hostile, 59_999])] == [
        "has non-unique elements"
    ]


def test_more_than_1000_symbols_are_refused_by_their_count(caller: Caller) -> None:
    symbols = [f"S{i:04d}USDTM" for i in range(1001)]
    response = caller.request("POST", BATCH, compact({"marginMode": "CROSS", "symbols": symbols}))
    assert (response.status_code, response.json()["code"]) == (400, "400100")
    assert response.json()["msg"] == "symbols: must have at most 1000 items"
    at_the_cap = caller.request(
        "POST", BATCH, compact({"marginMode": "CROSS", "symbols": symbols[:1000]})
    )
    assert at_the_cap.status_code == 200
    assert len(at_the_cap.json()["data"]["errors"]) == 1000


def test_odd_unicode_symbols_are_unknown_symbols_not_errors(caller: Caller) -> None:
    odd = ["\ud800", "\u202eMTDSUHTE", "e\u0301", "\U0001f680USDTM", "\x00"]
    response = caller.request(
        "POST", BATCH, json.dumps({"marginMode": "CROSS", "symbols": odd}).encode()
    )
    data = response.json()["data"]
    assert data["marginMode"] == {}
    assert [error["symbol"] for error in data["errors"]] == odd


def test_long_messages_are_clipped(caller: Caller) -> None:
    response = caller.request(
        "POST", BATCH, compact({"marginMode": "C" * 10_000, "symbols": ["A"]})
    )
    assert len(response.json()["msg"]) <= 200


def test_a_body_over_1_mib_is_refused_before_authentication(caller: Caller) -> None:
    body = compact({"marginMode": "CROSS", "symbols": [f"S{i:07d}" for i in range(120_000)]})
    assert len(body) > 1024 * 1024
    response = caller.request("POST", BATCH, body, credentials=None)
    assert (response.status_code, response.json()["code"]) == (400, "400100")
    assert "1 MiB" in response.json()["msg"]


def test_a_body_over_1_mib_is_refused_over_real_http(checker: ReplyChecker) -> None:
    import httpx

    body = b'{"marginMode":"CROSS","symbols":["' + b"A" * (1024 * 1024) + b'"]}'
    with serve_in_thread() as running, httpx.Client(base_url=running.base_url) as client:
        response = client.post(
            BATCH, content=body, headers=signed_headers(DEMO_CREDENTIALS, "POST", BATCH, body)
        )
        checker.check_response(response)
        assert response.status_code == 400
        assert client.get("/api/v1/timestamp").status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
symbol_like = st.one_of(
    st.sampled_from(["XBTUSDTM", "ETHUSDTM", "SOLUSDTM", "NOPEUSDTM", "", " ", "\t"]),
    st.text(max_size=12),
    json_values,
)
near_valid = st.fixed_dictionaries(
    {},
    optional={
        "marginMode": st.one_of(st.sampled_from(["ISOLATED", "CROSS", "cross", ""]), json_values),
        "symbols": st.one_of(st.lists(symbol_like, max_size=5), json_values),
        "extra": json_values,
    },
)
valid_bodies = st.builds(
    lambda mode, symbols, indent: json.dumps(
        {"marginMode": mode, "symbols": symbols}, indent=indent
    ).encode(),
    st.sampled_from(["ISOLATED", "CROSS"]),
    st.lists(st.text(min_size=1).filter(str.strip), min_size=1, max_size=5, unique=True),
    st.sampled_from([None, 0, 2]),
)
bodies = st.one_of(
    valid_bodies,
    st.binary(max_size=64),
    st.builds(compact, json_values),
    st.builds(compact, near_valid),
    st.builds(
        lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass"), near_valid
    ),
)
json_content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "application/JSON;charset=UTF-8"]
)
content_types = json_content_types | st.sampled_from(["text/plain", "multipart/form-data"])


def _expected_valid(body: bytes, content_type: str, checker: ReplyChecker) -> bool:
    if content_type.partition(";")[0].strip().lower() != "application/json":
        return False  # media types are case-insensitive

    def reject(name: str) -> Any:
        raise ValueError(name)

    try:
        document = json.loads(body, parse_constant=reject)
    except (ValueError, RecursionError):
        return False
    return not checker.problems("/components/schemas/BatchChangeMarginModeRequest", document)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(body=bodies, content_type=content_types)
def test_any_body_gets_200_or_400100_as_the_spec_says_never_500(
    checker: ReplyChecker, body: bytes, content_type: str
) -> None:
    caller = Caller(create_app(MockKucoin()), checker)
    response = caller.request("POST", BATCH, body, content_type=content_type)
    if _expected_valid(body, content_type, checker):
        assert response.status_code == 200
    else:
        assert (response.status_code, response.json()["code"]) == (400, "400100")
        assert response.json()["msg"]


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(body=valid_bodies, content_type=json_content_types)
def test_any_valid_body_is_accepted_whatever_its_layout(
    checker: ReplyChecker, body: bytes, content_type: str
) -> None:
    caller = Caller(create_app(MockKucoin()), checker)
    response = caller.request("POST", BATCH, body, content_type=content_type)
    assert response.status_code == 200
    requested = json.loads(body)["symbols"]
    data = response.json()["data"]
    assert sorted(
        [*data["marginMode"], *(e["symbol"] for e in data["errors"] if e["code"] == "200003")]
    ) == sorted(requested)


header_junk = st.binary(min_size=1, max_size=40).map(
    lambda raw: bytes(b for b in raw if b >= 0x20 and b != 0x7F) or b"x"
)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    header=st.sampled_from(
        ["KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE", "KC-API-KEY-VERSION"]
    ),
    value=header_junk,
)
def test_any_tampered_auth_header_gets_401_never_500(
    checker: ReplyChecker, header: str, value: bytes
) -> None:
    caller = Caller(create_app(MockKucoin()), checker)
    body = switch_body("CROSS", ["ETHUSDTM"])
    response = caller.request("POST", BATCH, body, headers={header: value})
    # Only the one value junk can share with a real header, the key version "3", passes.
    unchanged = header == "KC-API-KEY-VERSION" and value == b"3"
    assert response.status_code == (200 if unchanged else 401)


@pytest.mark.parametrize("symbol", ["\x1c", "\x1d\x1e", "\x1f", "\x85", "\u200b"])
def test_blank_means_ecma_whitespace_as_json_schema_says(caller: Caller, symbol: str) -> None:
    # JSON Schema patterns are ECMA-262: its \s lacks U+001C-U+001F and U+0085, which
    # Python's has. Such a symbol is not blank: it is valid, and unknown.
    response = caller.request("POST", BATCH, compact({"marginMode": "CROSS", "symbols": [symbol]}))
    assert response.json()["data"]["errors"][0]["code"] == "200003"
    assert caller.read(symbol).json()["code"] == "200003"


@pytest.mark.parametrize("symbol", ["\ufeff", "\u3000", "\xa0 ", "\u2028"])
def test_ecma_whitespace_alone_is_blank(caller: Caller, symbol: str) -> None:
    response = caller.request("POST", BATCH, compact({"marginMode": "CROSS", "symbols": [symbol]}))
    assert response.json()["msg"] == "symbols[0]: must not be blank"
    assert caller.read(symbol).json()["msg"] == "symbol: must not be blank"
