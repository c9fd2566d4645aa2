"""Cross-margin leverage: the read and the change, their choices, validation, shared state,
rate limit, faults, the admin API and real clients' requests.

Every reply of `Caller` is checked against openapi.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from kucoin_futures_auth import Credentials
from kucoin_futures_mock import DEMO_CREDENTIALS, SYMBOLS, Account, MockKucoin, serve_in_thread
from kucoin_futures_mock._spec import LEVERAGE_CHANGE_PATH as CHANGE
from kucoin_futures_mock._spec import LEVERAGE_READ_PATH as READ_LEVERAGE

from .conftest import Caller

UNKNOWN = b'{"code":"200003","msg":"The symbol parameter is invalid"}'
DONE = b'{"code":"200000","data":true}'
OTHER = Credentials("second-key", "second-secret", "second-passphrase")


def change_body(symbol: str, leverage: object) -> bytes:
    return json.dumps({"symbol": symbol, "leverage": leverage}, separators=(",", ":")).encode()


def change(caller: Caller, symbol: str, leverage: object, **options: Any) -> httpx.Response:
    return caller.request("POST", CHANGE, change_body(symbol, leverage), **options)


def read(caller: Caller, symbol: str, **options: Any) -> httpx.Response:
    options.setdefault("content_type", None)
    return caller.request("GET", f"{READ_LEVERAGE}?{urlencode({'symbol': symbol})}", **options)


def fresh(make_caller: Callable[..., Caller], **options: Any) -> tuple[MockKucoin, Caller]:
    mock = MockKucoin(**options)
    return mock, make_caller(mock)


def _examples(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    content = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


# ---- the documented replies and the default ------------------------------------------------


def test_the_read_and_the_change_reproduce_the_documented_replies(
    make_caller: Callable[..., Caller], spec: dict[str, Any]
) -> None:
    mock, caller = fresh(make_caller)
    mock.set_leverage("XBTUSDTM", 3)
    response = read(caller, "XBTUSDTM")
    assert response.json() == _examples(spec, READ_LEVERAGE, "get")["documented"]
    assert response.content == b'{"code":"200000","data":{"symbol":"XBTUSDTM","leverage":"3"}}'
    documented = spec["paths"][CHANGE]["post"]["requestBody"]["content"]["application/json"]
    body = json.dumps(documented["examples"]["documented"]["value"], separators=(",", ":"))
    response = caller.request("POST", CHANGE, body.encode())
    assert response.json() == _examples(spec, CHANGE, "post")["documented"]
    assert response.content == DONE
    assert mock.leverage_of("XBTUSDTM") == "10"


def test_every_symbol_starts_at_5_and_accepts_1_to_20_read_back(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    assert mock.leverages() == dict.fromkeys(SYMBOLS, "5")
    for symbol in SYMBOLS:
        assert mock.max_leverage(symbol) >= 20
        for leverage in ("1", "20"):
            assert change(caller, symbol, leverage).content == DONE
            assert read(caller, symbol).json()["data"] == {"symbol": symbol, "leverage": leverage}


@pytest.mark.parametrize(
    ("sent", "kept"), [("2.50", "2.5"), ("10.00", "10"), ("007", "7"), ("1.05", "1.05")]
)
def test_a_leverage_is_kept_in_kucoins_form(
    make_caller: Callable[..., Caller], sent: str, kept: str
) -> None:
    mock, caller = fresh(make_caller)
    assert change(caller, "ETHUSDTM", sent).content == DONE
    assert (
        read(caller, "ETHUSDTM").json()["data"]["leverage"] == kept == mock.leverage_of("ETHUSDTM")
    )


# ---- the choices ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "leverage"),
    [("XBTUSDTM", "126"), ("LTCUSDTM", "51"), ("ETHUSDTM", "0.99"), ("ETHUSDTM", "0")],
)
def test_outside_the_symbols_range_is_100001_and_changes_nothing(
    make_caller: Callable[..., Caller], symbol: str, leverage: str
) -> None:
    mock, caller = fresh(make_caller)
    response = change(caller, symbol, leverage)
    assert response.status_code == 200
    maximum = mock.max_leverage(symbol)
    assert response.json() == {
        "code": "100001",
        "msg": f"leverage: must be from 1 to {maximum} for {symbol}",
    }
    assert mock.leverage_of(symbol) == "5"


def test_the_maxima_are_the_documented_ones() -> None:
    mock = MockKucoin()
    assert mock.max_leverage("XBTUSDTM") == 125
    assert mock.max_leverage("ETHUSDTM") == 100
    assert mock.max_leverage("BCHUSDTM") == 50
    assert MockKucoin(symbols=["FOOUSDTM"]).max_leverage("FOOUSDTM") == 20


def test_an_unknown_symbol_is_200003_for_both(caller: Caller) -> None:
    assert read(caller, "NOPEUSDTM").content == UNKNOWN
    assert change(caller, "NOPEUSDTM", "5").content == UNKNOWN


def test_isolated_and_busy_symbols_accept_a_leverage(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.set_mode("XBTUSDTM", "ISOLATED")
    mock.set_busy("ETHUSDTM")
    assert change(caller, "XBTUSDTM", "7").content == DONE
    assert change(caller, "ETHUSDTM", "8").content == DONE
    assert (mock.leverage_of("XBTUSDTM"), mock.mode_of("XBTUSDTM")) == ("7", "ISOLATED")
    assert (mock.leverage_of("ETHUSDTM"), mock.is_busy("ETHUSDTM")) == ("8", True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"symbol":"XBTUSDTM","leverage":10}', "leverage: must be a string"),
        (b'{"symbol":"XBTUSDTM","leverage":"abc"}', "leverage: must match"),
        (b'{"symbol":"XBTUSDTM","leverage":"12345"}', "leverage: must match"),
        (b'{"symbol":"XBTUSDTM","leverage":"2.555"}', "leverage: must match"),
        (b'{"symbol":"XBTUSDTM","leverage":"1e1"}', "leverage: must match"),
        (b'{"symbol":"XBTUSDTM","leverage":" 5"}', "leverage: must match"),
        (b'{"symbol":"XBTUSDTM"}', "missing required field 'leverage'"),
        (b'{"symbol":"XBTUSDTM","leverage":"5","x":1}', "unknown field 'x'"),
        (b'{"symbol":" ","leverage":"5"}', "symbol: must not be blank"),
        (b"not json", "not valid JSON"),
    ],
)
def test_a_body_that_breaks_the_schema_is_400100(
    make_caller: Callable[..., Caller], body: bytes, message: str
) -> None:
    mock, caller = fresh(make_caller)
    response = caller.request("POST", CHANGE, body)
    assert response.status_code == 400
    assert response.json()["code"] == "400100"
    assert message in response.json()["msg"], response.json()
    assert mock.leverages() == dict.fromkeys(SYMBOLS, "5")


def test_a_read_without_a_symbol_is_400100(caller: Caller) -> None:
    response = caller.request("GET", READ_LEVERAGE, content_type=None)
    assert (response.status_code, response.json()["code"]) == (400, "400100")


def test_a_change_needs_a_json_content_type(caller: Caller) -> None:
    response = change(caller, "XBTUSDTM", "5", content_type="text/plain")
    assert (response.status_code, response.json()["code"]) == (400, "400100")


# ---- shared state, accounts, rate limit, faults, reset ----------------------------------------


def test_leverages_are_per_account_and_apart_from_modes(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller, accounts=[Account(DEMO_CREDENTIALS), Account(OTHER)])
    assert change(caller, "XBTUSDTM", "12", credentials=OTHER).content == DONE
    assert mock.leverage_of("XBTUSDTM", key=OTHER.key) == "12"
    assert mock.leverage_of("XBTUSDTM") == "5"
    assert read(caller, "XBTUSDTM").json()["data"]["leverage"] == "5"
    assert mock.modes(key=OTHER.key) == dict.fromkeys(SYMBOLS, "CROSS")


def test_both_cost_weight_2_on_the_accounts_futures_pool(caller: Caller) -> None:
    mock: MockKucoin = caller.app.state.mock
    assert read(caller, "XBTUSDTM").headers["gw-ratelimit-remaining"] == str(mock.quota - 2)
    assert change(caller, "XBTUSDTM", "6").headers["gw-ratelimit-remaining"] == str(mock.quota - 4)
    assert mock.quota_remaining() == mock.quota - 4


def test_past_the_quota_the_change_is_429_and_changes_nothing(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller, quota=4)
    assert read(caller, "XBTUSDTM").status_code == 200
    assert change(caller, "XBTUSDTM", "6").status_code == 200
    response = change(caller, "XBTUSDTM", "7")
    assert (response.status_code, response.json()["code"]) == (429, "429000")
    assert mock.leverage_of("XBTUSDTM") == "6"


def test_a_lost_change_replies_true_and_changes_nothing(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("lost_switch", count=1)
    assert read(caller, "XBTUSDTM").status_code == 200  # reads never use it up
    assert change(caller, "XBTUSDTM", "9").content == DONE
    assert mock.leverage_of("XBTUSDTM") == "5"
    assert change(caller, "XBTUSDTM", "9").content == DONE
    assert mock.leverage_of("XBTUSDTM") == "9"


def test_reset_returns_to_the_checkpoints_leverages() -> None:
    mock = MockKucoin()
    mock.set_leverage("XBTUSDTM", "2.5")
    mock.checkpoint()
    mock.set_leverage("XBTUSDTM", 40)
    mock.set_leverage("ETHUSDTM", 3)
    mock.reset()
    assert mock.leverage_of("XBTUSDTM") == "2.5"
    assert mock.leverage_of("ETHUSDTM") == "5"


@pytest.mark.parametrize("leverage", [0, 126, "0.5", "2.555", "abc", True, 2.5, None])
def test_set_leverage_refuses_what_kucoin_would(leverage: Any) -> None:
    mock = MockKucoin()
    with pytest.raises(ValueError, match="leverage must be a number from 1 to 125 for XBTUSDTM"):
        mock.set_leverage("XBTUSDTM", leverage)
    assert mock.leverage_of("XBTUSDTM") == "5"


# ---- the admin API ------------------------------------------------------------------------


@pytest.fixture
def admin() -> Iterator[tuple[MockKucoin, httpx.Client]]:
    mock = MockKucoin()
    with serve_in_thread(mock) as running, httpx.Client(base_url=running.base_url) as client:
        yield mock, client


def test_the_admin_api_sets_and_shows_leverages(admin: tuple[MockKucoin, httpx.Client]) -> None:
    mock, client = admin
    response = client.put("/_mock/symbols/XBTUSDTM", json={"leverage": 10, "mode": "ISOLATED"})
    assert response.status_code == 200
    assert response.json() == {
        "account": DEMO_CREDENTIALS.key,
        "symbol": "XBTUSDTM",
        "mode": "ISOLATED",
        "busy": False,
        "leverage": "10",
    }
    assert client.put("/_mock/symbols/ETHUSDTM", json={"leverage": "2.50"}).status_code == 200
    state = client.get("/_mock/state").json()
    assert state["accounts"][0]["leverages"]["XBTUSDTM"] == "10"
    assert state["accounts"][0]["leverages"]["ETHUSDTM"] == "2.5"
    assert state["maxLeverage"]["XBTUSDTM"] == 125
    assert mock.leverage_of("XBTUSDTM") == "10"


@pytest.mark.parametrize("leverage", [0, 126, "abc", 2.5, True])
def test_a_bad_admin_leverage_is_400_and_changes_nothing(
    admin: tuple[MockKucoin, httpx.Client], leverage: Any
) -> None:
    mock, client = admin
    response = client.put(
        "/_mock/symbols/XBTUSDTM", json={"leverage": leverage, "mode": "ISOLATED"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("leverage: must be a number from 1 to 125")
    assert (mock.leverage_of("XBTUSDTM"), mock.mode_of("XBTUSDTM")) == ("5", "CROSS")


# ---- real clients ---------------------------------------------------------------------------


def test_version_2_keys_and_partner_headers_are_accepted(
    http_client: Callable[..., httpx.Client],
) -> None:
    v2 = Credentials("v2-key", "v2-secret", "v2-passphrase", key_version=2)
    broker = Credentials(
        DEMO_CREDENTIALS.key,
        DEMO_CREDENTIALS.secret,
        DEMO_CREDENTIALS.passphrase,
        partner="some-partner",
        broker_name="some-broker",
        broker_key="some-broker-key",
    )
    mock = MockKucoin([Account(DEMO_CREDENTIALS), Account(v2)])
    with serve_in_thread(mock) as running:
        for credentials in (v2, broker):
            client = http_client(running.base_url, credentials)
            client.headers["User-Agent"] = "my-trading-bot/1.0"
            response = client.post(CHANGE, json={"symbol": "SOLUSDTM", "leverage": "15"})
            assert response.content == DONE
            response = client.get(READ_LEVERAGE, params={"symbol": "SOLUSDTM"})
            assert response.json()["data"] == {"symbol": "SOLUSDTM", "leverage": "15"}
    assert mock.leverage_of("SOLUSDTM", key="v2-key") == "15"
    assert mock.leverage_of("SOLUSDTM") == "15"
