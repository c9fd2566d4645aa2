"""The pieces the schemathesis runs are built from: configuration, signing, symbol picking."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

import attrs
import httpx
import pytest
import requests
from schemathesis import GenerationMode

from kucoin_futures_auth import Clock, Credentials, KucoinAuth, signing_path
from kucoin_futures_auth.verify import REQUIRED_HEADERS, Verified, verify_request
from kucoin_futures_mock import DEMO_CREDENTIALS, create_app

from ._auth import GeneratedRequestSigner, KucoinRequestsAuth
from ._mocks import fresh_mock
from ._stateful import (
    BATCH_OPERATION,
    READ_OPERATION,
    SWITCH_OPERATION,
    catalogue_mapping,
    consistency_for,
    floor_message,
    read_after_switch,
)
from ._stateful_leverage import (
    CHANGE_OPERATION,
    LEVERAGE_READ_OPERATION,
    leverage_consistency_for,
    read_after_leverage_change,
)
from ._suite import (
    PROJECT_ROOT,
    configured_junit_path,
    enforced_warnings,
    leverage_in_range,
    load_config,
    load_settings,
    pick_symbols,
    restrict_symbols,
    run_settings,
    run_suite,
)
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


def test_configuration_file_bounds_and_fixes_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert phases.stateful.generation.max_examples == 30
    # ignored_auth confirms each signed operation in the examples phase only.
    for phase in ("coverage", "fuzzing", "stateful"):
        assert not phases.get_by_name(name=phase).checks.ignored_auth.enabled, phase
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert configured_junit_path() == PROJECT_ROOT / "build" / "contract-junit.xml"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert configured_junit_path() == PROJECT_ROOT / "build" / "contract-junit-gw1.xml"


def test_configuration_file_enables_exactly_the_contract_checks() -> None:
    checks = load_config().projects.get_default().checks
    enabled = {name for name in ALL_CHECKS if checks.get_by_name(name=name).enabled}
    assert enabled == CONFIGURED_CHECKS
    # Only 200 for a valid signed request: 401/403 would let an unsigned run pass.
    assert checks.positive_data_acceptance.expected_statuses == ["200"]
    assert checks.negative_data_rejection.expected_statuses == ["400", "401", "429"]
    assert checks.missing_required_header.expected_statuses == ["401"]
    assert checks.custom_kwargs["read_after_switch"] == {"min_pairs": 30}
    assert checks.custom_kwargs["read_after_leverage_change"] == {"min_pairs": 10}


def test_every_warning_the_file_fails_on_is_enforced_by_an_enabled_check() -> None:
    settings = load_settings()
    assert enforced_warnings(settings) == {
        "missing_auth": "positive_data_acceptance",
        "rate_limited": "not_rate_limited",
    }
    unknown = {**settings, "warnings": {"fail-on": ["missing_test_data"]}}
    with pytest.raises(ValueError, match="'missing_test_data', which the suite's runs cannot"):
        enforced_warnings(unknown)
    checks = {**settings["checks"], "not_rate_limited": {"enabled": False}}
    with pytest.raises(ValueError, match="its check not_rate_limited is not enabled"):
        enforced_warnings({**settings, "checks": checks})


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


# ---- read_after_switch, fed by hand -----------------------------------------------------


@attrs.frozen
class _Operation:
    label: str


@attrs.frozen
class _Case:
    operation: _Operation
    body: object = None
    query: dict[str, object] | None = None
    id: str = "case"


@attrs.frozen
class _Response:
    status_code: int
    content: bytes


def _feed(check: read_after_switch, case: _Case, status: int, reply: object) -> None:
    check.after_response(None, _Response(status, json.dumps(reply).encode()), case)


def _read(check: read_after_switch, symbol: str, mode: str, case_id: str = "r") -> None:
    reply = {"code": "200000", "data": {"symbol": symbol, "marginMode": mode}}
    case = _Case(_Operation(READ_OPERATION), query={"symbol": symbol}, id=case_id)
    _feed(check, case, 200, reply)


def _single(symbol: str, mode: str) -> _Case:
    return _Case(_Operation(SWITCH_OPERATION), {"symbol": symbol, "marginMode": mode})


def _batch(symbols: list[str], mode: str) -> _Case:
    return _Case(_Operation(BATCH_OPERATION), {"marginMode": mode, "symbols": symbols})


def test_a_read_must_show_what_the_last_successful_switch_reported() -> None:
    with consistency_for(stateful=True) as tally:
        check = read_after_switch(min_pairs=2)
    tally.in_stateful = True  # as the run sets it while its state machine runs
    ok = {"code": "200000", "data": {"symbol": "ETHUSDTM", "marginMode": "ISOLATED"}}
    _feed(check, _single("ETHUSDTM", "ISOLATED"), 200, ok)
    _read(check, "ETHUSDTM", "ISOLATED", "r1")
    _read(check, "ETHUSDTM", "isolated", "r2")  # spelling is the schema check's business
    with pytest.raises(AssertionError, match="returned CROSS"):
        _read(check, "ETHUSDTM", "CROSS", "r3")
    assert tally.pairs == 3
    assert floor_message(tally, 2) is None
    tally.in_stateful = False
    _read(check, "ETHUSDTM", "ISOLATED", "r4")  # another phase: reported, not counted
    assert tally.pairs == 3
    assert len(tally.other_pairs) == 1


def test_business_errors_and_listed_errors_are_no_successful_switch() -> None:
    with consistency_for(stateful=True):
        check = read_after_switch()
    _feed(
        check,
        _batch(["ETHUSDTM"], "ISOLATED"),
        200,
        {"code": "200000", "data": {"marginMode": {"ETHUSDTM": "ISOLATED"}, "errors": []}},
    )
    _feed(check, _single("ETHUSDTM", "CROSS"), 200, {"code": "50002", "msg": "busy"})
    batch_reply = {
        "code": "200000",
        "data": {
            "marginMode": {"ETHUSDTM": "CROSS"},
            "errors": [{"code": "50002", "msg": "busy", "symbol": "ETHUSDTM"}],
        },
    }
    _feed(check, _batch(["ETHUSDTM"], "CROSS"), 200, batch_reply)
    _feed(check, _single("ETHUSDTM", "CROSS"), 429, {"code": "429000", "msg": "slow"})
    _read(check, "ETHUSDTM", "ISOLATED")  # the first switch still holds


def test_an_unknown_outcome_forgets_the_symbol() -> None:
    with consistency_for(stateful=True) as tally:
        check = read_after_switch()
    ok = {"code": "200000", "data": {"symbol": "ETHUSDTM", "marginMode": "ISOLATED"}}
    _feed(check, _single("ETHUSDTM", "ISOLATED"), 200, ok)
    _feed(check, _single("ETHUSDTM", "CROSS"), 503, {"code": "503000", "msg": "down"})
    _read(check, "ETHUSDTM", "CROSS")
    assert tally.pairs == 0


def test_a_read_of_200003_after_a_switch_is_a_mismatch() -> None:
    with consistency_for(stateful=True):
        check = read_after_switch()
    ok = {"code": "200000", "data": {"symbol": "ETHUSDTM", "marginMode": "ISOLATED"}}
    _feed(check, _single("ETHUSDTM", "ISOLATED"), 200, ok)
    case = _Case(_Operation(READ_OPERATION), query={"symbol": "ETHUSDTM"})
    with pytest.raises(AssertionError, match="not a contract"):
        _feed(check, case, 200, {"code": "200003", "msg": "The symbol parameter is invalid"})


def test_the_floor_fails_a_run_with_too_few_pairs_unless_there_is_no_stateful_phase() -> None:
    with consistency_for(stateful=True) as tally:
        read_after_switch(min_pairs=1)
    assert "compared 0 read-after-switch pairs" in (floor_message(tally, 1) or "")
    with consistency_for(stateful=False) as tally:
        assert floor_message(tally, 1) is None


# ---- read_after_leverage_change, fed by hand ----------------------------------------------


def _change(symbol: str, leverage: str) -> _Case:
    return _Case(_Operation(CHANGE_OPERATION), {"symbol": symbol, "leverage": leverage})


def _read_leverage(
    check: read_after_leverage_change, symbol: str, leverage: str, case_id: str = "r"
) -> None:
    reply = {"code": "200000", "data": {"symbol": symbol, "leverage": leverage}}
    case = _Case(_Operation(LEVERAGE_READ_OPERATION), query={"symbol": symbol}, id=case_id)
    check.after_response(None, _Response(200, json.dumps(reply).encode()), case)


def _changed(check: read_after_leverage_change, case: _Case, status: int, reply: object) -> None:
    check.after_response(None, _Response(status, json.dumps(reply).encode()), case)


def test_a_leverage_read_must_show_what_the_last_successful_change_sent() -> None:
    with leverage_consistency_for(stateful=True) as tally:
        check = read_after_leverage_change(min_pairs=2)
    tally.in_stateful = True
    _changed(check, _change("ETHUSDTM", "2.50"), 200, {"code": "200000", "data": True})
    _read_leverage(check, "ETHUSDTM", "2.5", "r1")  # the same number
    with pytest.raises(AssertionError, match=r"returned 5, but .* sent leverage 2\.50"):
        _read_leverage(check, "ETHUSDTM", "5", "r2")
    assert tally.pairs == 2
    assert floor_message(tally, 3) is not None
    assert "read-after-leverage-change" in (floor_message(tally, 3) or "")


def test_a_refused_or_failed_leverage_change_keeps_the_model_and_an_unknown_one_forgets() -> None:
    with leverage_consistency_for(stateful=True) as tally:
        check = read_after_leverage_change()
    _changed(check, _change("ETHUSDTM", "3"), 200, {"code": "200000", "data": True})
    _changed(check, _change("ETHUSDTM", "900"), 200, {"code": "100001", "msg": "range"})
    _changed(check, _change("ETHUSDTM", "7"), 400, {"code": "400100", "msg": "bad"})
    _changed(check, _change("ETHUSDTM", "8"), 429, {"code": "429000", "msg": "slow"})
    _read_leverage(check, "ETHUSDTM", "3")  # the first change still holds
    _changed(check, _change("ETHUSDTM", "4"), 200, {"code": "200000", "data": False})
    _read_leverage(check, "ETHUSDTM", "9", "r2")  # data false: unknown, forgotten
    _changed(check, _change("SOLUSDTM", "4"), 503, {"code": "503000", "msg": "down"})
    _read_leverage(check, "SOLUSDTM", "9", "r3")
    assert len(tally.other_pairs) == 1
    case = _Case(_Operation(LEVERAGE_READ_OPERATION), query={"symbol": "ETHUSDTM"})
    _changed(check, _change("ETHUSDTM", "6"), 200, {"code": "200000", "data": True})
    with pytest.raises(AssertionError, match="not a contract"):
        _changed(check, case, 200, {"code": "200003", "msg": "The symbol parameter is invalid"})


def test_an_invalid_leverage_change_the_server_accepted_is_no_known_leverage() -> None:
    with leverage_consistency_for(stateful=True) as tally:
        check = read_after_leverage_change()
    body = {"symbol": "ETHUSDTM", "leverage": "3", "extra": 1}
    case = _Case(_Operation(CHANGE_OPERATION), body)
    _changed(check, case, 200, {"code": "200000", "data": True})
    _read_leverage(check, "ETHUSDTM", "9")
    assert not tally.other_pairs and not tally.stateful_pairs


def test_stateful_leverages_come_into_the_range_every_contract_accepts() -> None:
    for generated, expected in (("0", "1"), ("1234.56", "19.56"), ("19", "1"), ("5", "6")):
        body: dict[str, object] = {"symbol": "XBTUSDTM", "leverage": generated}
        leverage_in_range(body)
        assert body == {"symbol": "XBTUSDTM", "leverage": expected}
    for untouched in ({"leverage": 3}, {"leverage": "x"}, {"symbol": "XBTUSDTM"}, ["5"]):
        before = json.dumps(untouched)
        leverage_in_range(untouched)
        assert json.dumps(untouched) == before


def test_catalogue_mapping_is_injective_and_keeps_catalogue_symbols() -> None:
    catalogue = ("XBTUSDTM", "ETHUSDTM", "SOLUSDTM")
    mapping = catalogue_mapping(["a", "ETHUSDTM", "b", "a", "c", "d"], catalogue)
    assert mapping["ETHUSDTM"] == "ETHUSDTM"
    mapped = [mapping[value] for value in ("a", "b")]
    assert set(mapped) == {"XBTUSDTM", "SOLUSDTM"}
    assert "c" not in mapping and "d" not in mapping  # no free symbol left: kept as is
    assert catalogue_mapping(["a"], catalogue) == catalogue_mapping(["a"], catalogue)


def test_restricting_symbols_goes_by_field_not_by_operation() -> None:
    allowed = ("SOLUSDTM", "ADAUSDTM")
    batch: dict[str, object] = {"marginMode": "CROSS", "symbols": ["a", "b", "c"]}
    restrict_symbols(batch, allowed)
    assert batch["symbols"] == pick_symbols(3, allowed)
    # Any operation with a symbol field, e.g. a leverage change the spec may add.
    leverage: dict[str, object] = {"symbol": "NOTALLOWED", "leverage": "3"}
    restrict_symbols(leverage, allowed)
    assert leverage["symbol"] in allowed and leverage["leverage"] == "3"
    listed: dict[str, object] = {"symbol": "ADAUSDTM"}
    restrict_symbols(listed, allowed)
    assert listed == {"symbol": "ADAUSDTM"}


def test_a_run_derives_its_settings_without_touching_the_file() -> None:
    settings = {"generation": {"mode": "all"}, "phases": {"stateful": {"max-steps": 10}}}
    derived = run_settings(
        settings, base_url="http://127.0.0.1:1", positive_only=True, phases=["stateful"]
    )
    assert derived["base-url"] == "http://127.0.0.1:1"
    assert derived["generation"]["mode"] == "positive"
    assert derived["phases"]["stateful"] == {"max-steps": 10, "enabled": True}
    assert derived["phases"]["examples"] == {"enabled": False}
    assert settings == {"generation": {"mode": "all"}, "phases": {"stateful": {"max-steps": 10}}}
    with pytest.raises(ValueError, match="unknown phases"):
        run_settings(settings, base_url=None, positive_only=False, phases=["stateful_testing"])


def test_a_run_is_one_process_whatever_pytest_addopts_asks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A run's outcome is collected in this process: xdist workers would take its tests away.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-n 2")
    result = run_suite(DEMO_CREDENTIALS, app=create_app(fresh_mock()), phases=["examples"])
    assert result.passed, result.summary()
    assert result.cases_by_phase.get("examples", 0) > 0, result.summary()
    assert os.environ["PYTEST_ADDOPTS"] == "-n 2"
