"""Serving: the thread runner, the console script, the pytest plugin, the packaged spec."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml

from kucoin_futures_mock import SYMBOLS, Fault, MockKucoin, serve_in_thread
from kucoin_futures_mock import pytest_plugin as plugin_module
from kucoin_futures_mock.__main__ import main
from kucoin_futures_mock._cli import build_mock, build_parser

from .conftest import BATCH, SPEC_FILE, TIMESTAMP, signed_headers, switch_body

if TYPE_CHECKING:
    from kucoin_futures_mock import RunningMock

ROOT = SPEC_FILE.parent


def test_serve_in_thread_picks_a_free_port_and_stops_on_exit(
    http_client: Callable[..., httpx.Client],
) -> None:
    with serve_in_thread() as first, serve_in_thread() as second:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first.base_url)
        assert first.base_url != second.base_url
        assert http_client(first.base_url).get(TIMESTAMP).status_code == 200
        assert first.credentials == first.mock.default_account.credentials
    with pytest.raises(httpx.ConnectError):
        httpx.get(first.base_url + TIMESTAMP, timeout=2.0)


def test_serve_in_thread_takes_a_verifier(http_client: Callable[..., httpx.Client]) -> None:
    from kucoin_futures_auth.verify import VerificationFailure

    def refuse_all(*args: Any, **kwargs: Any) -> VerificationFailure:
        return VerificationFailure("400006", "IP not whitelisted")

    with serve_in_thread(verify=refuse_all) as running:
        response = http_client(running.base_url).post(BATCH, json={"marginMode": "CROSS"})
        assert (response.status_code, response.json()["code"]) == (401, "400006")


def _spawn(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kucoin_futures_mock", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    return process, line


def test_the_cli_prints_its_address_once_ready_and_serves(
    http_client: Callable[..., httpx.Client],
) -> None:
    process, line = _spawn("--busy", "XBTUSDTM", "--fault", "http_503:count=1", "--quota", "100")
    try:
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))\n", line)
        assert match, line
        client = http_client(match.group(1))
        assert client.post(BATCH, json={"marginMode": "ISOLATED", "symbols": []}).status_code == 503
        response = client.post(
            BATCH, json={"marginMode": "ISOLATED", "symbols": ["XBTUSDTM", "ETHUSDTM"]}
        )
        assert response.json()["data"] == {
            "marginMode": {"ETHUSDTM": "ISOLATED", "XBTUSDTM": "CROSS"},
            "errors": [{"code": "50002", "msg": "exist.order.or.position", "symbol": "XBTUSDTM"}],
        }
        assert response.headers["gw-ratelimit-limit"] == "100"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert out == "", "exactly one line on stdout"
    assert "Traceback" not in err
    assert process.returncode == 0, "SIGTERM is a clean stop"


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("kucoin-futures-mock")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: kucoin-futures-mock")


def test_help_documents_the_defaults_and_every_fault(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    demo = MockKucoin().default_account.credentials
    for expected in (demo.key, demo.secret, demo.passphrase, *SYMBOLS, *(f.value for f in Fault)):
        assert expected in text
    assert "listening on http://HOST:PORT" in text


def test_flags_build_the_mock_they_describe() -> None:
    parser = build_parser()
    args = parser.parse_args(
        [
            "--api-key", "my-key", "--api-secret", "my-secret", "--api-passphrase", "my-pass",
            "--key-version", "2", "--default-mode", "ISOLATED", "--mode", "ETHUSDTM=cross",
            "--busy", "SOLUSDTM", "--quota", "50", "--window", "5", "--seed", "9",
            "--fault", "latency:rate=0.5,ms=5",
        ]
    )  # fmt: skip
    mock = build_mock(args, parser)
    (account,) = mock.accounts
    assert (account.key, account.credentials.key_version) == ("my-key", 2)
    assert mock.mode_of("XBTUSDTM") == "ISOLATED"
    assert mock.mode_of("ETHUSDTM") == "CROSS"
    assert mock.is_busy("SOLUSDTM")
    assert (mock.quota, mock.window_s) == (50, 5.0)
    (rule,) = mock.active_faults
    assert (rule.kind, rule.rate, rule.params) == (Fault.LATENCY, 0.5, {"ms": 5})


def test_a_port_in_use_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with serve_in_thread() as running:
        port = running.base_url.rsplit(":", 1)[1]
        assert main(["--port", port]) == 1
    assert "cannot listen" in capsys.readouterr().err


def test_the_plugin_fixture_serves_a_fresh_mock(
    kucoin_mock: RunningMock, http_client: Callable[..., httpx.Client]
) -> None:
    kucoin_mock.mock.set_busy("XBTUSDTM")
    client = http_client(kucoin_mock.base_url, kucoin_mock.credentials)
    response = client.post(BATCH, json={"marginMode": "ISOLATED", "symbols": ["XBTUSDTM"]})
    assert response.json()["data"]["errors"][0]["code"] == "50002"


def test_the_plugin_is_registered_and_imports_nothing_heavy() -> None:
    (entry,) = [
        e
        for e in importlib.metadata.entry_points(group="pytest11")
        if e.name == "kucoin_futures_mock"
    ]
    assert entry.value == "kucoin_futures_mock.pytest_plugin"
    probe = (
        "import sys, kucoin_futures_mock.pytest_plugin as p; "
        "print([m for m in ('starlette', 'uvicorn', 'jsonschema', 'yaml', 'httpx', "
        "'kucoin_futures_auth') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_mock_never_imports_the_generated_client() -> None:
    # A server sharing the client's models could agree with it on the same mistake.
    probe = (
        "import sys, httpx\n"
        "from kucoin_futures_mock import DEMO_CREDENTIALS, serve_in_thread\n"
        "from kucoin_futures_mock._cli import build_parser\n"
        "from kucoin_futures_auth.auth import KucoinAuth\n"
        "with serve_in_thread() as running:\n"
        "    reply = httpx.post(running.base_url + '/api/v2/position/batchChangeMarginMode',\n"
        "        json={'marginMode': 'CROSS', 'symbols': ['ETHUSDTM']},\n"
        "        auth=KucoinAuth(DEMO_CREDENTIALS))\n"
        "assert reply.status_code == 200, reply.text\n"
        "print(sorted(m for m in sys.modules if m.startswith('kucoin_futures_client')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_plugin_docstring_example_runs(kucoin_mock: RunningMock) -> None:
    doc = plugin_module.__doc__ or ""
    example = textwrap.dedent(doc.split("::\n", 1)[1].split("\n\n`kucoin_mock`", 1)[0])
    namespace: dict[str, Any] = {}
    exec(compile(example, "pytest_plugin example", "exec"), namespace)  # noqa: S102
    namespace["test_bot_switches_to_isolated"](kucoin_mock)


def test_the_spec_is_package_data_identical_to_the_repositorys() -> None:
    packaged = importlib.resources.files("kucoin_futures_mock") / "openapi.yaml"
    assert packaged.read_bytes() == SPEC_FILE.read_bytes()
    from kucoin_futures_mock._spec import load_spec

    assert load_spec() == yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def test_the_mock_validates_and_serves_from_an_installed_wheel(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    spec_file = site / "kucoin_futures_mock" / "openapi.yaml"
    assert spec_file.is_file() and not spec_file.is_symlink()
    body = switch_body("ISOLATED", ["ETHUSDTM", "DOGEUSDTM", "ABCUSDTM"])
    script = textwrap.dedent(
        f"""
        import json, httpx, kucoin_futures_mock
        from kucoin_futures_mock import DEMO_CREDENTIALS, serve_in_thread
        from kucoin_futures_auth import KucoinAuth
        assert kucoin_futures_mock.__file__.startswith({str(site)!r}), kucoin_futures_mock.__file__
        with serve_in_thread() as running:
            auth = KucoinAuth(DEMO_CREDENTIALS)
            bad = httpx.post(running.base_url + {BATCH!r}, content=b"[]", auth=auth,
                             headers={{"Content-Type": "application/json"}})
            good = httpx.post(running.base_url + {BATCH!r}, content={body!r}, auth=auth,
                              headers={{"Content-Type": "application/json"}})
            admin = httpx.get(running.base_url + "/_mock/openapi.yaml")
        print(json.dumps([bad.status_code, bad.json(), good.json(), admin.text]))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    bad, bad_body, good_body, admin_document = json.loads(result.stdout)
    assert (bad, bad_body) == (400, {"code": "400100", "msg": "body: must be an object"})
    assert good_body["data"]["marginMode"] == {"DOGEUSDTM": "ISOLATED", "ETHUSDTM": "ISOLATED"}
    # The admin API's own description ships in the wheel and is what it serves.
    shipped = site / "kucoin_futures_mock" / "admin-openapi.yaml"
    assert admin_document == shipped.read_text(encoding="utf-8")
    assert admin_document == (
        ROOT / "mock_server/kucoin_futures_mock/admin-openapi.yaml"
    ).read_text(encoding="utf-8")


def test_signed_headers_helper_matches_kucoin_auth() -> None:
    # The in-process caller signs with the same function KucoinAuth uses; a regression
    # there would make every in-process test meaningless.
    from kucoin_futures_auth import Clock, KucoinAuth

    credentials = MockKucoin().default_account.credentials
    request = httpx.Request("POST", "http://mock" + BATCH, content=b"{}")
    auth = KucoinAuth(credentials, Clock(time_fn=lambda: 1.5))
    assert auth.headers_for(request) == signed_headers(credentials, "POST", BATCH, b"{}", 1500)
