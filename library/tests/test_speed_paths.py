"""The C-level shortcuts the HTTP layer and the helpers take for the usual input and reply
give the same answers as the member-by-member rules they stand in for."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kucoin_futures import set_margin_mode
from kucoin_futures._http import _json_as_content
from kucoin_futures._margin import _usual_symbols
from kucoin_futures._operations import _all_strings, find_operation, shape_problem
from kucoin_futures._reply import _may_hold_containers

from .conftest import BATCH_PATH, answering

members = st.lists(
    st.one_of(
        st.text(max_size=3),
        st.integers(),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=1),
        st.dictionaries(st.text(max_size=1), st.integers(), max_size=1),
    ),
    max_size=6,
)


@settings(max_examples=200, derandomize=True, database=None)
@given(members)
def test_the_join_shortcuts_agree_with_a_look_at_each_member(values: list[Any]) -> None:
    assert _all_strings(values) == all(isinstance(v, str) for v in values)
    assert _may_hold_containers(values) == any(type(v) in (dict, list) for v in values)
    as_object = {str(i): v for i, v in enumerate(values)}
    assert _may_hold_containers(as_object.values()) == _may_hold_containers(values)


def test_a_mode_map_with_one_value_not_a_string_is_named() -> None:
    operation = find_operation("POST", BATCH_PATH)
    assert operation is not None
    modes: dict[str, object] = {f"S{i}USDTM": "ISOLATED" for i in range(1000)}
    modes["S500USDTM"] = 7
    reply = {"code": "200000", "data": {"marginMode": modes, "errors": []}}
    assert shape_problem(operation.success, reply) == (
        "`reply.data.marginMode['S500USDTM']` is an integer, not string"
    )


@settings(max_examples=300, derandomize=True, database=None)
@given(st.lists(st.text(alphabet=st.sampled_from("AB1 ,\x7f\x1fé\t"), max_size=3), max_size=5))
@example(["A", "", "B"])
@example(["", "A"])
@example(["A", ""])
@example([""])
@example(["A,", "B"])
def test_the_usual_symbols_shortcut_accepts_only_valid_symbols(symbols: list[str]) -> None:
    # The shortcut may send a valid list to the symbol-by-symbol walk, never pass a bad one.
    if _usual_symbols(symbols):
        assert all(s and s.strip() == s and s.isprintable() and s.isascii() for s in symbols)
        assert len(set(symbols)) == len(symbols)
    usual = [s for s in symbols if s and all(c in "AB1" for c in s)]
    if usual and len(set(usual)) == len(usual):
        assert _usual_symbols(usual)


def test_a_json_body_is_compact_ascii_json_of_the_same_value() -> None:
    payload = {"marginMode": "ISOLATED", "symbols": ["XBTUSDTM", "ÉTHUSDTM"], "n": 1.5}
    built = _json_as_content({"json": payload, "headers": {"X-A": "1"}})
    assert built["json"] is None
    assert built["content"] == (
        b'{"marginMode":"ISOLATED","symbols":["XBTUSDTM","\\u00c9THUSDTM"],"n":1.5}'
    )
    assert json.loads(built["content"]) == payload
    assert built["headers"]["content-type"] == "application/json"
    assert built["headers"]["x-a"] == "1"


def test_a_json_body_keeps_a_content_type_given_and_refuses_nan() -> None:
    kept = _json_as_content({"json": [], "headers": {"Content-Type": "application/x+json"}})
    assert httpx.Headers(kept["headers"])["content-type"] == "application/x+json"
    with pytest.raises(ValueError, match="not JSON compliant"):
        _json_as_content({"json": [math.nan]})


def test_other_bodies_are_left_to_httpx() -> None:
    for kwargs in ({"content": b"x", "json": {"a": 1}}, {"data": {"a": "1"}}, {}):
        assert _json_as_content(dict(kwargs)) == kwargs


def test_the_switch_sends_the_compact_body_it_signs() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        modes = {"XBTUSDTM": "ISOLATED", "ETHUSDTM": "ISOLATED"}
        return httpx.Response(
            200, json={"code": "200000", "data": {"marginMode": modes, "errors": []}}
        )

    outcome = set_margin_mode(answering(handler), "ISOLATED", ["XBTUSDTM", "ETHUSDTM"])
    assert outcome.all_switched
    (request,) = seen
    assert request.content == b'{"marginMode":"ISOLATED","symbols":["XBTUSDTM","ETHUSDTM"]}'
    assert request.headers["content-type"] == "application/json"
    assert request.headers["content-length"] == str(len(request.content))
