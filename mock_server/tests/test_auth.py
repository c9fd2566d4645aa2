"""Authentication as KuCoin's gateway does it: each failure's code with HTTP 401."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

import httpx
import pytest

from kucoin_futures_auth import Credentials, KucoinAuth
from kucoin_futures_auth.verify import VerificationFailure, Verified
from kucoin_futures_mock import DEMO_CREDENTIALS, Account, MockKucoin, serve_in_thread

from .conftest import BATCH, Caller, signed_headers, switch_body

GOOD = switch_body("ISOLATED", ["ETHUSDTM"])


def refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401
    assert response.json()["code"] == code


def test_a_correctly_signed_request_is_accepted(caller: Caller) -> None:
    response = caller.switch("ISOLATED", ["ETHUSDTM"])
    assert response.status_code == 200
    assert response.json()["code"] == "200000"


@pytest.mark.parametrize(
    "header",
    ["KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE", "KC-API-KEY-VERSION"],
)
def test_each_missing_header_is_400001(caller: Caller, header: str) -> None:
    headers = signed_headers(DEMO_CREDENTIALS, "POST", BATCH, GOOD)
    del headers[header]
    response = caller.request("POST", BATCH, GOOD, credentials=None, headers=headers)
    refused(response, "400001")
    assert header in response.json()["msg"]


def test_an_unsigned_request_is_400001(caller: Caller) -> None:
    refused(caller.request("POST", BATCH, GOOD, credentials=None), "400001")


@pytest.mark.parametrize("offset_ms", [-6000, 6000, 60_000])
def test_a_timestamp_more_than_5s_away_is_400002(caller: Caller, offset_ms: int) -> None:
    stamp = int(time.time() * 1000) + offset_ms
    refused(caller.switch("ISOLATED", ["ETHUSDTM"], timestamp_ms=stamp), "400002")


def test_the_5s_window_is_measured_on_the_server_clock(make_caller: Callable[..., Caller]) -> None:
    frozen_s = 1_700_000_000.0
    caller = make_caller(MockKucoin(clock=lambda: frozen_s))
    at_edge = caller.switch("CROSS", ["ETHUSDTM"], timestamp_ms=int(frozen_s * 1000) - 5000)
    assert at_edge.status_code == 200
    past = caller.switch("CROSS", ["ETHUSDTM"], timestamp_ms=int(frozen_s * 1000) - 5001)
    refused(past, "400002")


def test_an_unknown_key_is_400003(caller: Caller) -> None:
    stranger = Credentials("unknown-key", DEMO_CREDENTIALS.secret, DEMO_CREDENTIALS.passphrase)
    refused(caller.switch("ISOLATED", ["ETHUSDTM"], credentials=stranger), "400003")


def test_a_wrong_passphrase_is_400004(caller: Caller) -> None:
    wrong = Credentials(DEMO_CREDENTIALS.key, DEMO_CREDENTIALS.secret, "not-the-passphrase")
    refused(caller.switch("ISOLATED", ["ETHUSDTM"], credentials=wrong), "400004")


def test_a_wrong_secret_is_400004_because_the_passphrase_is_signed_with_it(
    caller: Caller,
) -> None:
    wrong = Credentials(DEMO_CREDENTIALS.key, "other-secret", DEMO_CREDENTIALS.passphrase)
    refused(caller.switch("ISOLATED", ["ETHUSDTM"], credentials=wrong), "400004")


def test_a_signature_over_other_bytes_is_400005(caller: Caller) -> None:
    # Signing a re-serialised copy of the body is the classic bug: spaces change the bytes.
    sent = b'{"marginMode": "ISOLATED", "symbols": ["ETHUSDTM"]}'
    headers = signed_headers(DEMO_CREDENTIALS, "POST", BATCH, GOOD)
    refused(caller.request("POST", BATCH, sent, credentials=None, headers=headers), "400005")


def test_a_signature_for_another_path_is_400005(caller: Caller) -> None:
    headers = signed_headers(DEMO_CREDENTIALS, "POST", "/api/v2/position/changeMarginMode", GOOD)
    refused(caller.request("POST", BATCH, GOOD, credentials=None, headers=headers), "400005")


@pytest.mark.parametrize("version", ["2", "1", "4", "x"])
def test_a_key_version_other_than_the_keys_is_400009(caller: Caller, version: str) -> None:
    response = caller.switch("ISOLATED", ["ETHUSDTM"], headers={"KC-API-KEY-VERSION": version})
    refused(response, "400009")


def test_a_version_2_key_is_accepted_with_version_2(make_caller: Callable[..., Caller]) -> None:
    v2 = Credentials("v2-key", "v2-secret", "v2-passphrase", key_version=2)
    caller = make_caller(MockKucoin([Account(v2)]))
    assert caller.switch("ISOLATED", ["ETHUSDTM"], credentials=v2).status_code == 200


def test_a_key_without_futures_permission_is_400007(make_caller: Callable[..., Caller]) -> None:
    spot_only = Credentials("spot-key", "spot-secret", "spot-passphrase")
    mock = MockKucoin([Account(DEMO_CREDENTIALS), Account(spot_only, permissions={"General"})])
    caller = make_caller(mock)
    refused(caller.switch("ISOLATED", ["ETHUSDTM"], credentials=spot_only), "400007")
    assert mock.mode_of("ETHUSDTM", key="spot-key") == "CROSS"


def test_the_public_timestamp_endpoint_needs_no_signature(caller: Caller) -> None:
    response = caller.server_time()
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("KC-API-TIMESTAMP", "400002"),
        ("KC-API-KEY", "400003"),
        ("KC-API-PASSPHRASE", "400004"),
        ("KC-API-SIGN", "400005"),
        ("KC-API-KEY-VERSION", "400009"),
    ],
)
def test_non_ascii_header_values_get_the_headers_code_not_a_500(
    caller: Caller, header: str, code: str
) -> None:
    # "²" passes str.isdigit() but not int(); "é" breaks hmac.compare_digest on str.
    value = "\u00b2" if header == "KC-API-TIMESTAMP" else "\u00e9"
    response = caller.switch("ISOLATED", ["ETHUSDTM"], headers={header: value.encode("latin-1")})
    refused(response, code)


def test_a_verifier_that_crashes_gives_401_not_500(make_caller: Callable[..., Caller]) -> None:
    def broken(headers: Mapping[str, str], *args: object, **kwargs: object) -> Verified:
        raise ValueError("bug in the verifier")

    caller = make_caller(verify=broken)
    refused(caller.switch("ISOLATED", ["ETHUSDTM"]), "400001")


def test_an_injected_verifier_replaces_the_signature_check(
    make_caller: Callable[..., Caller],
) -> None:
    calls: list[str] = []

    def accept_any(
        headers: Mapping[str, str],
        method: str,
        path_with_query: str,
        body: bytes,
        *,
        lookup: Callable[[str], Credentials | None],
        now_ms: int,
    ) -> Verified | VerificationFailure:
        calls.append(path_with_query)
        credentials = lookup(headers.get("KC-API-KEY", ""))
        return (
            VerificationFailure("400003", "nope") if credentials is None else Verified(credentials)
        )

    caller = make_caller(verify=accept_any)
    response = caller.switch("ISOLATED", ["ETHUSDTM"], headers={"KC-API-SIGN": "garbage"})
    assert response.status_code == 200
    assert calls == [BATCH]


def test_the_signed_path_is_the_decoded_path_with_query(caller: Caller) -> None:
    # KuCoin signs the URL before percent-encoding; the mock must verify the same form.
    target = BATCH + "?note=a%20b%21&x=1+2"
    response = caller.request("POST", target, GOOD)
    assert response.status_code == 200
    assert caller.request("POST", target, GOOD, headers={}).status_code == 200


def test_any_correct_client_is_accepted_whatever_extra_headers_it_sends(
    http_client: Callable[..., httpx.Client],
) -> None:
    broker = Credentials(
        DEMO_CREDENTIALS.key,
        DEMO_CREDENTIALS.secret,
        DEMO_CREDENTIALS.passphrase,
        partner="some-partner",
        broker_name="some-broker",
        broker_key="some-broker-key",
    )
    with serve_in_thread() as running:
        client = http_client(running.base_url, broker)
        client.headers.update(
            {
                "User-Agent": "my-trading-bot/1.0",
                "Accept": "application/json, */*",
                "Accept-Encoding": "gzip, deflate, br",
                "X-Request-Id": "42",
            }
        )
        response = client.post(BATCH, json={"marginMode": "ISOLATED", "symbols": ["ETHUSDTM"]})
        assert response.status_code == 200
        sent = running.mock.recent_requests[-1].headers
        assert sent["kc-api-partner"] == "some-partner"
        assert sent["user-agent"] == "my-trading-bot/1.0"


def test_failed_authentication_does_not_use_the_accounts_quota(caller: Caller) -> None:
    wrong = Credentials(DEMO_CREDENTIALS.key, DEMO_CREDENTIALS.secret, "wrong")
    mock: MockKucoin = caller.app.state.mock
    for _ in range(3):
        refused(caller.switch("ISOLATED", ["ETHUSDTM"], credentials=wrong), "400004")
    assert mock.quota_remaining() == mock.quota
    assert caller.switch("ISOLATED", ["ETHUSDTM"]).headers["gw-ratelimit-remaining"] == str(
        mock.quota - mock.weight
    )


def test_kucoin_auth_over_real_http_is_accepted(http_client: Callable[..., httpx.Client]) -> None:
    with serve_in_thread() as running:
        client = http_client(running.base_url, running.credentials)
        assert isinstance(client.auth, KucoinAuth)
        response = client.post(BATCH, content=GOOD, headers={"Content-Type": "application/json"})
        assert json.loads(response.content)["code"] == "200000"
