"""The signing core and its adapters, checked against independently computed values.

Client and mock share `kucoin_headers`, so a mistake in it would be invisible to tests that
only pair the two: every expected value here is recomputed with hmac/hashlib/base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from contract_tests.operations import BATCH_PATH as PATH
from kucoin_futures_auth import (
    Clock,
    ConfigurationError,
    Credentials,
    KucoinAuth,
    kucoin_headers,
    signing_path,
)

FROZEN_MS = 1_729_260_030_774


def b64_hmac(key: str, message: str | bytes) -> str:
    data = message.encode() if isinstance(message, str) else message
    return base64.b64encode(hmac.new(key.encode(), data, hashlib.sha256).digest()).decode()


def frozen_clock(ms: int = FROZEN_MS) -> Clock:
    return Clock(time_fn=lambda: ms / 1000)


CREDS = Credentials(key="k-123", secret="s3cr3t", passphrase="pass phrase")


def test_known_answer_from_kucoin_sdk() -> None:
    # KuCoin's SDK tests: HMAC-SHA256(key="test_api_secret", "test_plain"), base64.
    # The passphrase header is exactly that HMAC, so the known answer checks our HMAC path.
    creds = Credentials(key="k", secret="test_api_secret", passphrase="test_plain")
    headers = kucoin_headers(creds, "GET", "/", b"", 0)
    assert headers["KC-API-PASSPHRASE"] == "jie/gxS38wLFFaBwl/cAzFbAzlI8MIny96jSXrB+iP4="


def test_documented_formula_recomputed_independently() -> None:
    body = b'{"marginMode":"ISOLATED","symbols":["XBTUSDTM","ETHUSDTM"]}'
    headers = kucoin_headers(CREDS, "post", PATH, body, FROZEN_MS)
    assert headers == {
        "KC-API-KEY": "k-123",
        "KC-API-SIGN": b64_hmac("s3cr3t", f"{FROZEN_MS}POST{PATH}".encode() + body),
        "KC-API-TIMESTAMP": str(FROZEN_MS),
        "KC-API-PASSPHRASE": b64_hmac("s3cr3t", "pass phrase"),
        "KC-API-KEY-VERSION": "3",
    }


def test_compact_and_spaced_json_sign_differently() -> None:
    spaced = kucoin_headers(CREDS, "POST", PATH, b'{"a": 1}', FROZEN_MS)["KC-API-SIGN"]
    compact = kucoin_headers(CREDS, "POST", PATH, b'{"a":1}', FROZEN_MS)["KC-API-SIGN"]
    assert spaced != compact


@pytest.mark.parametrize("version", [2, 3, "2", "3"])
def test_key_versions_2_and_3_are_accepted(version: int | str) -> None:
    creds = Credentials(key="k", secret="s", passphrase="p", key_version=version)
    assert kucoin_headers(creds, "GET", "/", b"", 1)["KC-API-KEY-VERSION"] == str(version)


@pytest.mark.parametrize("version", [0, 1, 4, 99])
def test_other_key_versions_are_a_clear_error(version: int) -> None:
    with pytest.raises(ConfigurationError, match=rf"key version {version}\b.*3.*2"):
        Credentials(key="k", secret="s", passphrase="p", key_version=version)


def test_passphrase_hmac_is_computed_once_per_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    creds = Credentials(key="k", secret="s", passphrase="p")
    calls: list[bytes] = []
    real_new = hmac.new

    def counting_new(key: bytes, msg: bytes | None, digestmod: str) -> hmac.HMAC:
        calls.append(msg or b"")
        return real_new(key, msg, digestmod)

    monkeypatch.setattr(hmac, "new", counting_new)
    for ts in range(3):
        kucoin_headers(creds, "GET", "/", b"", ts)
    assert b"p" not in calls  # the passphrase was signed at construction, not per call
    assert len(calls) == 3  # one HMAC per request: the request signature


def test_broker_headers_are_off_unless_broker_fields_are_given() -> None:
    assert not any(
        "PARTNER" in h or "BROKER" in h for h in kucoin_headers(CREDS, "GET", "/", b"", 1)
    )


def test_broker_headers_are_keyed_with_the_broker_key() -> None:
    creds = Credentials(
        key="k-1",
        secret="s",
        passphrase="p",
        partner="acme",
        broker_name="AcmeBot",
        broker_key="bk",
    )
    headers = kucoin_headers(creds, "GET", "/", b"", FROZEN_MS)
    assert headers["KC-API-PARTNER"] == "acme"
    assert headers["KC-BROKER-NAME"] == "AcmeBot"
    assert headers["KC-API-PARTNER-VERIFY"] == "true"
    assert headers["KC-API-PARTNER-SIGN"] == b64_hmac("bk", f"{FROZEN_MS}acmek-1")


def test_partial_broker_fields_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="broker"):
        Credentials(key="k", secret="s", passphrase="p", partner="acme")


# --- the httpx adapter -------------------------------------------------------------------


def capture_transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": "200000", "data": 0})

    return httpx.MockTransport(handler)


def test_query_is_signed_in_its_decoded_form() -> None:
    seen: list[httpx.Request] = []
    auth = KucoinAuth(CREDS, frozen_clock())
    with httpx.Client(auth=auth, transport=capture_transport(seen), base_url="https://x") as client:
        client.get("/api/v1/x", params={"passphrase": "abc!@#11", "q": "a b+c"})
    (request,) = seen
    # On the wire the query is percent-encoded...
    assert b"abc%21%40%2311" in request.url.raw_path
    # ...but KuCoin signs the URL before percent-encoding.
    signed = f"{FROZEN_MS}GET/api/v1/x?passphrase=abc!@#11&q=a b+c"
    assert request.headers["KC-API-SIGN"] == b64_hmac("s3cr3t", signed)


def test_signed_body_is_the_body_on_the_wire() -> None:
    seen: list[httpx.Request] = []
    auth = KucoinAuth(CREDS, frozen_clock())
    payload = {"marginMode": "CROSS", "symbols": ["XBTUSDTM", "ÉTHUSDTM"]}
    with httpx.Client(auth=auth, transport=capture_transport(seen), base_url="https://x") as client:
        client.post(PATH, json=payload)
    (request,) = seen
    wire = request.read()
    assert wire == json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    expected = b64_hmac("s3cr3t", f"{FROZEN_MS}POST{PATH}".encode() + wire)
    assert request.headers["KC-API-SIGN"] == expected


@pytest.mark.anyio
async def test_sync_and_async_give_identical_headers() -> None:
    sync_seen: list[httpx.Request] = []
    async_seen: list[httpx.Request] = []
    auth = KucoinAuth(CREDS, frozen_clock())
    body = b'{"marginMode":"ISOLATED","symbols":["XBTUSDTM"]}'
    with httpx.Client(auth=auth, transport=capture_transport(sync_seen)) as client:
        client.post("https://x" + PATH, content=body)
    async with httpx.AsyncClient(auth=auth, transport=capture_transport(async_seen)) as aclient:
        await aclient.post("https://x" + PATH, content=body)
    kc = [
        {k: v for k, v in r.headers.items() if k.startswith("kc-")} for r in sync_seen + async_seen
    ]
    assert len(kc[0]) == 5
    assert kc[0] == kc[1]


def test_each_send_gets_a_fresh_timestamp_and_signature() -> None:
    # The same Request object re-sent (as a retry does): headers are snapshotted per send,
    # because the auth flow rewrites them on the one object.
    sent: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(dict(request.headers))
        return httpx.Response(200)

    ticks = iter(range(1_700_000_000_000, 1_700_000_000_000 + 10_000, 1000))
    auth = KucoinAuth(CREDS, Clock(time_fn=lambda: next(ticks) / 1000))
    with httpx.Client(auth=auth, transport=httpx.MockTransport(handler)) as client:
        request = client.build_request("POST", "https://x" + PATH, content=b"{}")
        client.send(request)
        client.send(request)
    assert sent[0]["kc-api-timestamp"] != sent[1]["kc-api-timestamp"]
    assert sent[0]["kc-api-sign"] != sent[1]["kc-api-sign"]
    for headers in sent:
        ts = headers["kc-api-timestamp"]
        assert headers["kc-api-sign"] == b64_hmac("s3cr3t", f"{ts}POST{PATH}{{}}")


def test_clock_offset_moves_the_timestamp() -> None:
    clock = frozen_clock()
    clock.offset_ms = -2500
    headers = KucoinAuth(CREDS, clock).headers_for(httpx.Request("GET", "https://x/"))
    assert headers["KC-API-TIMESTAMP"] == str(FROZEN_MS - 2500)


@pytest.mark.parametrize(
    ("raw", "signed"),
    [
        ("/api/v1/x", "/api/v1/x"),
        ("/api/v1/x?", "/api/v1/x"),
        ("/a%20b/c?d=e%26f&g=h+i", "/a b/c?d=e&f&g=h i"),
        ("/x?q=%E2%82%AC", "/x?q=€"),
    ],
)
def test_signing_path_decodes_what_clients_encode(raw: str, signed: str) -> None:
    assert signing_path(raw) == signed
