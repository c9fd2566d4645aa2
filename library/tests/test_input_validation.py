"""Bad input is a clear InvalidInputError, raised before anything is sent (sync and async)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kucoin_futures import (
    ConfigurationError,
    Credentials,
    FuturesClient,
    InvalidInputError,
    KucoinError,
    aget_margin_modes,
    apply_margin_modes,
    aset_margin_mode,
    futures_client,
    get_margin_modes,
    margin_mode_request,
    set_margin_mode,
)
from kucoin_futures._margin import check_symbols
from kucoin_futures_client.models import MarginMode

from .conftest import answering


def refusing_client() -> FuturesClient:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"nothing should be sent, got {request.method} {request.url}")

    return answering(handler)


BAD_INPUT: list[tuple[Any, Any, str]] = [
    ("isolated", ["XBTUSDTM"], r"ISOLATED or CROSS \(upper case\), got 'isolated'"),
    ("Cross", ["XBTUSDTM"], "got 'Cross'"),
    ("", ["XBTUSDTM"], "got ''"),
    (" ISOLATED", ["XBTUSDTM"], "got ' ISOLATED'"),
    ("PORTFOLIO", ["XBTUSDTM"], "ISOLATED or CROSS"),
    (None, ["XBTUSDTM"], "got None"),
    (1, ["XBTUSDTM"], "got 1"),
    ("ISOLATED", [], "at least one"),
    ("ISOLATED", (), "at least one"),
    ("ISOLATED", "XBTUSDTM", "not a single string"),
    ("ISOLATED", b"XBTUSDTM", "not a single string"),
    ("ISOLATED", None, "must be a list of symbols, got NoneType"),
    ("ISOLATED", 5, "must be a list of symbols, got int"),
    ("ISOLATED", ["XBTUSDTM", 7], r"symbols\[1\] must be a string, got int"),
    ("ISOLATED", [None], r"symbols\[0\] must be a string, got NoneType"),
    ("ISOLATED", [""], r"symbols\[0\].*got ''"),
    ("ISOLATED", ["   "], r"symbols\[0\].*got '   '"),
    ("ISOLATED", ["XBTUSDTM", " ETHUSDTM"], r"symbols\[1\].*without spaces"),
    ("ISOLATED", ["ETH USDTM"], r"symbols\[0\].*without spaces"),
    ("ISOLATED", ["ETH\tUSDTM"], r"symbols\[0\].*without spaces"),
    ("ISOLATED", ["ETH\x1bUSDTM"], r"symbols\[0\].*without control characters"),
    ("ISOLATED", ["ETH\u202eUSDTM"], r"symbols\[0\].*without control characters"),
    ("ISOLATED", ["A", "B", "A", "C", "B"], "unique; repeated: A, B$"),
    ("ISOLATED", ["XBTUSDTM", "XBT\ud800"], r"symbols\[1\] is not valid text"),
]


@pytest.mark.parametrize(("mode", "symbols", "message"), BAD_INPUT)
def test_bad_input_is_refused_before_sending(mode: Any, symbols: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        set_margin_mode(refusing_client(), mode, symbols)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, KucoinError)


@pytest.mark.anyio
@pytest.mark.parametrize(("mode", "symbols", "message"), BAD_INPUT)
async def test_bad_input_is_refused_before_sending_async(
    mode: Any, symbols: Any, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await aset_margin_mode(refusing_client(), mode, symbols)


READ_BAD_INPUT = [(symbols, message) for mode, symbols, message in BAD_INPUT if mode == "ISOLATED"]


@pytest.mark.parametrize(("symbols", "message"), READ_BAD_INPUT)
def test_bad_symbols_are_refused_before_reading(symbols: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        get_margin_modes(refusing_client(), symbols)


@pytest.mark.anyio
@pytest.mark.parametrize(("symbols", "message"), READ_BAD_INPUT)
async def test_bad_symbols_are_refused_before_reading_async(symbols: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await aget_margin_modes(refusing_client(), symbols)


@pytest.mark.parametrize("deadline_s", ["10", -1, float("nan"), float("inf"), 1e10, True])
def test_an_absurd_read_deadline_is_refused_before_reading(deadline_s: Any) -> None:
    with pytest.raises(InvalidInputError, match="deadline_s must be a number of seconds"):
        get_margin_modes(refusing_client(), ["XBTUSDTM"], deadline_s=deadline_s)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (None, "targets must map"),
        (["XBTUSDTM"], "targets must map"),
        ({}, "targets must map"),
        ({7: "CROSS"}, r"symbols\[0\] must be a string, got int"),
        ({"XBTUSDTM": None}, "ISOLATED or CROSS"),
    ],
)
def test_bad_targets_are_refused_before_reading(targets: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        apply_margin_modes(refusing_client(), targets)


def test_many_duplicates_are_named_briefly() -> None:
    symbols = [f"S{i}" for i in range(10)] * 2
    with pytest.raises(InvalidInputError, match=r"repeated: S0, S1, S2, S3, S4, \.\.\.$"):
        margin_mode_request("CROSS", symbols)


@pytest.mark.parametrize("mode", ["ISOLATED", "CROSS", MarginMode.ISOLATED, MarginMode.CROSS])
def test_good_input_builds_the_request(mode: MarginMode | str) -> None:
    request = margin_mode_request(mode, iter(["XBTUSDTM", "ETHUSDTM"]))
    assert request.to_dict() == {"marginMode": str(mode), "symbols": ["XBTUSDTM", "ETHUSDTM"]}
    assert type(request.margin_mode) is MarginMode


def test_a_client_not_made_by_futures_client_is_refused() -> None:
    from kucoin_futures_client import Client

    with pytest.raises(ConfigurationError, match="futures_client"):
        set_margin_mode(Client(base_url="https://kucoin.test"), "CROSS", ["XBTUSDTM"])


@pytest.mark.parametrize("url", ["api-futures.kucoin.com", "ftp://host", "http://"])
def test_bad_base_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="absolute http"):
        futures_client(
            Credentials("k", secrets.token_urlsafe(), secrets.token_urlsafe()), base_url=url
        )


def test_every_public_name_resolves() -> None:
    import kucoin_futures

    for name in kucoin_futures.__all__:
        assert getattr(kucoin_futures, name) is not None
    assert set(kucoin_futures.__all__) <= set(dir(kucoin_futures))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        kucoin_futures.nope  # type: ignore[attr-defined]  # noqa: B018


@settings(max_examples=300, derandomize=True, database=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.sampled_from("AB1 \t\u2003\x1f,é"), max_size=4),
            st.integers(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_c_level_pass_and_the_walk_agree(symbols: list[object]) -> None:
    # The oracle: the module's rules, one symbol at a time.
    valid = all(
        isinstance(s, str) and s.split() == [s] and s.isprintable() for s in symbols
    ) and len(set(symbols)) == len(symbols)
    if valid:
        check_symbols(symbols)
    else:
        with pytest.raises(InvalidInputError):
            check_symbols(symbols)
