"""The upstream check: KuCoin's published spec (our fixtures in its format) against openapi.yaml.

The fixtures in `fixtures/` are ours, built in the shape FACTS describe for KuCoin's files
(OpenAPI 3.0.1, every schema inline, `x-api-*` and `x-sdk-*` extensions, `x-api-enum`).
Each mutation below is one kind of change KuCoin has made to its file.
"""

from __future__ import annotations

import contextlib
import copy
import http.server
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .upstream import DEFAULT_SPEC, run

FIXTURES = Path(__file__).resolve().parent / "fixtures"
POSITIONS = FIXTURES / "kucoin-futures-positions.json"
MARKET = FIXTURES / "kucoin-futures-market.json"
ROOT = Path(__file__).resolve().parents[1]

BATCH = "/api/v2/position/batchChangeMarginMode"
SWITCH = "/api/v2/position/changeMarginMode"
READ = "/api/v2/position/getMarginMode"
LEVERAGE_READ = "/api/v2/getCrossUserLeverage"
LEVERAGE_CHANGE = "/api/v2/changeCrossUserLeverage"

Doc = dict[str, Any]


def faithful() -> Doc:
    document: Doc = json.loads(POSITIONS.read_text())
    return copy.deepcopy(document)


def check(tmp_path: Path, *documents: Doc, spec: Path = DEFAULT_SPEC) -> tuple[int, str]:
    sources = []
    for index, document in enumerate(documents):
        path = tmp_path / f"upstream-{index}.json"
        path.write_text(json.dumps(document))
        sources.append(str(path))
    return run(sources, spec)


def section(report: str, operation: str) -> list[str]:
    """The report lines of one operation (`POST /api/...`), its header excluded."""
    blocks = report.split("\n\n")
    (block,) = [b for b in blocks if b.startswith(operation + " ")]
    return block.splitlines()[1:]


# --- the faithful file ----------------------------------------------------------------------


def test_a_faithful_positions_file_passes_with_its_deliberate_differences(tmp_path: Path) -> None:
    status, report = check(tmp_path, faithful())
    assert status == 0, report
    assert "0 breaking, 0 needs a spec update" in report
    assert (
        "GET /api/v1/timestamp (ours getServerTime): not checked (area Futures/Market not read)"
        in (report)
    )
    read = section(report, f"GET {READ}")
    assert any(
        line.startswith("  deliberate ")
        and "data.marginMode enum: ours none, upstream [CROSS, ISOLATED]" in line
        and "Choice: reply margin modes are upper-case strings" in line
        for line in read
    ), read
    batch = section(report, f"POST {BATCH}")
    assert any(
        "body.symbols constraints: ours {maxItems: 1000, minItems: 1, uniqueItems: true}" in line
        and "Choice: 1 to 1000 symbols" in line
        for line in batch
    ), batch
    assert any(
        "responses 400, 401, 429, 500, 503: ours documented, upstream none" in line
        and "describes only HTTP 200" in line
        for line in batch
    ), batch
    assert all(
        line.startswith("  deliberate ")
        for op in (BATCH, SWITCH, LEVERAGE_CHANGE)
        for line in section(report, f"POST {op}")
    )
    leverage = section(report, f"POST {LEVERAGE_CHANGE}")
    assert any(
        "body.leverage constraints: ours {pattern: ^[0-9]{1,4}(\\.[0-9]{1,2})?$}, upstream {}"
        in line
        for line in leverage
    ), leverage
    assert all(line.startswith("  deliberate ") for line in section(report, f"GET {LEVERAGE_READ}"))
    # An operation only KuCoin has is information, never a failure.
    assert "Only KuCoin has (information, never a failure):" in report
    assert "  GET /api/v1/position (getPositionDetails, Futures/Positions)" in report


def test_reading_the_market_file_too_checks_the_server_time(tmp_path: Path) -> None:
    status, report = check(tmp_path, faithful(), json.loads(MARKET.read_text()))
    assert status == 0, report
    assert "not checked" not in report.replace("0 not checked", "")
    assert section(report, "GET /api/v1/timestamp") == [
        "  deliberate           responses 429, 500, 503: ours documented, upstream none — Choice:"
        " our error replies are part of the contract (clients map them by code, whatever the"
        " status); KuCoin's published spec describes only HTTP 200."
    ]


def test_without_its_records_the_same_file_fails(tmp_path: Path) -> None:
    # The deliberate class comes from openapi.yaml's records, not from leniency of the check.
    text = re.sub(
        r"^( *)x-upstream-deliberate:\n(?:\1 .*\n)+", "", DEFAULT_SPEC.read_text(), flags=re.M
    )
    assert "x-upstream-deliberate" not in text
    spec = tmp_path / "openapi.yaml"
    spec.write_text(text)
    status, report = check(tmp_path, faithful(), spec=spec)
    assert status == 1
    assert "  needs a spec update  data.marginMode enum: ours none, upstream [CROSS, ISOLATED]" in (
        report
    )
    assert " 0 deliberate" in report


# --- mutations: each must fail and name what changed -----------------------------------------


def _op(document: Doc, path: str, method: str = "post") -> Doc:
    operation: Doc = document["paths"][path][method]
    return operation


def _body(document: Doc, path: str) -> Doc:
    schema: Doc = _op(document, path)["requestBody"]["content"]["application/json"]["schema"]
    return schema


def _data(document: Doc, path: str, method: str = "post") -> Doc:
    reply = _op(document, path, method)["responses"]["200"]["content"]["application/json"]
    properties: Doc = reply["schema"]["properties"]
    return properties


def add_request_enum_member(document: Doc) -> None:
    mode = _body(document, BATCH)["properties"]["marginMode"]
    mode["enum"].append("PORTFOLIO")
    mode["x-api-enum"].append({"value": "PORTFOLIO", "name": "PORTFOLIO", "description": "New"})


def change_weight(document: Doc) -> None:
    _op(document, READ, "get")["x-api-rate-limit-weight"] = 4


def add_required_request_field(document: Doc) -> None:
    body = _body(document, SWITCH)
    body["properties"]["leverage"] = {"type": "string"}
    body["required"].append("leverage")


def change_reply_type(document: Doc) -> None:
    _data(document, SWITCH)["data"] = {"type": "boolean"}


def remove_operation(document: Doc) -> None:
    del document["paths"][READ]


def rename_rate_limit_extension(document: Doc) -> None:
    operation = _op(document, BATCH)
    operation["x-api-rate-limit"] = operation.pop("x-api-rate-limit-weight")


def remove_request_enum_member(document: Doc) -> None:
    mode = _body(document, SWITCH)["properties"]["marginMode"]
    mode["enum"].remove("CROSS")
    mode["x-api-enum"] = [e for e in mode["x-api-enum"] if e["value"] != "CROSS"]


def remove_reply_field(document: Doc) -> None:
    data = _data(document, BATCH)["data"]
    del data["properties"]["errors"]
    data["required"].remove("errors")


def add_reply_enum_member(document: Doc) -> None:
    _data(document, READ, "get")["data"]["properties"]["marginMode"]["enum"].append("PORTFOLIO")


def change_permission(document: Doc) -> None:
    _op(document, BATCH)["x-api-permission"] = "General"


def make_reply_field_optional(document: Doc) -> None:
    _data(document, READ, "get")["data"]["required"].remove("symbol")


def limit_symbols(document: Doc) -> None:
    _body(document, BATCH)["properties"]["symbols"]["maxItems"] = 50


def restrict_symbol_shape(document: Doc) -> None:
    _body(document, SWITCH)["properties"]["symbol"].update(pattern="^[A-Z]+$", maxLength=3)


def require_one_symbol(document: Doc) -> None:
    _body(document, BATCH)["properties"]["symbols"]["minItems"] = 1


def limit_reply_symbol(document: Doc) -> None:
    _data(document, READ, "get")["data"]["properties"]["symbol"]["maxLength"] = 3


def add_required_reply_field(document: Doc) -> None:
    data = _data(document, READ, "get")["data"]
    data["properties"]["leverage"] = {"type": "string"}
    data["required"].append("leverage")


def leverage_change_replies_an_object(document: Doc) -> None:
    # KuCoin's published file until 2025-03-11: `data` was {symbol, leverage}, not a boolean.
    _data(document, LEVERAGE_CHANGE)["data"] = {
        "type": "object",
        "properties": {"symbol": {"type": "string"}, "leverage": {"type": "string"}},
        "required": ["symbol", "leverage"],
    }


def leverage_as_number(document: Doc) -> None:
    _body(document, LEVERAGE_CHANGE)["properties"]["leverage"] = {"type": "number"}


def empty_request_enum(document: Doc) -> None:
    _body(document, SWITCH)["properties"]["marginMode"]["enum"] = []


MUTATIONS: dict[str, tuple[Callable[[Doc], None], str, str]] = {
    "added enum member in a request": (
        add_request_enum_member,
        f"POST {BATCH}",
        "  needs a spec update  body.marginMode enum: ours [CROSS, ISOLATED],"
        " upstream [CROSS, ISOLATED, PORTFOLIO] — new member(s) PORTFOLIO",
    ),
    "changed weight": (
        change_weight,
        f"GET {READ}",
        "  needs a spec update  weight: ours 2, upstream 4 — the rate-limit weight changed",
    ),
    "new required request field": (
        add_required_request_field,
        f"POST {SWITCH}",
        "  breaking             body.leverage: ours none, upstream string, required"
        " — a new required request field",
    ),
    "changed reply type": (
        change_reply_type,
        f"POST {SWITCH}",
        "  breaking             data type: ours object, upstream boolean — the type changed",
    ),
    "removed operation": (
        remove_operation,
        f"GET {READ}",
        "  breaking             operation: ours getMarginMode, upstream none — KuCoin's"
        f" Futures/Positions area was read and no longer has GET {READ}",
    ),
    "renamed rate-limit extension": (
        rename_rate_limit_extension,
        f"POST {BATCH}",
        "  needs a spec update  weight: ours 2, upstream none — no x-api-rate-limit-weight to"
        " read; found x-api-rate-limit: 2 (an extension renamed?)",
    ),
    "removed enum member we send": (
        remove_request_enum_member,
        f"POST {SWITCH}",
        "  breaking             body.marginMode enum: ours [CROSS, ISOLATED], upstream"
        " [ISOLATED] — upstream no longer accepts CROSS, which we send",
    ),
    "reply lost a field we read": (
        remove_reply_field,
        f"POST {BATCH}",
        "  breaking             data.errors: ours array, required, upstream none"
        " — the reply lost a field we read",
    ),
    "added enum member in a reply, past its deliberate record": (
        add_reply_enum_member,
        f"GET {READ}",
        "  needs a spec update  data.marginMode enum: ours none, upstream [CROSS, ISOLATED,"
        " PORTFOLIO] — upstream now lists the values the reply may hold (recorded as"
        " deliberate while upstream had [CROSS, ISOLATED])",
    ),
    "changed permission": (
        change_permission,
        f"POST {BATCH}",
        "  breaking             permission: ours Futures, upstream General — keys with our"
        " permission may be refused (x-api-permission)",
    ),
    "tighter validation of a request field, past its deliberate record": (
        limit_symbols,
        f"POST {BATCH}",
        "  breaking             body.symbols constraints: ours {maxItems: 1000, minItems: 1,"
        " uniqueItems: true}, upstream {maxItems: 50} — upstream may refuse values we send"
        " (maxItems 50) (recorded as deliberate while upstream had {})",
    ),
    "a pattern and a length limit on a request field": (
        restrict_symbol_shape,
        f"POST {SWITCH}",
        "  breaking             body.symbol constraints: ours {minLength: 1, pattern: \\S},"
        " upstream {maxLength: 3, pattern: ^[A-Z]+$} — upstream may refuse values we send"
        " (maxLength 3, pattern ^[A-Z]+$) (recorded as deliberate while upstream had {})",
    ),
    "request validation that refuses nothing we send": (
        require_one_symbol,
        f"POST {BATCH}",
        "  needs a spec update  body.symbols constraints: ours {maxItems: 1000, minItems: 1,"
        " uniqueItems: true}, upstream {minItems: 1} — the validation keywords differ"
        " (recorded as deliberate while upstream had {})",
    ),
    "tighter validation of a reply field": (
        limit_reply_symbol,
        f"GET {READ}",
        "  needs a spec update  data.symbol constraints: ours {}, upstream {maxLength: 3}"
        " — the validation keywords differ",
    ),
    "new required reply field": (
        add_required_reply_field,
        f"GET {READ}",
        "  needs a spec update  data.leverage: ours none, upstream string, required"
        " — a new required reply field",
    ),
    "an empty request enum": (
        empty_request_enum,
        f"POST {SWITCH}",
        "  breaking             body.marginMode enum: ours [CROSS, ISOLATED], upstream []"
        " — upstream no longer accepts CROSS, ISOLATED, which we send",
    ),
    "leverage change replies an object, as before 2025-03-11": (
        leverage_change_replies_an_object,
        f"POST {LEVERAGE_CHANGE}",
        "  breaking             data type: ours boolean, upstream object — the type changed",
    ),
    "leverage sent as a number": (
        leverage_as_number,
        f"POST {LEVERAGE_CHANGE}",
        "  breaking             body.leverage type: ours string, upstream number — the type"
        " changed",
    ),
    "reply field no longer required": (
        make_reply_field_optional,
        f"GET {READ}",
        "  breaking             data.symbol required: ours true, upstream false — the reply may"
        " now lack a field we read",
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_each_mutation_fails_naming_the_change(tmp_path: Path, name: str) -> None:
    mutate, operation, expected = MUTATIONS[name]
    document = faithful()
    mutate(document)
    status, report = check(tmp_path, document)
    assert status == 1, report
    assert expected in section(report, operation), "\n".join(section(report, operation))
    failing = [
        line
        for line in report.splitlines()
        if line.startswith("  ")
        and not (line.startswith(("  deliberate ", "  GET /api/v1/position ")))
    ]
    assert failing == [expected], failing  # the change is reported once, nothing else fails


def test_a_reply_that_became_nullable_still_compares_its_fields(tmp_path: Path) -> None:
    document = faithful()
    data = _data(document, READ, "get")["data"]
    data["nullable"] = True
    del data["properties"]["marginMode"]
    data["required"].remove("marginMode")
    status, report = check(tmp_path, document)
    assert status == 1, report
    assert failing_lines(report) == [
        "  breaking             data.marginMode: ours string, required, upstream none"
        " — the reply lost a field we read",
        "  breaking             data type: ours object, upstream null|object"
        " — the reply may now be null",
    ]


def spell_weights_as_floats(document: Doc) -> None:
    for item in document["paths"].values():
        for operation in item.values():
            operation["x-api-rate-limit-weight"] = float(operation["x-api-rate-limit-weight"])


def add_charset_to_json(document: Doc) -> None:
    for item in document["paths"].values():
        for operation in item.values():
            holders = [operation.get("requestBody", {}), *operation["responses"].values()]
            for holder in holders:
                if "application/json" in holder.get("content", {}):
                    media = holder["content"].pop("application/json")
                    holder["content"]["application/json; charset=utf-8"] = media


@pytest.mark.parametrize("respell", [spell_weights_as_floats, add_charset_to_json])
def test_the_same_facts_spelt_differently_pass(
    tmp_path: Path, respell: Callable[[Doc], None]
) -> None:
    document = faithful()
    respell(document)
    assert json.dumps(document) != json.dumps(faithful())
    status, report = check(tmp_path, document)
    assert status == 0, report


# --- inputs that would otherwise check too little -------------------------------------------


def failing_lines(report: str) -> list[str]:
    return [
        line
        for line in report.splitlines()
        if line.startswith(
            ("  breaking ", "  needs a spec update ", "  checks nothing", "  contra")
        )
    ]


def test_renamed_area_extensions_still_notice_a_removed_operation(tmp_path: Path) -> None:
    # The matching operations show which area the file is, even when KuCoin renames
    # x-sdk-sub-service; otherwise getMarginMode's removal would pass as "not checked".
    document = faithful()
    for item in document["paths"].values():
        for operation in item.values():
            operation["x-sdk-subservice"] = operation.pop("x-sdk-sub-service")
    remove_operation(document)
    status, report = check(tmp_path, document)
    assert status == 1, report
    unread = (
        "  needs a spec update  area: ours Futures/Positions, upstream none — no"
        " x-sdk-sub-service to read (an extension renamed?)"
    )
    # In the spec's order: the two switches, the removed read, the two leverage operations.
    assert failing_lines(report) == [
        unread,
        unread,
        "  breaking             operation: ours getMarginMode, upstream none — KuCoin's"
        f" Futures/Positions area was read and no longer has GET {READ}",
        unread,
        unread,
    ]


def other_area(document: Doc) -> Doc:
    """The market file, as if it were an area none of our operations belongs to."""
    for item in document["paths"].values():
        for operation in item.values():
            operation["x-sdk-sub-service"] = "Orders"
    document["paths"] = {"/api/v1/orders": document["paths"].pop("/api/v1/timestamp")}
    return document


@pytest.mark.parametrize(
    "unusable",
    [
        pytest.param(lambda: {**faithful(), "paths": {}}, id="no paths"),
        pytest.param(lambda: other_area(json.loads(MARKET.read_text())), id="another area"),
    ],
)
def test_an_input_that_checks_nothing_of_ours_fails(
    tmp_path: Path, unusable: Callable[[], Doc]
) -> None:
    status, report = check(tmp_path, unusable())
    assert status == 1, report
    assert failing_lines(report) == [
        "  checks nothing: none of its operations or areas is one of ours"
    ]
    # Beside a file that does check ours, it still fails: it was given for a reason.
    status, report = check(tmp_path, faithful(), unusable())
    assert status == 1, report
    assert "1 unusable input(s)" in report


def test_the_market_file_alone_checks_the_server_time_only(tmp_path: Path) -> None:
    status, report = check(tmp_path, json.loads(MARKET.read_text()))
    assert status == 0, report
    assert f"POST {BATCH} (ours batchChangeMarginMode): not checked" in report


def test_two_files_that_disagree_on_an_operation_fail(tmp_path: Path) -> None:
    changed = faithful()
    change_weight(changed)
    status, report = check(tmp_path, faithful(), faithful())
    assert status == 0, report  # the same operation twice is information
    assert f"  duplicate: GET {READ} (again in " in report
    status, report = check(tmp_path, faithful(), changed)
    assert status == 1, report
    assert failing_lines(report) == [
        f"  contradicts an earlier file on GET {READ}: the first counts"
    ]


def test_an_operation_of_ours_without_an_area_fails(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    text = DEFAULT_SPEC.read_text()
    assert text.count("      x-upstream-area: Futures/Market\n") == 1
    spec.write_text(text.replace("      x-upstream-area: Futures/Market\n", ""))
    status, report = check(tmp_path, faithful(), spec=spec)
    assert status == 1, report
    assert failing_lines(report) == [
        "  needs a spec update  x-upstream-area: ours none, upstream not read — openapi.yaml"
        " does not say which KuCoin area has getServerTime, so its removal would go unnoticed"
    ]


# --- unreadable input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not JSON (line 1, column 2"),
        ("\xff\xfe", "not JSON"),
        ("[1, 2]", "not an OpenAPI document (not a JSON object)"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI 3 document (no 'openapi' version)"),
        ('{"openapi": "3.0.1"}', "not an OpenAPI 3 document (no 'paths' object)"),
        ('{"openapi": "3.0.1", "paths": {"/x": {"get": {"parameters": [{}]}}}}', "lacks name"),
        ('{"openapi": "3.0.1", "paths": {"/x": {"get": {"responses": []}}}}', "wrong type"),
        ('{"openapi": "3.0.1", "paths": {"/x": {"get": {"responses": {"200": 1}}}}}', "got 1"),
        (
            '{"openapi": "3.0.1", "paths": {"/x": {"get": {"parameters": [{"name": "a",'
            ' "in": "query", "schema": {"properties": {}, "required": [{"a": 1}]}}]}}}}',
            "query.a: required is not a list of names",
        ),
    ],
)
def test_input_that_is_not_openapi_exits_2_with_one_line(
    tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "upstream.json"
    path.write_bytes(content.encode("latin-1"))
    status, text = run([str(path)])
    assert status == 2
    assert len(text.splitlines()) == 1 and says in text and str(path) in text, text


def test_unreadable_names_and_specs_exit_2_with_one_line(tmp_path: Path) -> None:
    status, text = run(["http://[::1"])  # httpx raises InvalidURL, which is no HTTPError
    assert status == 2 and len(text.splitlines()) == 1, text
    assert text.startswith("upstream-check: cannot read http://[::1: InvalidURL: "), text
    status, text = run([""])
    assert (status, text) == (2, "upstream-check: cannot read '': an empty path"), text
    spec = tmp_path / "openapi.yaml"
    spec.write_bytes(b"openapi: 3.1.0\ninfo: {title: \xff}\n")
    status, text = run([str(POSITIONS)], spec)
    assert status == 2 and len(text.splitlines()) == 1, text
    assert text == f"upstream-check: cannot read {spec}: not UTF-8 (invalid start byte)"


def test_the_command_line_exit_codes_and_streams(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "contract_tests.upstream", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )

    passed = cli(str(POSITIONS))
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.rstrip().endswith("only deliberate differences (exit 0)")
    mutated = faithful()
    change_weight(mutated)
    (tmp_path / "changed.json").write_text(json.dumps(mutated))
    assert cli(str(tmp_path / "changed.json")).returncode == 1
    missing = cli(str(tmp_path / "absent.json"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.count("\n") == 1 and "absent.json" in missing.stderr


def test_make_upstream_check_runs_the_command() -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "upstream-check", f"UPSTREAM={POSITIONS} {MARKET}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 breaking, 0 needs a spec update" in done.stdout


# --- URLs (loopback only) -------------------------------------------------------------------


@pytest.fixture
def served_fixtures() -> Iterator[str]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(FIXTURES), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _serving(Handler) as base_url:
        yield base_url


def test_a_url_is_read_like_a_file(served_fixtures: str) -> None:
    status, report = run([f"{served_fixtures}/{POSITIONS.name}"])
    assert status == 0, report
    status, text = run([f"{served_fixtures}/absent.json"])
    assert status == 2 and text.endswith("absent.json: HTTP 404"), text


def test_a_network_failure_names_the_offline_way_out() -> None:
    # A loopback port nobody listens on: refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, text = run([f"http://127.0.0.1:{port}/openapi-futures-positions.json"])
    assert status == 2 and len(text.splitlines()) == 1, text
    assert "ConnectError" in text
    assert "run the check offline on the bundled fixtures" in text
    # ...and the fixtures it names exist and pass as it says.
    named = text.split("UPSTREAM='", 1)[1].rstrip("'").split()
    assert run([str(ROOT / name) for name in named])[0] == 0, named


@pytest.fixture
def trickling_server() -> Iterator[str]:
    """Sends a reply one byte every 50 ms (at most 5 s), as a stalled CDN could."""
    stop = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                if stop.wait(0.05):
                    return
                self.wfile.write(b" ")
                self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _serving(Handler) as base_url:
        try:
            yield f"{base_url}/slow.json"
        finally:
            stop.set()


@contextlib.contextmanager
def _serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on 127.0.0.1 in a thread; the base URL while it runs."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_download_that_never_finishes_is_given_up(trickling_server: str) -> None:
    # Each byte comes well within the read timeout: only the overall deadline stops it.
    started = time.monotonic()
    status, text = run([trickling_server], deadline_s=0.3)
    assert time.monotonic() - started < 3
    assert (status, text) == (
        2,
        f"upstream-check: cannot read {trickling_server}: not read within 0.3 s",
    )


# --- the spec's side of the bargain ---------------------------------------------------------


def test_every_operation_of_ours_names_its_upstream_area() -> None:
    spec = yaml.safe_load(DEFAULT_SPEC.read_text())
    areas = {
        op["operationId"]: op.get("x-upstream-area")
        for item in spec["paths"].values()
        for op in item.values()
    }
    assert areas == {
        "batchChangeMarginMode": "Futures/Positions",
        "changeMarginMode": "Futures/Positions",
        "getMarginMode": "Futures/Positions",
        "getCrossUserLeverage": "Futures/Positions",
        "changeCrossUserLeverage": "Futures/Positions",
        "getServerTime": "Futures/Market",
    }


def test_a_deliberate_record_without_its_upstream_value_is_refused(tmp_path: Path) -> None:
    # Without the pin, any later upstream change of the aspect would pass as deliberate.
    spec = tmp_path / "openapi.yaml"
    text = DEFAULT_SPEC.read_text()
    pin = "          upstream: {}  # KuCoin documents no validation keywords here\n"
    assert pin in text
    spec.write_text(text.replace(pin, "", 1))
    status, text = check(tmp_path, faithful(), spec=spec)
    assert status == 2, text
    assert "x-upstream-deliberate.constraints needs the upstream value it was reviewed" in text


def test_a_deliberate_record_without_a_reason_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(
        DEFAULT_SPEC.read_text().replace(
            "        presence:\n          reason: >-\n", "        presence:\n          why: >-\n", 1
        )
    )
    status, text = check(tmp_path, faithful(), spec=spec)
    assert status == 2 and "x-upstream-deliberate.presence needs a reason" in text, text
