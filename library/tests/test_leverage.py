"""Cross-margin leverage: the input check, one-symbol read and change (sync and async)
against the mock, and the replies the HTTP layer lets through."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kucoin_futures import (
    CallResult,
    ConfigurationError,
    InvalidInputError,
    InvalidParameterError,
    InvalidReplyError,
    Reason,
    Result,
    aget_cross_leverage,
    aset_cross_leverage,
    cross_leverage_request,
    futures_client,
    get_cross_leverage,
    leverage_value,
    set_cross_leverage,
)
from kucoin_futures._apply import change_leverages
from kucoin_futures_client import Client
from kucoin_futures_mock import RunningMock

from .conftest import answering

# ---- leverage_value: the pure check phase 2 (apply files, CLI) reuses -----------------------


@pytest.mark.parametrize(
    ("given_value", "sent"),
    [
        (5, "5"),
        (2.5, "2.5"),
        (1, "1"),
        (125, "125"),
        (10.0, "10"),
        (1.05, "1.05"),
        ("5", "5"),
        ("2.50", "2.5"),
        ("10.00", "10"),
        ("007", "7"),
        (Decimal("3.10"), "3.1"),
        (Decimal("1E+1"), "10"),
        (9999.99, "9999.99"),
    ],
)
def test_a_leverage_is_sent_as_kucoins_string(given_value: object, sent: str) -> None:
    assert leverage_value(given_value) == sent


@pytest.mark.parametrize(
    ("given_value", "problem"),
    [
        (True, "leverage must be a number, got True"),
        (False, "leverage must be a number, got False"),
        (0, "leverage must be at least 1, got 0"),
        (0.99, "leverage must be at least 1, got 0.99"),
        (-5, "leverage must be at least 1, got -5"),
        ("0.5", "leverage must be at least 1, got '0.5'"),
        (2.555, "leverage has at most two decimals, got 2.555"),
        ("1.001", "leverage has at most two decimals, got '1.001'"),
        (1.1 + 2.2, "leverage has at most two decimals"),  # 3.3000000000000003
        (math.nan, "leverage must be a finite number, got nan"),
        (math.inf, "leverage must be a finite number, got inf"),
        (Decimal("NaN"), "leverage must be a finite number"),
        (Decimal("-Infinity"), "leverage must be a finite number"),
        ("NaN", "leverage must be a number such as 5 or 2.5, got 'NaN'"),
        ("inf", "leverage must be a number such as 5 or 2.5"),
        ("1e1", "leverage must be a number such as 5 or 2.5"),
        (" 5", "leverage must be a number such as 5 or 2.5"),
        ("-5", "leverage must be a number such as 5 or 2.5"),
        ("5_0", "leverage must be a number such as 5 or 2.5"),
        ("", "leverage must be a number such as 5 or 2.5"),
        ("\u0665", "leverage must be a number such as 5 or 2.5"),  # an Arabic-Indic 5
        pytest.param("9" * 5000, "leverage must be a number such as 5 or 2.5", id="long"),
        (10000, "leverage must be at most 9999.99, got 10000"),
        pytest.param(
            10**5000, "leverage must be at most 9999.99, got an integer of 16610 bits", id="huge"
        ),
        (1e300, "leverage must be at most 9999.99"),
        (None, "leverage must be a number or a numeric string, got NoneType"),
        ([5], "leverage must be a number or a numeric string, got list"),
        (b"5", "leverage must be a number or a numeric string, got bytes"),
    ],
)
def test_a_bad_leverage_is_named(given_value: object, problem: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        leverage_value(given_value)
    assert str(raised.value).startswith(problem), str(raised.value)


@given(st.decimals(min_value=1, max_value=Decimal("9999.99"), places=2))
def test_every_number_of_the_range_round_trips(number: Decimal) -> None:
    sent = leverage_value(number)
    assert Decimal(sent) == number
    assert sent == leverage_value(sent) == leverage_value(str(number))
    assert "E" not in sent and not (sent.endswith("0") and "." in sent)


def test_the_request_checks_symbol_and_leverage() -> None:
    assert cross_leverage_request("XBTUSDTM", 2.5).to_dict() == {
        "symbol": "XBTUSDTM",
        "leverage": "2.5",
    }
    with pytest.raises(InvalidInputError, match="symbol must be a string"):
        cross_leverage_request(5, 5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="without spaces"):
        cross_leverage_request(" XBTUSDTM", 5)


# ---- against the mock ------------------------------------------------------------------------


def _client(kucoin_mock: RunningMock) -> Client:
    return futures_client(kucoin_mock.credentials, base_url=kucoin_mock.base_url)


def test_set_then_get_round_trips_through_the_mock(kucoin_mock: RunningMock) -> None:
    with _client(kucoin_mock) as client:
        assert get_cross_leverage(client, "XBTUSDTM") == Decimal(5)
        assert set_cross_leverage(client, "XBTUSDTM", 10) == Decimal(10)
        assert get_cross_leverage(client, "XBTUSDTM") == Decimal(10)
        assert set_cross_leverage(client, "ETHUSDTM", "2.50") == Decimal("2.5")
    assert kucoin_mock.mock.leverage_of("XBTUSDTM") == "10"
    assert kucoin_mock.mock.leverage_of("ETHUSDTM") == "2.5"
    sent = [r.body for r in kucoin_mock.mock.recent_requests if r.method == "POST"]
    assert sent == [
        b'{"symbol":"XBTUSDTM","leverage":"10"}',
        b'{"symbol":"ETHUSDTM","leverage":"2.5"}',
    ]


def test_the_async_twins_do_the_same(kucoin_mock: RunningMock) -> None:
    async def run() -> tuple[Decimal, Decimal]:
        async with _client(kucoin_mock) as client:
            changed = await aset_cross_leverage(client, "SOLUSDTM", 7.5)
            return changed, await aget_cross_leverage(client, "SOLUSDTM")

    assert anyio.run(run) == (Decimal("7.5"), Decimal("7.5"))
    assert kucoin_mock.mock.leverage_of("SOLUSDTM") == "7.5"


def test_bad_input_sends_nothing(kucoin_mock: RunningMock) -> None:
    with _client(kucoin_mock) as client:
        for leverage in (0, True, math.nan, "2.555"):
            with pytest.raises(InvalidInputError):
                set_cross_leverage(client, "XBTUSDTM", leverage)
        with pytest.raises(InvalidInputError):
            get_cross_leverage(client, "")
    assert kucoin_mock.mock.requests_seen == 0


def test_kucoins_refusals_are_typed(kucoin_mock: RunningMock) -> None:
    kucoin_mock.mock.set_mode("XBTUSDTM", "ISOLATED")
    with _client(kucoin_mock) as client:
        with pytest.raises(InvalidParameterError) as above:
            set_cross_leverage(client, "XBTUSDTM", 126)
        assert above.value.code == "100001"
        with pytest.raises(InvalidParameterError) as unknown:
            get_cross_leverage(client, "NOPEUSDTM")
        assert unknown.value.code == "200003"
        with pytest.raises(InvalidParameterError):
            set_cross_leverage(client, "NOPEUSDTM", 5)
        assert set_cross_leverage(client, "XBTUSDTM", 125) == 125  # ISOLATED accepts it
    assert kucoin_mock.mock.leverage_of("XBTUSDTM") == "125"


def test_a_plain_client_is_refused() -> None:
    plain = Client(base_url="http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="futures_client"):
        get_cross_leverage(plain, "XBTUSDTM")
    with pytest.raises(ConfigurationError, match="futures_client"):
        set_cross_leverage(plain, "XBTUSDTM", 5)


# ---- replies the HTTP layer lets through, and what the helpers make of them -------------------


def _replying(document: dict[str, Any]) -> Client:
    body = json.dumps(document).encode()
    return answering(lambda request: httpx.Response(200, content=body))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"symbol": "ETHUSDTM", "leverage": "5"}, "the reply is for 'ETHUSDTM'"),
        ({"symbol": "XBTUSDTM", "leverage": "NaN"}, "leverage 'NaN' is not a number"),
        ({"symbol": "XBTUSDTM", "leverage": "1e3"}, "leverage '1e3' is not a number"),
        ({"symbol": "XBTUSDTM", "leverage": "9" * 100}, "is not a number"),
        ({"symbol": "XBTUSDTM", "leverage": 5}, "`reply.data.leverage` is an integer"),
    ],
)
def test_a_read_reply_that_is_not_a_leverage_is_invalid(data: dict[str, Any], problem: str) -> None:
    with (
        _replying({"code": "200000", "data": data}) as client,
        pytest.raises(InvalidReplyError, match=problem),
    ):
        get_cross_leverage(client, "XBTUSDTM")


def test_a_read_reply_in_another_format_is_read() -> None:
    document = {"code": "200000", "data": {"symbol": "XBTUSDTM", "leverage": "3.00"}}
    with _replying(document) as client:
        assert get_cross_leverage(client, "XBTUSDTM") == 3


def test_data_false_is_kucoin_declining_the_change() -> None:
    # A well-formed answer about the one symbol: a refusal (InvalidParameterError, code
    # None), not an invalid reply; in a report it is the symbol's own (exit 1).
    with (
        _replying({"code": "200000", "data": False}) as client,
        pytest.raises(InvalidParameterError, match="`data: false`: the leverage is not set") as e,
    ):
        set_cross_leverage(client, "XBTUSDTM", 5)
    assert (e.value.code, e.value.status) == (None, 200)
    with _replying({"code": "200000", "data": False}) as client:
        report = change_leverages(client, {"XBTUSDTM": "5", "ETHUSDTM": "5"}, {}, verify=False)
    assert [(r.result, r.reason) for r in report.symbols] == [(Result.FAILED, Reason.REFUSED)] * 2
    assert (report.error, report.call_result) == (None, CallResult.SYMBOLS_FAILED)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"symbol": "XBTUSDTM", "leverage": "5"}, "`reply.data` is an object, not boolean"),
        ("true", "`reply.data` is a string, not boolean"),
    ],
)
def test_a_change_reply_other_than_true_is_invalid(data: object, problem: str) -> None:
    with (
        _replying({"code": "200000", "data": data}) as client,
        pytest.raises(InvalidReplyError, match=problem),
    ):
        set_cross_leverage(client, "XBTUSDTM", 5)
