"""The bounded reader and parser every reply goes through (`_reply.py`)."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kucoin_futures import InvalidReplyError, set_margin_mode
from kucoin_futures._http import CheckedResponse
from kucoin_futures._outcome import _member_text
from kucoin_futures._reply import (
    MAX_NESTING,
    MAX_NUMBER_CHARS,
    BodyReader,
    UnreadableReply,
    parse_json,
)

from .conftest import answering


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_nesting_up_to_the_bound_is_read_and_one_more_is_not() -> None:
    assert parse_json(nested(MAX_NESTING)) is not None
    with pytest.raises(UnreadableReply, match="nested deeper than 32") as caught:
        parse_json(nested(MAX_NESTING + 1))
    assert not caught.value.retryable


def test_wide_but_shallow_json_is_read() -> None:
    body = b"[" + b",".join([b'{"a":[1]}'] * 1000) + b"]"
    assert len(parse_json(body)) == 1000


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" + b"1" * (MAX_NUMBER_CHARS + 1) + b"]", "number of 41 characters"),
        (b"[1." + b"5" * MAX_NUMBER_CHARS + b"]", "number of 42 characters"),
        (b"[NaN]", "NaN is not JSON"),
        (b"[-Infinity]", "-Infinity is not JSON"),
    ],
)
def test_json_beyond_the_bounds_is_refused_for_good(body: bytes, reason: str) -> None:
    with pytest.raises(UnreadableReply, match=reason) as caught:
        parse_json(body)
    assert not caught.value.retryable


@pytest.mark.parametrize(
    "body",
    [b"\xef\xbb\xbf{}", '{"code":"1"}'.encode("utf-16"), b'{"a":"\xff"}', b'{"a":', b""],
    ids=["bom", "utf-16", "latin-1", "cut-off", "empty"],
)
def test_a_body_that_is_not_utf8_json_may_have_been_replaced_on_the_way(body: bytes) -> None:
    with pytest.raises(UnreadableReply) as caught:
        parse_json(body)
    assert caught.value.retryable


@pytest.mark.parametrize(
    "body",
    [
        b'{"code":"400005","msg":"bad","code":"200000","data":{}}',
        b'{"code":"200000","data":{"marginMode":{"A":"CROSS","A":"ISOLATED"},"errors":[]}}',
        b'{"code":"200000","data":{"errors":[{"symbol":"A","symbol":"B"}]}}',
    ],
    ids=["top-level", "in-the-map", "in-a-list-item"],
)
def test_a_repeated_key_is_refused_for_good(body: bytes) -> None:
    with pytest.raises(UnreadableReply, match="repeated in a JSON object") as caught:
        parse_json(body)
    assert not caught.value.retryable


def test_a_repeated_key_reply_is_an_invalid_reply_not_a_success() -> None:
    body = b'{"code":"400005","msg":"bad","code":"200000","data":{"marginMode":{},"errors":[]}}'
    client = answering(lambda _request: httpx.Response(200, content=body))
    with pytest.raises(InvalidReplyError, match="'code' repeated"):
        set_margin_mode(client, "CROSS", ["XBTUSDTM"])


def test_the_raw_text_of_a_member_is_found_past_strings_that_look_like_it() -> None:
    body = '{"msg":"\\"data\\":{}","data":{"marginMode":{}}}'
    assert _member_text(body, "data") == '{"marginMode":{}}'


def test_numbers_within_the_bound_keep_their_type() -> None:
    assert parse_json(b'{"t":1700000000000,"p":0.5,"n":-3}') == {
        "t": 1700000000000,
        "p": 0.5,
        "n": -3,
    }


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("gzip, deflate", lambda data: zlib.compress(gzip.compress(data))),
        ("identity", lambda data: data),
        (None, lambda data: data),
    ],
)
def test_the_reader_undoes_each_encoding_chunk_by_chunk(
    encoding: str | None, encode: Callable[[bytes], bytes]
) -> None:
    body = b'{"code":"200000"}' * 100
    wire = encode(body)
    reader = BodyReader(encoding, limit=len(body))
    for start in range(0, len(wire), 7):
        reader.feed(wire[start : start + 7])
    assert reader.body() == body


def test_the_reader_stops_at_the_limit_even_inside_one_chunk() -> None:
    reader = BodyReader("gzip", limit=1000)
    with pytest.raises(UnreadableReply, match="larger than 1000 bytes") as caught:
        reader.feed(gzip.compress(bytes(10**7)))
    assert not caught.value.retryable
    assert len(reader.start()) <= 1000


def test_a_cut_off_compressed_body_is_retryable() -> None:
    reader = BodyReader("gzip", limit=1000)
    reader.feed(gzip.compress(b'{"code":"200000"}')[:-4])
    with pytest.raises(UnreadableReply, match="cut off") as caught:
        reader.body()
    assert caught.value.retryable


def test_a_checked_response_reads_like_any_read_response() -> None:
    body = b'{"code":"200000","data":1700000000000}'
    wire = httpx.Response(
        200,
        headers={"Content-Encoding": "gzip", "gw-ratelimit-remaining": "5"},
        content=gzip.compress(body),
        request=httpx.Request("GET", "https://kucoin.test/x"),
    )
    checked = CheckedResponse(wire, body, parse_json(body))
    assert checked.content == body
    assert checked.text == body.decode()
    assert b"".join(checked.iter_bytes()) == body
    assert checked.json() is checked.json()  # the one checked parse, not parsed again
    assert checked.json(parse_int=str) == {"code": "200000", "data": "1700000000000"}
    assert "content-encoding" not in checked.headers
    assert checked.headers["gw-ratelimit-remaining"] == "5"
    assert checked.headers["content-length"] == str(len(body))


_KEYS = st.sampled_from(["a", "b", "code", "a:b", ":", "{", "\\u003a"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-999, 999), _KEYS)


def _json_text(draw: st.DrawFn, depth: int) -> str:
    """JSON text, objects sometimes with a repeated key, strings sometimes with colons."""
    if depth == 0 or draw(st.booleans()):
        return json.dumps(draw(_SCALARS))
    if draw(st.booleans()):
        items = draw(st.lists(st.integers(0, 0), max_size=3))
        return "[" + ",".join(_json_text(draw, depth - 1) for _ in items) + "]"
    keys = draw(st.lists(_KEYS, max_size=4))
    return "{" + ",".join(f'"{k}":{_json_text(draw, depth - 1)}' for k in keys) + "}"


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    return _json_text(draw, 4)


def _has_repeat(pairs: list[tuple[str, object]]) -> dict[str, object]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("repeat")
    return dict(pairs)


@settings(max_examples=400, derandomize=True, database=None)
@given(json_texts())
def test_the_parse_is_json_loads_and_refuses_exactly_the_repeats(text: str) -> None:
    try:
        expected = json.loads(text, object_pairs_hook=_has_repeat)
    except ValueError:
        with pytest.raises(UnreadableReply, match="repeated"):
            parse_json(text.encode())
    else:
        assert parse_json(text.encode()) == expected
