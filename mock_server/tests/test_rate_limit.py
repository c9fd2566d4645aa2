"""Rate limits like KuCoin: gw-ratelimit-* on every reply, 429 `429000` past the quota."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from kucoin_futures_auth import Credentials
from kucoin_futures_mock import DEMO_CREDENTIALS, Account, MockKucoin

from .conftest import BATCH, RATE_LIMIT_HEADERS, Caller


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def ms(self) -> int:
        return int(self.now * 1000)


def limits(response: httpx.Response) -> tuple[int, int, int]:
    limit, remaining, reset = (int(response.headers[name]) for name in RATE_LIMIT_HEADERS)
    return limit, remaining, reset


def test_defaults_are_kucoins_futures_pool() -> None:
    mock = MockKucoin()
    assert (mock.quota, mock.window_s, mock.weight) == (2000, 30.0, 2)


def test_each_call_costs_its_weight_and_reset_counts_down(
    make_caller: Callable[..., Caller],
) -> None:
    clock = FakeClock()
    caller = make_caller(MockKucoin(clock=clock))
    assert limits(caller.switch("CROSS", ["ETHUSDTM"], timestamp_ms=clock.ms())) == (
        2000,
        1998,
        30000,
    )
    clock.now += 12.3456
    assert limits(caller.switch("CROSS", ["ETHUSDTM"], timestamp_ms=clock.ms())) == (
        2000,
        1996,
        17655,  # 17.6544 s left, rounded up to whole ms
    )


def test_past_the_quota_the_reply_is_429000_until_the_window_resets(
    make_caller: Callable[..., Caller],
) -> None:
    clock = FakeClock()
    mock = MockKucoin(quota=6, window_s=10.0, clock=clock)
    caller = make_caller(mock)
    statuses = [
        caller.switch("ISOLATED", ["ETHUSDTM"], timestamp_ms=clock.ms()).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 200]
    clock.now += 4.0
    refused = caller.switch("CROSS", ["ETHUSDTM"], timestamp_ms=clock.ms())
    assert refused.status_code == 429
    assert refused.json() == {"code": "429000", "msg": "Too Many Requests"}
    assert limits(refused) == (6, 0, 6000)
    assert mock.mode_of("ETHUSDTM") == "ISOLATED", "a refused call changes nothing"

    clock.now += 6.0
    again = caller.switch("CROSS", ["ETHUSDTM"], timestamp_ms=clock.ms())
    assert again.status_code == 200
    assert limits(again) == (6, 4, 10000)


def test_reset_rate_limits_starts_fresh_windows(make_caller: Callable[..., Caller]) -> None:
    mock = MockKucoin(quota=2)
    caller = make_caller(mock)
    assert caller.switch("CROSS", ["ETHUSDTM"]).status_code == 200
    assert caller.switch("CROSS", ["ETHUSDTM"]).status_code == 429
    assert mock.quota_remaining() == 0
    mock.reset_rate_limits()
    assert mock.quota_remaining() == 2
    assert caller.switch("CROSS", ["ETHUSDTM"]).status_code == 200


def test_each_account_has_its_own_pool(make_caller: Callable[..., Caller]) -> None:
    other = Credentials("second-key", "second-secret", "second-passphrase")
    mock = MockKucoin([Account(DEMO_CREDENTIALS), Account(other)], quota=2)
    caller = make_caller(mock)
    assert caller.switch("CROSS", ["ETHUSDTM"]).status_code == 200
    assert caller.switch("CROSS", ["ETHUSDTM"]).status_code == 429
    assert caller.switch("CROSS", ["ETHUSDTM"], credentials=other).status_code == 200


def test_unattributed_requests_use_the_clients_public_pool(
    make_caller: Callable[..., Caller],
) -> None:
    mock = MockKucoin(quota=4)
    caller = make_caller(mock)
    assert limits(caller.server_time()) == (4, 2, 30000)
    assert caller.request("GET", "/api/v1/nowhere", credentials=None).status_code == 404
    assert caller.server_time().status_code == 429
    assert caller.request("POST", BATCH, b"{}", credentials=None).status_code == 429
    assert mock.quota_remaining() == 4, "the account's pool is untouched"
    assert caller.switch("CROSS", ["ETHUSDTM"]).status_code == 200


def test_every_kind_of_reply_carries_the_headers(make_caller: Callable[..., Caller]) -> None:
    spot = Credentials("spot-key", "spot-secret", "spot-passphrase")
    caller = make_caller(MockKucoin([Account(DEMO_CREDENTIALS), Account(spot, permissions=[])]))
    replies = [
        caller.switch("ISOLATED", ["ETHUSDTM"]),
        caller.switch("ISOLATED", []),
        caller.switch("ISOLATED", ["ETHUSDTM"], credentials=spot),
        caller.switch("ISOLATED", ["ETHUSDTM"], headers={"KC-API-SIGN": "x"}),
        caller.server_time(),
        caller.request("GET", BATCH, credentials=None),
        caller.request("GET", "/api/v1/position", credentials=None),
    ]
    assert [r.status_code for r in replies] == [200, 400, 401, 401, 200, 405, 404]
    for reply in replies:
        assert all(reply.headers[name].isdigit() for name in RATE_LIMIT_HEADERS)
