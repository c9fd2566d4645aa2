"""Per-symbol outcome: every requested symbol lands in exactly one of switched, failed,
missing, and the reply's own data stays available."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kucoin_futures import InvalidReplyError, SymbolFailure, margin_mode_outcome
from kucoin_futures_client.models import BatchChangeMarginModeData, MarginMode


def data_of(reply: dict[str, Any]) -> BatchChangeMarginModeData:
    return BatchChangeMarginModeData.from_dict(reply)


DOCUMENTED = {
    "marginMode": {"ETHUSDTM": "ISOLATED", "XBTUSDTM": "CROSS"},
    "errors": [{"code": "50002", "msg": "exist.order.or.position", "symbol": "XBTUSDTM"}],
}


def test_the_documented_reply() -> None:
    body = json.dumps({"code": "200000", "data": DOCUMENTED}, separators=(",", ":")).encode()
    outcome = margin_mode_outcome(
        ["XBTUSDTM", "ETHUSDTM"], data_of(DOCUMENTED), target=MarginMode.ISOLATED, body=body
    )
    assert outcome.switched == {"ETHUSDTM": MarginMode.ISOLATED}
    # A failed symbol listed in data.marginMode kept that mode: it is kept on the record.
    assert outcome.failed == {
        "XBTUSDTM": SymbolFailure("50002", "exist.order.or.position", MarginMode.CROSS)
    }
    assert outcome.missing == ()
    assert not outcome.all_switched
    assert outcome.raw_data == DOCUMENTED
    assert outcome.data is not None
    assert outcome.data.margin_mode["ETHUSDTM"] == "ISOLATED"


def test_unknown_symbol_fails_without_a_mode() -> None:
    data = data_of(
        {"marginMode": {}, "errors": [{"code": "200003", "msg": "bad symbol", "symbol": "NOPE"}]}
    )
    outcome = margin_mode_outcome(["NOPE"], data, target=MarginMode.CROSS)
    assert outcome.failed == {"NOPE": SymbolFailure("200003", "bad symbol", None)}


def test_symbols_the_reply_does_not_mention_are_missing() -> None:
    data = data_of({"marginMode": {"A": "CROSS"}, "errors": []})
    outcome = margin_mode_outcome(["B", "A", "C"], data, target=MarginMode.CROSS)
    assert outcome.switched == {"A": MarginMode.CROSS}
    assert outcome.missing == ("B", "C")


def test_a_mode_unknown_today_stays_a_string() -> None:
    data = data_of({"marginMode": {"A": "PORTFOLIO"}, "errors": []})
    assert margin_mode_outcome(["A"], data).switched == {"A": "PORTFOLIO"}
    failed = margin_mode_outcome(["A"], data, target=MarginMode.ISOLATED).failed["A"]
    assert failed.mode == "PORTFOLIO"
    assert failed.code is None


def test_a_symbol_shown_in_another_mode_without_an_error_is_not_called_switched() -> None:
    data = data_of({"marginMode": {"A": "CROSS"}, "errors": []})
    outcome = margin_mode_outcome(["A"], data, target=MarginMode.ISOLATED)
    assert outcome.switched == {}
    assert outcome.failed["A"] == SymbolFailure(
        None, "reply shows margin mode CROSS, not the requested ISOLATED", MarginMode.CROSS
    )


def test_error_entries_without_code_or_msg_and_for_other_symbols() -> None:
    data = data_of(
        {
            "marginMode": {"A": "CROSS"},
            "errors": [{"symbol": "A"}, {"code": "1"}, {"symbol": "ZZZ", "code": "2"}],
        }
    )
    outcome = margin_mode_outcome(["A"], data, target=MarginMode.CROSS)
    assert outcome.failed == {"A": SymbolFailure(None, "", MarginMode.CROSS)}


@pytest.mark.parametrize(
    "reply",
    [
        {"marginMode": {"A": 1}, "errors": []},
        {"marginMode": {"A": None}, "errors": []},
        {"marginMode": {}, "errors": [{"symbol": ["A"]}]},
        {"marginMode": {}, "errors": [{"symbol": "A", "code": 50002}]},
        {"marginMode": {}, "errors": [{"symbol": "A", "msg": {"text": "x"}}]},
    ],
)
def test_values_of_the_wrong_type_are_an_invalid_reply(reply: dict[str, Any]) -> None:
    body = json.dumps({"code": "200000", "data": reply}).encode()
    with pytest.raises(InvalidReplyError) as info:
        margin_mode_outcome(["A"], data_of(reply), body=body)
    assert info.value.status == 200
    assert info.value.excerpt.startswith('{"code": "200000"')


symbols = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=10)
modes = st.sampled_from(["ISOLATED", "CROSS", "PORTFOLIO"])


@st.composite
def request_and_reply(draw: st.DrawFn) -> tuple[list[str], dict[str, Any]]:
    requested = draw(st.lists(symbols, min_size=1, max_size=30, unique=True))
    strangers = draw(st.lists(symbols, max_size=5))
    mentioned = draw(st.lists(st.sampled_from(requested + strangers or requested), max_size=40))
    in_map = draw(st.lists(st.sampled_from(requested + strangers or requested), max_size=40))
    return requested, {
        "marginMode": {symbol: draw(modes) for symbol in in_map},
        "errors": [
            draw(
                st.fixed_dictionaries(
                    {"symbol": st.just(symbol)},
                    optional={"code": st.just("50002"), "msg": st.just("m")},
                )
            )
            for symbol in mentioned
        ],
    }


@settings(max_examples=300, derandomize=True, database=None)
@given(case=request_and_reply(), target=st.sampled_from([None, *MarginMode]))
def test_outcome_partitions_the_requested_symbols(
    case: tuple[list[str], dict[str, Any]], target: MarginMode | None
) -> None:
    requested, reply = case
    check_outcome(requested, reply, target)


@st.composite
def usual_reply(draw: st.DrawFn) -> tuple[list[str], dict[str, Any], MarginMode]:
    # What KuCoin usually sends: every symbol in the target mode but a few that failed
    # (and, now and then, one that is missing or shows another mode): the fast path.
    target = draw(st.sampled_from(list(MarginMode)))
    other = "CROSS" if target is MarginMode.ISOLATED else "ISOLATED"
    requested = draw(st.lists(symbols, min_size=1, max_size=60, unique=True))
    reply_modes = dict.fromkeys(requested, target.value)
    # Up to 25 failures: both the sorted few and the scan of many (over 16) are exercised.
    failing = draw(st.lists(st.sampled_from(requested), max_size=25, unique=True))
    errors = [{"code": "50002", "msg": "exist.order.or.position", "symbol": s} for s in failing]
    for symbol in failing:
        reply_modes[symbol] = draw(st.sampled_from([other, target.value]))
    oddity = draw(st.sampled_from(["none", "missing", "other mode", "unknown mode"]))
    odd = draw(st.sampled_from(requested))
    if oddity == "missing":
        del reply_modes[odd]
    elif oddity == "other mode":
        reply_modes[odd] = other
    elif oddity == "unknown mode":
        reply_modes[odd] = "PORTFOLIO"
    return requested, {"marginMode": reply_modes, "errors": errors}, target


@settings(max_examples=300, derandomize=True, database=None)
@given(case=usual_reply())
def test_the_usual_reply_is_sorted_like_any_other(
    case: tuple[list[str], dict[str, Any], MarginMode],
) -> None:
    requested, reply, target = case
    check_outcome(requested, reply, target)


def check_outcome(requested: list[str], reply: dict[str, Any], target: MarginMode | None) -> None:
    """The outcome against an oracle written symbol by symbol from the module's rules."""
    outcome = margin_mode_outcome(requested, data_of(reply), target=target)
    switched, failed, missing = set(outcome.switched), set(outcome.failed), set(outcome.missing)
    assert switched | failed | missing == set(requested)
    # Disjoint, and no symbol twice within a part.
    assert len(outcome.switched) + len(outcome.failed) + len(outcome.missing) == len(requested)
    # Each part keeps the request's order.
    for part in (list(outcome.switched), list(outcome.failed), list(outcome.missing)):
        assert part == [s for s in requested if s in part]
    error_symbols = {entry["symbol"] for entry in reply["errors"]}
    for symbol in requested:
        if symbol in error_symbols:
            assert symbol in failed
            mode = reply["marginMode"].get(symbol)
            assert outcome.failed[symbol].mode == mode
        elif symbol not in reply["marginMode"]:
            assert symbol in missing
        elif target is None or reply["marginMode"][symbol] == target:
            assert outcome.switched[symbol] == reply["marginMode"][symbol]
        else:
            assert symbol in failed
    assert outcome.all_switched == (switched == set(requested))


@pytest.mark.parametrize(
    ("body", "data_text"),
    [
        (
            b'{"code":"200000","data":{"marginMode":{},"errors":[]}}',
            '{"marginMode":{},"errors":[]}',
        ),
        (
            b'{ "code" : "200000" ,\n "msg": "x\\"data\\":1", "data" : {"marginMode": '
            b'{"A": "\\u0049SOLATED"}, "errors": [] } }',
            '{"marginMode": {"A": "\\u0049SOLATED"}, "errors": [] }',
        ),
    ],
)
def test_raw_data_text_is_the_data_member_exactly_as_received(body: bytes, data_text: str) -> None:
    reply = json.loads(body)
    outcome = margin_mode_outcome(["A"], data_of(reply["data"]), body=body)
    assert outcome.raw_data_text == data_text
    assert json.loads(data_text) == reply["data"] == outcome.raw_data
