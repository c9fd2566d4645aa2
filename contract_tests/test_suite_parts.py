"""The pieces the schemathesis runs are built from: configuration, signing, symbol picking."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest
import requests
from schemathesis.generation import GenerationMode

from kucoin_futures_auth import Clock, Credentials, KucoinAuth, signing_path
from kucoin_futures_auth.verify import REQUIRED_HEADERS, Verified, verify_request
from kucoin_futures_mock import DEMO_CREDENTIALS

from ._auth import GeneratedRequestSigner, KucoinRequestsAuth
from ._suite import PROJECT_ROOT, configured_junit_path, load_config, pick_symbols
from .test_schemathesis_suite import CONFIGURED_CHECKS

NOW_S = 1_700_000_000.0
ALL_CHECKS = (
    *CONFIGURED_CHECKS,
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
    "unsupported_method",
    "allow_header_conformance",
)


def test_configuration_file_bounds_and_fixes_the_run() -> None:
    config = load_config()
    project = config.projects.get_default()
    generation = project.generation
    assert set(generation.modes) == {GenerationMode.POSITIVE, GenerationMode.NEGATIVE}
    assert generation.max_examples == 30
    assert generation.deterministic is True
    assert generation.database == "none"
    phases = project.phases
    assert phases.examples.enabled
    assert phases.coverage.enabled
    assert phases.fuzzing.enabled
    assert phases.stateful.enabled
    assert phases.stateful.max_steps == 10
    assert phases.stateful.generation.max_examples == 15
    assert configured_junit_path(config) == PROJECT_ROOT / "build" / "contract-junit.xml"


def test_configuration_file_enables_exactly_the_contract_checks() -> None:
    checks = load_config().projects.get_default().checks
    enabled = {name for name in ALL_CHECKS if checks.get_by_name(name=name).enabled}
    assert enabled == CONFIGURED_CHECKS
    # Only 200 for a valid signed request: 401/403 would let an unsigned run pass.
    assert checks.positive_data_acceptance.expected_statuses == ["200"]
    assert checks.negative_data_rejection.expected_statuses == ["400", "401", "429"]
    assert checks.missing_required_header.expected_statuses == ["401"]
    assert checks.custom_kwargs["read_after_switch"] == {"min_pairs": 20}


def _prepared(body: bytes | None, headers: dict[str, str]) -> requests.PreparedRequest:
    request = requests.Request(
        "POST",
        "http://mock/api/v2/position/batchChangeMarginMode",
        data=body,
        headers=headers,
    )
    return request.prepare()


PLACEHOLDERS = dict.fromkeys(REQUIRED_HEADERS, "generated")


def test_a_request_with_every_credential_header_is_signed_over_its_bytes() -> None:
    signer = GeneratedRequestSigner(DEMO_CREDENTIALS, Clock(time_fn=lambda: NOW_S))
    for body in (b'{"marginMode": "CROSS"}', b"not json at all", None):
        request = signer(_prepared(body, {**PLACEHOLDERS, "Content-Type": "application/json"}))
        verdict = verify_request(
            request.headers,
            "POST",
            signing_path(request.path_url),
            body or b"",
            lookup={DEMO_CREDENTIALS.key: DEMO_CREDENTIALS}.get,
            now_ms=int(NOW_S * 1000),
        )
        assert isinstance(verdict, Verified), body


def test_a_request_missing_a_credential_header_is_sent_as_generated() -> None:
    signer = GeneratedRequestSigner(DEMO_CREDENTIALS)
    headers = {name: value for name, value in PLACEHOLDERS.items() if name != "KC-API-SIGN"}
    request = signer(_prepared(b"{}", headers))
    assert "KC-API-SIGN" not in request.headers
    assert all(request.headers[name] == "generated" for name in headers)
    assert DEMO_CREDENTIALS.secret not in repr(signer)


def test_picked_symbols_are_distinct_allowed_and_never_none() -> None:
    allowed = ("SOLUSDTM", "ADAUSDTM", "XRPUSDTM")
    for count in range(6):
        picked = pick_symbols(count, allowed)
        assert picked
        assert len(picked) == len(set(picked)) == max(1, min(count, len(allowed)))
        assert set(picked) <= set(allowed)
    assert pick_symbols(1, allowed) != pick_symbols(2, allowed)[:1]


@pytest.mark.parametrize(
    "body",
    [None, b"", b'{"marginMode":"ISOLATED"}', "not json ü", b"\xff\xfe raw bytes"],
)
def test_requests_adapter_signs_exact_bytes_like_the_httpx_adapter(
    body: bytes | str | None,
) -> None:
    path = "/api/v2/position/batchChangeMarginMode"
    frozen_ms = 1_729_260_030_774
    credentials = Credentials("k3y", "s3cr3t", "p4ss")
    clock = Clock(time_fn=lambda: frozen_ms / 1000)
    prepared = requests.Request("POST", "https://x" + path + "?a=b c&d=%21", data=body).prepare()
    KucoinRequestsAuth(credentials, clock)(prepared)
    wire = prepared.body.encode() if isinstance(prepared.body, str) else (prepared.body or b"")
    signed = f"{frozen_ms}POST{path}?a=b c&d=!".encode() + wire
    expected = hmac.new(b"s3cr3t", signed, hashlib.sha256).digest()
    assert prepared.headers["KC-API-SIGN"] == base64.b64encode(expected).decode()

    httpx_request = httpx.Request("POST", prepared.url or "", content=wire)
    httpx_headers = KucoinAuth(credentials, clock).headers_for(httpx_request)
    assert httpx_headers["KC-API-SIGN"] == prepared.headers["KC-API-SIGN"]
    assert "s3cr3t" not in repr(KucoinRequestsAuth(credentials))
