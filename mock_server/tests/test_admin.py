"""The admin API (`/_mock/`), as a test suite in another language would drive it: plain
HTTP to a mock bound to every interface (0.0.0.0), with traffic sent to loopback only.

Every reply is checked against the admin API's own OpenAPI document, shipped in the
package; signed KuCoin calls (to see a change take effect) go to 127.0.0.1 only.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from kucoin_futures_auth import Credentials, KucoinAuth
from kucoin_futures_mock import Account, MockKucoin, RunningMock, serve_in_thread
from kucoin_futures_mock._cli import build_mock, build_parser

from .conftest import BATCH, SPEC_FILE, TIMESTAMP, ReplyChecker

ADMIN_DOCUMENT: dict[str, Any] = yaml.safe_load(
    (importlib.resources.files("kucoin_futures_mock") / "admin-openapi.yaml").read_bytes()
)
# The mock listens on every interface, as a CI service does; tests only ever connect to
# loopback addresses.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - bound on purpose, never connected to
OTHER = Credentials("second-key", "second-secret", "second-passphrase", key_version=3)
_URI = "urn:mock-tests:admin-openapi"
_REGISTRY: Registry[Any] = Registry().with_resource(
    _URI, Resource.from_contents(ADMIN_DOCUMENT, default_specification=DRAFT202012)
)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def conforms(response: httpx.Response) -> Any:
    """The reply's JSON, after checking status and body against the admin document."""
    request = response.request
    path = request.url.path
    template = "/_mock/symbols/{symbol}" if path.startswith("/_mock/symbols/") else path
    operation = ADMIN_DOCUMENT["paths"][template][request.method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{request.method} {path}: {status} undocumented"
    assert response.headers["content-type"] == "application/json"
    pointer = f"/paths/{_escape(template)}/{request.method.lower()}/responses/{status}"
    reply = operation["responses"][status]
    if "$ref" in reply:
        pointer = reply["$ref"].removeprefix("#")
    pointer += "/content/application~1json/schema"
    document = response.json()
    validator = Draft202012Validator({"$ref": f"{_URI}#{pointer}"}, registry=_REGISTRY)
    problems = [error.message for error in validator.iter_errors(document)]
    assert not problems, f"{request.method} {path} {status}: {problems}"
    return document


def loopback_url(running: RunningMock) -> str:
    """The served mock's address with its wildcard host replaced by 127.0.0.1."""
    assert running.base_url.startswith(f"http://{ALL_INTERFACES}:"), "bound to every interface"
    return running.base_url.replace(ALL_INTERFACES, "127.0.0.1", 1)


@pytest.fixture(scope="module")
def served_module() -> Iterator[tuple[MockKucoin, httpx.Client]]:
    # One server for the module (starting and stopping one took about 0.6 s a test).
    mock = MockKucoin()
    mock.add_account(Account(OTHER))
    mock.checkpoint()
    MODULE_START.clear()
    MODULE_START.update(mock.snapshot())
    with (
        serve_in_thread(mock, host=ALL_INTERFACES) as running,
        httpx.Client(base_url=loopback_url(running), timeout=10.0) as admin,
    ):
        yield mock, admin


MODULE_START: dict[str, Any] = {}


@pytest.fixture
def served(
    served_module: tuple[MockKucoin, httpx.Client],
) -> Iterator[tuple[MockKucoin, httpx.Client]]:
    """A mock with two accounts on 0.0.0.0, and a plain (unsigned) client to 127.0.0.1,
    fresh for each test: the module's server, reset to its starting state."""
    mock, admin = served_module
    recent_limit = mock.recent_limit
    mock.reset()
    # No test may leave a state that reset() keeps (a checkpoint, an account, a setting).
    assert mock.snapshot() == MODULE_START, "a test changed what reset() returns to"
    yield mock, admin
    mock.recent_limit = recent_limit
    mock.reset()


def signed(admin: httpx.Client, credentials: Credentials = OTHER) -> httpx.Client:
    """A signed KuCoin client to the same loopback address (closed by the caller)."""
    return httpx.Client(base_url=admin.base_url, auth=KucoinAuth(credentials), timeout=10.0)


# ---- the document --------------------------------------------------------------------


def test_the_document_is_valid_openapi_and_served_as_shipped(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    _, admin = served
    validate_openapi(ADMIN_DOCUMENT)
    response = admin.get("/_mock/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/yaml"
    packaged = importlib.resources.files("kucoin_futures_mock") / "admin-openapi.yaml"
    assert response.content == packaged.read_bytes()


def test_the_document_describes_exactly_the_routes_served(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    _, admin = served
    for template, operations in ADMIN_DOCUMENT["paths"].items():
        path = template.replace("{symbol}", "ETHUSDTM")
        for method in ("GET", "PUT", "POST", "DELETE", "PATCH"):
            response = admin.request(method, path, json={} if method in ("PUT", "POST") else None)
            if method.lower() in operations:
                assert response.status_code not in (404, 405), f"{method} {template}"
            else:
                assert response.status_code == 405, f"{method} {template}"
                assert set(response.headers["allow"].split(", ")) == {m.upper() for m in operations}
                assert "not allowed" in response.json()["error"]


def test_the_admin_api_is_not_in_the_kucoin_spec() -> None:
    spec = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    assert not [path for path in spec["paths"] if path.startswith("/_mock")]
    assert "/_mock/" not in SPEC_FILE.read_text(encoding="utf-8")


def test_an_unknown_admin_path_is_an_admin_404(served: tuple[MockKucoin, httpx.Client]) -> None:
    _, admin = served
    for path in ("/_mock/", "/_mock/nope", "/_mock/symbols/", "/_mock/symbols/A/B"):
        response = admin.get(path)
        assert response.status_code == 404
        assert "no admin route" in response.json()["error"]


# ---- GET /_mock/state ------------------------------------------------------------------


def test_state_shows_accounts_modes_busy_faults_and_rate_limit_usage(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    mock, admin = served
    mock.set_mode("ETHUSDTM", "ISOLATED", key=OTHER.key)
    mock.set_busy("XBTUSDTM")
    mock.inject("http_503", count=2)
    with signed(admin) as kucoin:
        kucoin.get(TIMESTAMP)  # public pool of 127.0.0.1
        assert kucoin.post(BATCH, json={"marginMode": "CROSS", "symbols": []}).status_code == 503
    state = conforms(admin.get("/_mock/state"))
    default, other = state["accounts"]
    assert (default["key"], default["default"], other["key"], other["default"]) == (
        mock.default_account.key,
        True,
        OTHER.key,
        False,
    )
    assert default["busy"] == ["XBTUSDTM"] and other["busy"] == []
    assert other["modes"]["ETHUSDTM"] == "ISOLATED" and default["modes"]["ETHUSDTM"] == "CROSS"
    assert state["symbols"] == list(mock.symbols)
    assert state["faults"] == [{"kind": "http_503", "count": 1, "rate": None}]
    pools = {(p["pool"], p["owner"]): p for p in state["rateLimit"]["pools"]}
    assert pools[("futures", OTHER.key)]["used"] == 2
    assert pools[("futures", OTHER.key)]["remaining"] == 1998
    assert pools[("public", "127.0.0.1")]["used"] == 2
    assert state["requests"] == {"seen": 2, "byStatus": {"200": 1, "503": 1}, "kept": 2,
                                 "keptLimit": 100}  # fmt: skip
    text = admin.get("/_mock/state").text
    for secret in (OTHER.secret, OTHER.passphrase, mock.default_account.credentials.secret):
        assert secret not in text


def test_admin_requests_are_not_recorded_charged_or_faulted(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    mock, admin = served
    mock.inject("http_503")  # every signed request, until cleared
    mock.inject("latency", ms=5000)  # would stall every KuCoin route
    for _ in range(5):
        assert admin.get("/_mock/state", timeout=2.0).status_code == 200
    assert mock.requests_seen == 0
    assert mock.snapshot()["rateLimit"]["pools"] == []
    assert [rule.count for rule in mock.active_faults] == [None, None]


# ---- PUT /_mock/symbols/{symbol} --------------------------------------------------------


def test_put_symbol_sets_mode_and_busy_and_the_kucoin_routes_see_it(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    mock, admin = served
    reply = conforms(admin.put("/_mock/symbols/XBTUSDTM", json={"busy": True}))
    assert reply == {"account": mock.default_account.key, "symbol": "XBTUSDTM",
                     "mode": "CROSS", "busy": True, "leverage": "5"}  # fmt: skip
    reply = conforms(
        admin.put(
            "/_mock/symbols/ETHUSDTM",
            params={"account": OTHER.key},
            json={"mode": "ISOLATED", "busy": True},
        )
    )
    assert reply == {"account": OTHER.key, "symbol": "ETHUSDTM", "mode": "ISOLATED",
                     "busy": True, "leverage": "5"}  # fmt: skip
    assert mock.is_busy("XBTUSDTM") and not mock.is_busy("XBTUSDTM", key=OTHER.key)
    assert mock.mode_of("ETHUSDTM") == "CROSS"
    with signed(admin) as kucoin:
        body = {"marginMode": "CROSS", "symbols": ["ETHUSDTM", "SOLUSDTM"]}
        data = kucoin.post(BATCH, json=body).json()["data"]
    assert data["errors"] == [{"code": "50002", "msg": "exist.order.or.position",
                               "symbol": "ETHUSDTM"}]  # fmt: skip
    assert data["marginMode"] == {"ETHUSDTM": "ISOLATED", "SOLUSDTM": "CROSS"}
    conforms(admin.put("/_mock/symbols/XBTUSDTM", json={"busy": False}))
    conforms(admin.put("/_mock/symbols/XBTUSDTM", json={}))
    assert not mock.is_busy("XBTUSDTM")


@pytest.mark.parametrize(
    ("target", "body", "error"),
    [
        ("/_mock/symbols/NOPEUSDTM", b'{"busy": true}', "symbol 'NOPEUSDTM' is not in the"),
        ("/_mock/symbols/ETHUSDTM", b'{"mode": "PORTFOLIO"}',
         "mode: must be one of ISOLATED, CROSS, not 'PORTFOLIO'"),
        ("/_mock/symbols/ETHUSDTM", b'{"mode": "isolated"}', "mode: must be one of"),
        ("/_mock/symbols/ETHUSDTM", b'{"mode": ["CROSS"]}', "mode: must be one of"),
        ("/_mock/symbols/ETHUSDTM", b'{"mode": "CROSS", "busy": "yes"}',
         "busy: must be true or false, not 'yes'"),
        ("/_mock/symbols/ETHUSDTM", b'{"mode": "CROSS", "busy": 1}', "busy: must be true or"),
        ("/_mock/symbols/ETHUSDTM", b'{"mode": "CROSS", "bizzy": true}',
         "body: unknown field 'bizzy' (allowed: busy, leverage, mode)"),
        ("/_mock/symbols/ETHUSDTM", b'["busy"]', "body: must be a JSON object"),
        ("/_mock/symbols/ETHUSDTM", b"", "body: not JSON"),
        ("/_mock/symbols/ETHUSDTM", b"busy=true", "body: not JSON"),
        ("/_mock/symbols/ETHUSDTM", b'{"busy": NaN}', "body: NaN is not JSON"),
        ("/_mock/symbols/ETHUSDTM", b"[" * 20_000, "body: nested too deeply"),
        ("/_mock/symbols/ETHUSDTM", b"\xff\xfe\xfd", "body: not JSON"),
        ("/_mock/symbols/ETHUSDTM", b'{"busy": true}' + b" " * (64 * 1024), "larger than 64 KiB"),
        ("/_mock/symbols/ETHUSDTM?account=nobody", b'{"busy": true}',
         "account: no account with the API key 'nobody'"),
        ("/_mock/symbols/ETHUSDTM?acount=x", b'{"busy": true}',
         "unknown query parameter 'acount' (allowed: account)"),
        ("/_mock/symbols/ETHUSDTM?account=a&account=b", b'{"busy": true}', "given twice"),
        ("/_mock/symbols/ETHUSDTM", b'{"leverage": 5, "leverage": 7}',
         "body: member 'leverage' is repeated"),
        ("/_mock/symbols/ETHUSDTM", b'{"leverage": null}', "leverage: must not be null"),
        ("/_mock/symbols/ETHUSDTM", b'{"mode": null, "busy": true}', "mode: must not be null"),
    ],
)  # fmt: skip
def test_bad_symbol_input_is_a_400_naming_the_problem_and_changes_nothing(
    served: tuple[MockKucoin, httpx.Client], target: str, body: bytes, error: str
) -> None:
    mock, admin = served
    before = mock.snapshot()
    response = admin.put(target, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    message = conforms(response)["error"]
    assert error in message
    assert len(message) < 200, "echoed input is bounded"
    assert mock.snapshot() == before


# ---- POST and DELETE /_mock/faults -----------------------------------------------------


def test_post_faults_arms_a_counted_fault_that_the_kucoin_routes_meet(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    _, admin = served
    reply = conforms(admin.post("/_mock/faults", json={"kind": "http_503", "count": 2}))
    assert reply == {"faults": [{"kind": "http_503", "count": 2, "rate": None}]}
    with signed(admin) as kucoin:
        body = {"marginMode": "ISOLATED", "symbols": ["ETHUSDTM"]}
        statuses = [kucoin.post(BATCH, json=body).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert conforms(admin.get("/_mock/state"))["faults"] == []


def test_post_faults_takes_rate_and_the_kinds_parameters(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    mock, admin = served
    conforms(admin.post("/_mock/faults", json={"kind": "latency", "rate": 0.25, "ms": 7}))
    conforms(
        admin.post(
            "/_mock/faults",
            json={"kind": "business_error", "count": 1, "code": "100001", "msg": "invalid"},
        )
    )
    reply = conforms(admin.post("/_mock/faults", json={"kind": "clock_skew", "ms": -3000}))
    assert reply["faults"] == [
        {"kind": "latency", "count": None, "rate": 0.25, "ms": 7},
        {"kind": "business_error", "count": 1, "rate": None, "code": "100001", "msg": "invalid"},
        {"kind": "clock_skew", "count": None, "rate": None, "ms": -3000},
    ]
    with signed(admin) as kucoin:
        reply_time = kucoin.get(TIMESTAMP).json()["data"]
        assert abs(reply_time - (mock.now_ms() - 3000)) < 2000
    assert conforms(admin.delete("/_mock/faults")) == {"faults": []}
    assert mock.active_faults == ()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b'{"kind": "meteor"}', {"kind": "meteor"}),
        (b'{"kind": "http_503", "count": 0}', {"kind": "http_503", "count": 0}),
        (b'{"kind": "http_503", "count": 1, "rate": 0.5}',
         {"kind": "http_503", "count": 1, "rate": 0.5}),
        (b'{"kind": "http_503", "rate": 2}', {"kind": "http_503", "rate": 2}),
        (b'{"kind": "http_503", "ms": 5}', {"kind": "http_503", "ms": 5}),
        (b'{"kind": "latency", "ms": -1}', {"kind": "latency", "ms": -1}),
        (b'{"kind": "business_error", "code": "200000"}',
         {"kind": "business_error", "code": "200000"}),
    ],
)  # fmt: skip
def test_bad_faults_get_the_same_message_as_the_cli_and_the_python_api(
    served: tuple[MockKucoin, httpx.Client], body: bytes, fields: dict[str, Any]
) -> None:
    mock, admin = served
    response = admin.post("/_mock/faults", content=body)
    assert response.status_code == 400
    message = conforms(response)["error"]
    kind = fields.pop("kind")
    with pytest.raises(ValueError, match=r".") as python:
        MockKucoin().inject(kind, **fields)
    assert message == str(python.value)
    spec = ",".join([kind, *(f"{name}={value}" for name, value in fields.items())])
    parser = build_parser()
    with pytest.raises(SystemExit):
        build_mock(parser.parse_args(["--fault", spec]), parser)
    assert mock.active_faults == ()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{}", "kind: required"),
        (b'{"kind": 503}', "kind: required"),
        (b'{"kind": "http_503", "count": "2"}', "count must be an integer >= 1"),
        (b'{"kind": "http_503", "count": 1.5}', "count must be an integer >= 1"),
        (b'{"kind": "http_503", "count": true}', "count must be an integer >= 1"),
        (b'{"kind": "http_503", "count": 1' + b"0" * 30 + b"}", "is too long"),
        (b'{"kind": "latency", "ms": 2.5}', "ms must be an integer"),
        (b'{"kind": "latency", "ms": 1e400}', "ms must be an integer"),
        (b'{"kind": "latency", "rate": "often"}', "rate must be a number between 0 and 1"),
        (b'{"kind": "business_error", "msg": {"a": 1}}', "msg must be a string"),
        (b'"http_503"', "body: must be a JSON object"),
        # Names of the Python API's own arguments are parameters like any other here.
        (b'{"kind": "http_500", "count": 1, "self": 1}', "self"),
        (b'{"kind": "http_500", "count": 1, "kind": "x"}', "body: member 'kind' is repeated"),
    ],
)
def test_bad_fault_types_are_a_400_naming_the_field(
    served: tuple[MockKucoin, httpx.Client], body: bytes, error: str
) -> None:
    mock, admin = served
    response = admin.post("/_mock/faults", content=body)
    assert response.status_code == 400
    assert error in conforms(response)["error"]
    assert mock.active_faults == ()


# ---- POST /_mock/reset -----------------------------------------------------------------


def test_reset_returns_to_the_start_state_and_clears_usage_and_records(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    _, admin = served
    start = conforms(admin.get("/_mock/state"))
    admin.put("/_mock/symbols/XBTUSDTM", json={"busy": True, "mode": "ISOLATED"})
    admin.put("/_mock/symbols/ETHUSDTM", params={"account": OTHER.key}, json={"busy": True})
    admin.post("/_mock/faults", json={"kind": "http_500", "count": 5})
    with signed(admin) as kucoin:
        kucoin.post(BATCH, json={"marginMode": "CROSS", "symbols": []})
    assert conforms(admin.get("/_mock/state")) != start
    after = conforms(admin.post("/_mock/reset"))
    assert after == start
    assert conforms(admin.get("/_mock/requests")) == {"requests": []}


def test_reset_of_the_console_scripts_mock_returns_to_what_its_flags_describe() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["--busy", "XBTUSDTM", "--mode", "ETHUSDTM=ISOLATED", "--fault", "http_503:count=1"]
    )
    mock = build_mock(args, parser)
    with (
        serve_in_thread(mock, host=ALL_INTERFACES) as running,
        httpx.Client(base_url=loopback_url(running), timeout=10.0) as admin,
    ):
        admin.put("/_mock/symbols/XBTUSDTM", json={"busy": False})
        admin.put("/_mock/symbols/ETHUSDTM", json={"mode": "CROSS"})
        admin.delete("/_mock/faults")
        state = conforms(admin.post("/_mock/reset"))
    (account,) = state["accounts"]
    assert account["busy"] == ["XBTUSDTM"]
    assert account["modes"]["ETHUSDTM"] == "ISOLATED"
    assert state["faults"] == [{"kind": "http_503", "count": 1, "rate": None}]


def test_reset_reseeds_the_rate_faults() -> None:
    mock = MockKucoin(seed=11)
    mock.inject("http_503", rate=0.5)
    mock.checkpoint()
    with (
        serve_in_thread(mock, host=ALL_INTERFACES) as running,
        httpx.Client(base_url=loopback_url(running), timeout=10.0) as admin,
        signed(admin, mock.default_account.credentials) as kucoin,
    ):
        runs = []
        for _ in range(2):
            body = {"marginMode": "CROSS", "symbols": ["ETHUSDTM"]}
            runs.append([kucoin.post(BATCH, json=body).status_code for _ in range(12)])
            conforms(admin.post("/_mock/reset"))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}


# ---- GET /_mock/requests ---------------------------------------------------------------


def test_requests_are_listed_with_credentials_redacted(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    mock, admin = served
    with signed(admin) as kucoin:
        kucoin.post(BATCH, json={"marginMode": "ISOLATED", "symbols": ["ETHUSDTM"]})
        kucoin.get(
            TIMESTAMP,
            headers={"authorization": "Bearer abc", "cookie": "s=1", "kc-api-partner-sign": "x"},
        )
    sent = mock.recent_requests[0].headers
    listed = conforms(admin.get("/_mock/requests"))["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in listed] == [
        ("POST", BATCH, 200),
        ("GET", TIMESTAMP, 200),
    ]
    first = listed[0]
    for name in ("kc-api-sign", "kc-api-passphrase", "kc-api-key"):
        assert first["headers"][name] == "[redacted]"
    assert first["headers"]["kc-api-timestamp"] == sent["kc-api-timestamp"]
    assert json.loads(first["body"]) == {"marginMode": "ISOLATED", "symbols": ["ETHUSDTM"]}
    assert first["replyHeaders"]["gw-ratelimit-remaining"] == "1998"
    assert abs(first["receivedMs"] - mock.recent_requests[0].received_ms) == 0
    assert listed[1]["headers"]["authorization"] == "[redacted]"
    assert listed[1]["headers"]["cookie"] == "[redacted]"
    assert listed[1]["headers"]["kc-api-partner-sign"] == "[redacted]"
    text = admin.get("/_mock/requests").text
    for value in (
        sent["kc-api-sign"],
        sent["kc-api-passphrase"],
        OTHER.key,
        OTHER.passphrase,
        OTHER.secret,
        "Bearer abc",
    ):
        assert value not in text


def test_a_non_utf8_body_is_listed_with_replacement_characters(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    _, admin = served
    with signed(admin) as kucoin:
        kucoin.post(BATCH, content=b"\xff{", headers={"content-type": "application/json"})
    (listed,) = conforms(admin.get("/_mock/requests"))["requests"]
    assert listed["body"] == "\ufffd{"
    assert listed["status"] == 400


@pytest.mark.parametrize(
    "path", ["/_mock/state", "/_mock/requests", "/_mock/reset", "/_mock/openapi.yaml"]
)
def test_unknown_query_parameters_are_refused(
    served: tuple[MockKucoin, httpx.Client], path: str
) -> None:
    _, admin = served
    method = "POST" if path == "/_mock/reset" else "GET"
    response = admin.request(method, path, params={"verbose": "1"})
    assert response.status_code == 400
    assert response.json() == {"error": "unknown query parameter 'verbose' (allowed: none)"}


# ---- turning it off ---------------------------------------------------------------------


def test_without_admin_the_paths_are_kucoin_404s(checker: ReplyChecker) -> None:
    mock = MockKucoin()
    with (
        serve_in_thread(mock, host=ALL_INTERFACES, admin=False) as running,
        httpx.Client(base_url=loopback_url(running), timeout=10.0) as client,
    ):
        for method, path in [("GET", "/_mock/state"), ("POST", "/_mock/reset"),
                             ("PUT", "/_mock/symbols/XBTUSDTM")]:  # fmt: skip
            response = client.request(method, path, json={"busy": True})
            checker.check_response(response)
            assert (response.status_code, response.json()["code"]) == (404, "404000")
    assert not mock.is_busy("XBTUSDTM")
    assert mock.requests_seen == 3, "recorded like any unknown path"


# ---- the console script, as a CI service -----------------------------------------------


def _spawn(*args: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kucoin_futures_mock",
            "--host",
            ALL_INTERFACES,
            "--port",
            "0",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.fullmatch(r"listening on http://0\.0\.0\.0:(\d+)\n", line)
    if match is None:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"no address line: {line!r} {err}")
    return process, int(match.group(1))


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    return err


def test_the_console_script_on_0000_serves_the_admin_api_to_loopback() -> None:
    process, port = _spawn("--busy", "XBTUSDTM")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as admin:
            state = conforms(admin.get("/_mock/state"))
            assert state["accounts"][0]["busy"] == ["XBTUSDTM"]
            conforms(admin.put("/_mock/symbols/SOLUSDTM", json={"busy": True}))
            conforms(admin.post("/_mock/faults", json={"kind": "http_503", "count": 1}))
            assert conforms(admin.post("/_mock/reset"))["accounts"][0]["busy"] == ["XBTUSDTM"]
    finally:
        err = _stop(process)
    assert "Traceback" not in err


def test_the_console_script_with_no_admin_has_none() -> None:
    process, port = _spawn("--no-admin")
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/_mock/state", timeout=10.0)
    finally:
        _stop(process)
    assert (response.status_code, response.json()["code"]) == (404, "404000")


# ---- a host name that resolves to loopback, not `localhost` ---------------------------


def _loopback_host_name() -> str | None:
    """This machine's host name if every address it resolves to is loopback, else None."""
    name = socket.gethostname()
    if not name or name.lower().startswith("localhost"):
        return None
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except OSError:
        return None
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(
        address.startswith("127.") or address == "::1" for address in addresses
    ):
        return None
    return name


HOST_NAME = _loopback_host_name()


@pytest.mark.skipif(
    HOST_NAME is None,
    reason="this machine's host name does not resolve to loopback addresses only, so "
    "there is no non-localhost name whose traffic is sure to stay on this machine",
)
def test_the_admin_api_through_a_host_name_that_resolves_to_loopback(
    served: tuple[MockKucoin, httpx.Client],
) -> None:
    mock, admin = served
    assert HOST_NAME is not None
    url = str(admin.base_url).replace("127.0.0.1", HOST_NAME, 1)
    with httpx.Client(base_url=url, timeout=10.0) as by_name:
        assert by_name.get(TIMESTAMP).status_code == 200
        conforms(by_name.put("/_mock/symbols/LTCUSDTM", json={"busy": True}))
        conforms(by_name.post("/_mock/faults", json={"kind": "http_500", "count": 1}))
        state = conforms(by_name.get("/_mock/state"))
        assert state["accounts"][0]["busy"] == ["LTCUSDTM"]
        assert [fault["kind"] for fault in state["faults"]] == ["http_500"]
        listed = conforms(by_name.get("/_mock/requests"))["requests"]
        assert listed[0]["headers"]["host"].startswith(HOST_NAME)
        conforms(by_name.post("/_mock/reset"))
    assert not mock.is_busy("LTCUSDTM")
