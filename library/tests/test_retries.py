"""Retries, fresh signatures per attempt, clock sync, and sync/async parity, through a real
`futures_client` talking to a scripted KuCoin (httpx.MockTransport). No real sleeping: the
clients' `sleep` is replaced by a recorder."""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kucoin_futures import (
    AuthenticationError,
    Clock,
    Credentials,
    FuturesClient,
    InvalidParameterError,
    KucoinError,
    MarginModeOutcome,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
    acalibrate_clock,
    aset_margin_mode,
    calibrate_clock,
    futures_client,
    set_margin_mode,
)
from kucoin_futures_auth import Verified, signing_path, verify_request

from .conftest import BATCH_PATH as POST_PATH
from .conftest import SERVER_TIME_PATH as TIME_PATH

LOCAL_NOW_S = 1_729_260_000.0
FAST = RetryPolicy(max_attempts=4, max_elapsed_s=60.0, base_delay_s=0.001, max_delay_s=0.002)

Reply = Callable[[httpx.Request], httpx.Response]


def ok(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    data = {"marginMode": dict.fromkeys(body["symbols"], body["marginMode"]), "errors": []}
    return httpx.Response(200, content=json.dumps({"code": "200000", "data": data}).encode())


def status(code: int, body: bytes, headers: dict[str, str] | None = None) -> Reply:
    return lambda _request: httpx.Response(code, content=body, headers=headers)


def kucoin(http_status: int, code: str, headers: dict[str, str] | None = None) -> Reply:
    return status(http_status, json.dumps({"code": code, "msg": "m"}).encode(), headers)


def raising(kind: type[httpx.TransportError]) -> Reply:
    def reply(request: httpx.Request) -> httpx.Response:
        raise kind("simulated", request=request)

    return reply


class ScriptedKucoin:
    """Answers POSTs from a script (the last reply repeats) and the server time endpoint;
    snapshots the headers of every request, since httpx re-sends the same Request object."""

    def __init__(self, *script: Reply, server_ms: int | None = None) -> None:
        self.script = list(script)
        self.server_ms = server_ms
        self.posts: list[dict[str, str]] = []
        self.time_requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TIME_PATH:
            self.time_requests.append(dict(request.headers))
            body = {"code": "200000", "data": self.server_ms}
            return httpx.Response(200, content=json.dumps(body, separators=(",", ":")).encode())
        self.posts.append(dict(request.headers))
        reply = self.script[min(len(self.posts), len(self.script)) - 1]
        return reply(request)


class Rig:
    """A futures_client wired to a ScriptedKucoin, with recorded sleeps."""

    def __init__(
        self,
        server: ScriptedKucoin,
        *,
        retry: RetryPolicy | None = FAST,
        clock: Clock | None = None,
    ) -> None:
        self.server = server
        self.credentials = Credentials(
            "rig-key", secrets.token_urlsafe(24), secrets.token_urlsafe(12)
        )
        self.clock = clock if clock is not None else Clock(time_fn=lambda: LOCAL_NOW_S)
        self.sleeps: list[float] = []
        self.client: FuturesClient = futures_client(
            self.credentials,
            base_url="https://kucoin.test",
            retry=retry,
            clock=self.clock,
            httpx_args={"transport": httpx.MockTransport(server)},
        )
        self.client.get_httpx_client().sleep = self.sleeps.append  # type: ignore[attr-defined]

        async def record(seconds: float) -> None:
            self.sleeps.append(seconds)

        self.client.get_async_httpx_client().sleep = record  # type: ignore[attr-defined]


def advancing_clock(step_s: float = 1.0) -> Clock:
    ticks = itertools.count()
    return Clock(time_fn=lambda: LOCAL_NOW_S + next(ticks) * step_s)


def test_retries_until_success_and_signs_each_attempt_afresh() -> None:
    server = ScriptedKucoin(
        status(502, b"<html>502 Bad Gateway</html>"),
        kucoin(500, "500000"),
        raising(httpx.ReadTimeout),
        ok,
    )
    rig = Rig(server, clock=advancing_clock())
    outcome = set_margin_mode(rig.client, "ISOLATED", ["XBTUSDTM", "ETHUSDTM"])
    assert outcome.all_switched
    assert len(server.posts) == 4
    assert len(rig.sleeps) == 3
    timestamps = [headers["kc-api-timestamp"] for headers in server.posts]
    signatures = [headers["kc-api-sign"] for headers in server.posts]
    assert len(set(timestamps)) == 4
    assert len(set(signatures)) == 4
    body = b'{"marginMode":"ISOLATED","symbols":["XBTUSDTM","ETHUSDTM"]}'
    for headers in server.posts:
        # Each attempt's signature is valid for its own timestamp and the exact body.
        verdict = verify_request(
            httpx.Headers(headers),
            "POST",
            signing_path(POST_PATH),
            body,
            lookup={rig.credentials.key: rig.credentials}.get,
            now_ms=int(headers["kc-api-timestamp"]),
        )
        assert isinstance(verdict, Verified)


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    server = ScriptedKucoin(kucoin(503, "503000"))
    rig = Rig(server, retry=RetryPolicy(max_attempts=3, base_delay_s=0.001))
    with pytest.raises(ServerError) as info:
        set_margin_mode(rig.client, "CROSS", ["XBTUSDTM"])
    assert info.value.status == 503
    assert len(server.posts) == 3
    assert len(rig.sleeps) == 2


def test_retry_none_sends_once() -> None:
    server = ScriptedKucoin(kucoin(503, "503000"), ok)
    rig = Rig(server, retry=None)
    with pytest.raises(ServerError):
        set_margin_mode(rig.client, "CROSS", ["XBTUSDTM"])
    assert len(server.posts) == 1
    assert rig.sleeps == []


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (kucoin(401, "400005"), AuthenticationError),
        (kucoin(401, "400004"), AuthenticationError),
        (kucoin(400, "400100"), InvalidParameterError),
        (kucoin(200, "300000"), InvalidParameterError),
    ],
)
def test_auth_and_parameter_errors_are_never_retried(
    reply: Reply, expected: type[KucoinError]
) -> None:
    server = ScriptedKucoin(reply, ok)
    rig = Rig(server)
    with pytest.raises(expected):
        set_margin_mode(rig.client, "CROSS", ["XBTUSDTM"])
    assert len(server.posts) == 1
    assert rig.sleeps == []


def test_rate_limit_waits_for_the_reset_the_reply_gives() -> None:
    headers = {
        "gw-ratelimit-limit": "2000",
        "gw-ratelimit-remaining": "0",
        "gw-ratelimit-reset": "1234",
    }
    server = ScriptedKucoin(kucoin(429, "429000", headers), ok)
    rig = Rig(server, retry=RetryPolicy(base_delay_s=0.01, max_elapsed_s=60))
    assert set_margin_mode(rig.client, "CROSS", ["XBTUSDTM"]).all_switched
    assert len(rig.sleeps) == 1
    assert 1.234 <= rig.sleeps[0] < 1.244


def test_rate_limit_longer_than_the_budget_raises_with_the_reset() -> None:
    headers = {"gw-ratelimit-reset": "30000"}
    server = ScriptedKucoin(kucoin(429, "429000", headers), ok)
    rig = Rig(server, retry=RetryPolicy(max_elapsed_s=10))
    with pytest.raises(RateLimitError) as info:
        set_margin_mode(rig.client, "CROSS", ["XBTUSDTM"])
    assert info.value.rate_limit.reset_ms == 30000
    assert len(server.posts) == 1


def test_total_time_budget_stops_retries() -> None:
    server = ScriptedKucoin(raising(httpx.ConnectError))
    rig = Rig(server, retry=RetryPolicy(max_attempts=100, max_elapsed_s=10, base_delay_s=0.001))
    elapsed = itertools.count(step=4)  # every look at the clock is 4 s later
    rig.client.get_httpx_client().monotonic = lambda: float(next(elapsed))  # type: ignore[attr-defined]
    with pytest.raises(TransportError) as info:
        set_margin_mode(rig.client, "CROSS", ["XBTUSDTM"])
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert 1 < len(server.posts) < 5


def test_streamed_requests_are_mapped_too() -> None:
    rig = Rig(ScriptedKucoin(kucoin(401, "400005")))
    http = rig.client.get_httpx_client()
    with pytest.raises(AuthenticationError), http.stream("POST", POST_PATH, content=b"{}"):
        pass


# --- clock sync ---------------------------------------------------------------------------


def skew_checking(server_ms: int) -> Reply:
    """400002 unless the request's timestamp is within KuCoin's 5 s of server time."""

    def reply(request: httpx.Request) -> httpx.Response:
        if abs(int(request.headers["kc-api-timestamp"]) - server_ms) > 5000:
            return kucoin(401, "400002")(request)
        return ok(request)

    return reply


@pytest.mark.parametrize("retry", [FAST, None])
def test_clock_skew_is_measured_once_and_the_call_retried(retry: RetryPolicy | None) -> None:
    server_ms = int(LOCAL_NOW_S * 1000) + 60_000  # KuCoin is a minute ahead of us
    server = ScriptedKucoin(skew_checking(server_ms), server_ms=server_ms)
    rig = Rig(server, retry=retry)
    assert set_margin_mode(rig.client, "ISOLATED", ["XBTUSDTM"]).all_switched
    assert rig.clock.offset_ms == 60_000
    assert len(server.time_requests) == 1
    assert not any(name.startswith("kc-api") for name in server.time_requests[0])
    assert [h["kc-api-timestamp"] for h in server.posts] == [
        str(int(LOCAL_NOW_S * 1000)),
        str(server_ms),
    ]
    assert rig.sleeps == []


def test_clock_sync_retries_once_not_more() -> None:
    server = ScriptedKucoin(kucoin(401, "400002"), server_ms=int(LOCAL_NOW_S * 1000))
    rig = Rig(server)
    with pytest.raises(AuthenticationError) as info:
        set_margin_mode(rig.client, "ISOLATED", ["XBTUSDTM"])
    assert info.value.code == "400002"
    assert len(server.posts) == 2
    assert len(server.time_requests) == 1


def test_a_failed_clock_sync_raises_the_skew_error_chained() -> None:
    def time_endpoint_down(request: httpx.Request) -> httpx.Response:
        if request.url.path == TIME_PATH:
            return httpx.Response(500, content=b'{"code":"500000","msg":"down"}')
        return kucoin(401, "400002")(request)

    rig = Rig(ScriptedKucoin())
    rig.client = futures_client(
        rig.credentials,
        base_url="https://kucoin.test",
        retry=FAST,
        httpx_args={"transport": httpx.MockTransport(time_endpoint_down)},
    )
    rig.client.get_httpx_client().sleep = rig.sleeps.append  # type: ignore[attr-defined]
    with pytest.raises(AuthenticationError) as info:
        set_margin_mode(rig.client, "ISOLATED", ["XBTUSDTM"])
    assert isinstance(info.value.__cause__, ServerError)


def test_clock_sync_can_be_switched_off() -> None:
    server = ScriptedKucoin(kucoin(401, "400002"), server_ms=0)
    client = futures_client(
        Credentials("k", secrets.token_urlsafe(), secrets.token_urlsafe()),
        base_url="https://kucoin.test",
        clock_sync=False,
        httpx_args={"transport": httpx.MockTransport(server)},
    )
    with pytest.raises(AuthenticationError):
        set_margin_mode(client, "ISOLATED", ["XBTUSDTM"])
    assert (len(server.posts), len(server.time_requests)) == (1, 0)


def test_explicit_calibration_sync() -> None:
    server = ScriptedKucoin(server_ms=int(LOCAL_NOW_S * 1000) - 2500)
    rig = Rig(server)
    assert calibrate_clock(rig.client) == -2500
    assert rig.clock.offset_ms == -2500
    assert rig.clock.now_ms() == int(LOCAL_NOW_S * 1000) - 2500
    assert not any(name.startswith("kc-api") for name in server.time_requests[0])


def test_calibration_uses_the_middle_of_the_round_trip() -> None:
    server = ScriptedKucoin(server_ms=int(LOCAL_NOW_S * 1000) + 10_000)
    rig = Rig(server, clock=advancing_clock(step_s=0.2))  # before t, after t + 0.2 s
    assert calibrate_clock(rig.client) == 10_000 - 100


@pytest.mark.anyio
async def test_explicit_calibration_async() -> None:
    server = ScriptedKucoin(server_ms=int(LOCAL_NOW_S * 1000) + 777)
    rig = Rig(server)
    assert await acalibrate_clock(rig.client) == 777
    assert rig.clock.offset_ms == 777


# --- sync / async parity --------------------------------------------------------------------

SCENARIOS: dict[str, list[Reply]] = {
    "success": [ok],
    "server error then success": [kucoin(503, "503000"), ok],
    "html 502 then success": [status(502, b"<html>bad gateway</html>"), ok],
    "always failing": [kucoin(500, "500000")],
    "rate limited then success": [kucoin(429, "429000", {"gw-ratelimit-reset": "3"}), ok],
    "bad signature": [kucoin(401, "400005")],
    "clock skew": [skew_checking(int(LOCAL_NOW_S * 1000) + 9000)],
    "reset connection then success": [raising(httpx.RemoteProtocolError), ok],
    "timeouts": [raising(httpx.ConnectTimeout)],
    "cut-off body then success": [status(200, b'{"code":"200000","data":{"marginMode":'), ok],
    "business error": [kucoin(200, "300000")],
    "partial failure": [
        status(
            200,
            b'{"code":"200000","data":{"marginMode":{"XBTUSDTM":"CROSS","ETHUSDTM":"ISOLATED"},'
            b'"errors":[{"code":"50002","msg":"exist.order.or.position","symbol":"XBTUSDTM"}]}}',
        )
    ],
}


def summary(result: MarginModeOutcome | KucoinError, rig: Rig) -> dict[str, Any]:
    if isinstance(result, KucoinError):
        shown: Any = (type(result).__name__, getattr(result, "code", None), str(result))
    else:
        shown = (dict(result.switched), dict(result.failed), result.missing)
    return {
        "result": shown,
        "posts": len(rig.server.posts),
        "time requests": len(rig.server.time_requests),
        "sleeps": len(rig.sleeps),
        "offset": rig.clock.offset_ms,
    }


def scenario_rig(name: str) -> Rig:
    server_ms = int(LOCAL_NOW_S * 1000) + 9000
    return Rig(
        ScriptedKucoin(*SCENARIOS[name], server_ms=server_ms),
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.001, random=lambda: 0.5),
    )


def run_sync(name: str) -> dict[str, Any]:
    rig = scenario_rig(name)
    try:
        result: MarginModeOutcome | KucoinError = set_margin_mode(
            rig.client, "ISOLATED", ["XBTUSDTM", "ETHUSDTM"]
        )
    except KucoinError as exc:
        result = exc
    return summary(result, rig)


async def run_async(name: str) -> dict[str, Any]:
    rig = scenario_rig(name)
    try:
        result: MarginModeOutcome | KucoinError = await aset_margin_mode(
            rig.client, "ISOLATED", ["XBTUSDTM", "ETHUSDTM"]
        )
    except KucoinError as exc:
        result = exc
    return summary(result, rig)


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_sync_and_async_behave_the_same(scenario: str) -> None:
    assert run_sync(scenario) == await run_async(scenario)


def test_parity_scenarios_cover_success_and_failure() -> None:
    results = [run_sync(name)["result"] for name in SCENARIOS]
    assert any(isinstance(r[0], dict) and r[0] for r in results)
    assert any(isinstance(r[0], str) for r in results)


# --- logging --------------------------------------------------------------------------------


def test_debug_logs_method_path_status_attempt_and_latency(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="kucoin_futures")
    rig = Rig(ScriptedKucoin(kucoin(503, "503000"), ok))
    set_margin_mode(rig.client, "CROSS", ["XBTUSDTM"])
    ours = [r for r in caplog.records if r.name.startswith("kucoin_futures")]
    assert {r.name for r in ours} == {"kucoin_futures.http"}
    lines = [r.getMessage() for r in ours]
    assert re.fullmatch(rf"POST {POST_PATH} -> 503 \(attempt 1, \d+\.\d ms\)", lines[0])
    assert lines[1].startswith("retrying in 0.00")
    assert "after attempt 1: ServerError (HTTP 503, code 503000)" in lines[1]
    assert re.fullmatch(rf"POST {POST_PATH} -> 200 \(attempt 2, \d+\.\d ms\)", lines[2])
    assert [r.levelname for r in ours] == ["DEBUG", "INFO", "DEBUG"]


def test_a_plain_success_logs_nothing_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kucoin_futures")
    rig = Rig(ScriptedKucoin(ok))
    set_margin_mode(rig.client, "CROSS", ["XBTUSDTM"])
    assert not [r for r in caplog.records if r.name.startswith("kucoin_futures")]
