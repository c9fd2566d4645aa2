"""The batch switch: per-symbol outcomes, 50002 for busy symbols, unknown symbols, state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kucoin_futures_auth import Credentials
from kucoin_futures_mock import DEMO_CREDENTIALS, SYMBOLS, Account, MockKucoin

from .conftest import BATCH, Caller


def test_the_documented_example_is_reproduced_exactly(
    make_caller: Callable[..., Caller], spec: dict[str, Any]
) -> None:
    operation = spec["paths"][BATCH]["post"]
    documented_request = operation["requestBody"]["content"]["application/json"]["examples"]
    documented_reply = operation["responses"]["200"]["content"]["application/json"]["examples"]
    request = documented_request["documented"]["value"]
    mock = MockKucoin()
    mock.set_busy("XBTUSDTM")
    assert mock.mode_of("XBTUSDTM") == "CROSS"

    response = make_caller(mock).switch(request["marginMode"], request["symbols"])

    assert response.status_code == 200
    assert response.json() == documented_reply["documented"]["value"]
    assert response.content.startswith(b'{"code":"200000","data":')
    assert mock.mode_of("ETHUSDTM") == "ISOLATED"
    assert mock.mode_of("XBTUSDTM") == "CROSS"


def test_reply_lists_symbols_sorted_whatever_the_request_order(
    make_caller: Callable[..., Caller],
) -> None:
    mock = MockKucoin()
    mock.set_busy("XBTUSDTM")
    caller = make_caller(mock)
    forward = caller.switch("ISOLATED", ["ETHUSDTM", "XBTUSDTM"]).content
    backward = caller.switch("ISOLATED", ["XBTUSDTM", "ETHUSDTM"]).content
    assert forward == backward
    assert forward == (
        b'{"code":"200000","data":{"marginMode":{"ETHUSDTM":"ISOLATED","XBTUSDTM":"CROSS"},'
        b'"errors":[{"code":"50002","msg":"exist.order.or.position","symbol":"XBTUSDTM"}]}}'
    )


def test_a_busy_symbol_fails_even_if_already_in_the_target_mode(
    make_caller: Callable[..., Caller],
) -> None:
    mock = MockKucoin()
    mock.set_mode("SOLUSDTM", "ISOLATED")
    mock.set_busy("SOLUSDTM")
    data = make_caller(mock).switch("ISOLATED", ["SOLUSDTM"]).json()["data"]
    assert data == {
        "marginMode": {"SOLUSDTM": "ISOLATED"},
        "errors": [{"code": "50002", "msg": "exist.order.or.position", "symbol": "SOLUSDTM"}],
    }


def test_unknown_symbols_fail_alone_with_200003_and_are_absent_from_margin_mode(
    make_caller: Callable[..., Caller],
) -> None:
    mock = MockKucoin()
    mock.set_busy("XBTUSDTM")
    response = make_caller(mock).switch("ISOLATED", ["NOPEUSDTM", "ETHUSDTM", "XBTUSDTM", "x"])
    data = response.json()["data"]
    assert data["marginMode"] == {"ETHUSDTM": "ISOLATED", "XBTUSDTM": "CROSS"}
    assert [(e["symbol"], e["code"]) for e in data["errors"]] == [
        ("NOPEUSDTM", "200003"),
        ("XBTUSDTM", "50002"),
        ("x", "200003"),
    ]
    assert "NOPEUSDTM" not in mock.modes()


def test_a_batch_of_only_unknown_symbols_is_still_200000(caller: Caller) -> None:
    body = caller.switch("CROSS", ["FOO", "BAR"]).json()
    assert body["code"] == "200000"
    assert body["data"]["marginMode"] == {}
    assert len(body["data"]["errors"]) == 2


def test_state_lasts_between_calls_and_every_symbol_can_switch(caller: Caller) -> None:
    mock: MockKucoin = caller.app.state.mock
    all_isolated = caller.switch("ISOLATED", list(SYMBOLS)).json()["data"]
    assert all_isolated == {"marginMode": dict.fromkeys(sorted(SYMBOLS), "ISOLATED"), "errors": []}
    assert set(mock.modes().values()) == {"ISOLATED"}
    back = caller.switch("CROSS", ["ETHUSDTM"]).json()["data"]["marginMode"]
    assert back == {"ETHUSDTM": "CROSS"}
    assert mock.mode_of("ETHUSDTM") == "CROSS"
    assert mock.mode_of("XBTUSDTM") == "ISOLATED"


def test_accounts_have_separate_state(make_caller: Callable[..., Caller]) -> None:
    other = Credentials("second-key", "second-secret", "second-passphrase")
    mock = MockKucoin([Account(DEMO_CREDENTIALS), Account(other)])
    mock.set_busy("ETHUSDTM", key="second-key")
    caller = make_caller(mock)
    first = caller.switch("ISOLATED", ["ETHUSDTM"]).json()["data"]
    second = caller.switch("ISOLATED", ["ETHUSDTM"], credentials=other).json()["data"]
    assert first["errors"] == []
    assert second["errors"][0]["code"] == "50002"
    assert mock.mode_of("ETHUSDTM") == "ISOLATED"
    assert mock.mode_of("ETHUSDTM", key="second-key") == "CROSS"


def test_freeing_a_busy_symbol_lets_it_switch(caller: Caller) -> None:
    mock: MockKucoin = caller.app.state.mock
    mock.set_busy("XBTUSDTM")
    assert caller.switch("ISOLATED", ["XBTUSDTM"]).json()["data"]["errors"]
    mock.set_busy("XBTUSDTM", busy=False)
    assert not mock.is_busy("XBTUSDTM")
    assert caller.switch("ISOLATED", ["XBTUSDTM"]).json()["data"]["errors"] == []


def test_starting_modes_are_configurable() -> None:
    mock = MockKucoin(default_mode="ISOLATED", symbols=["AUSDTM", "BUSDTM"])
    assert mock.modes() == {"AUSDTM": "ISOLATED", "BUSDTM": "ISOLATED"}
    assert mock.symbols == ("AUSDTM", "BUSDTM")


def test_the_default_catalogue_is_at_least_ten_real_symbols() -> None:
    assert len(SYMBOLS) >= 10
    assert {"XBTUSDTM", "ETHUSDTM", "SOLUSDTM"} <= set(SYMBOLS)
    assert all(symbol.endswith("USDTM") for symbol in SYMBOLS)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda m: m.set_busy("NOPE"), "catalogue"),
        (lambda m: m.set_mode("XBTUSDTM", "PORTFOLIO"), "margin mode"),
        (lambda m: m.mode_of("XBTUSDTM", key="nobody"), "API key"),
        (lambda m: m.add_account(Account(DEMO_CREDENTIALS)), "already exists"),
        (lambda m: MockKucoin(default_mode="cross"), "margin mode"),
        (lambda m: MockKucoin(symbols=["A", "A"]), "duplicates"),
        (lambda m: MockKucoin(accounts=[]), "at least one account"),
    ],
)
def test_control_handle_rejects_bad_arguments(
    action: Callable[[MockKucoin], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        action(MockKucoin())


def test_account_permissions_must_be_a_collection() -> None:
    with pytest.raises(TypeError):
        Account(DEMO_CREDENTIALS, permissions="Futures")
    assert Account(DEMO_CREDENTIALS).permissions == frozenset({"General", "Futures"})
