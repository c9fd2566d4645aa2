"""The `curl` session of docs/mock-ci-service.md against the admin API runs as written,
against the console script on 0.0.0.0 (requests go to 127.0.0.1 only), and ends in the
400 it shows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import SPEC_FILE

# The page is about the mock as a CI service, nothing else: the whole of it is the section.
SECTION = (SPEC_FILE.parent / "docs" / "mock-ci-service.md").read_text(encoding="utf-8")
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - bound on purpose, never connected to


def _session() -> list[str]:
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", SECTION, re.DOTALL) if "MOCK=" in b]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    assert lines[0] == "MOCK=http://127.0.0.1:8080"
    return [line for line in lines[1:] if line]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_docs_curl_session_runs_as_written() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kucoin_futures_mock", "--host", ALL_INTERFACES, "--port", "0",
         "--busy", "XBTUSDTM"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        match = re.fullmatch(r"listening on http://0\.0\.0\.0:(\d+)\n", line)
        assert match, line
        env = {**os.environ, "MOCK": f"http://127.0.0.1:{match.group(1)}"}
        replies = []
        for command in _session():
            assert command.startswith("curl -s "), command
            result = subprocess.run(
                ["bash", "-c", command.replace("curl -s ", "curl -s --max-time 10 ", 1)],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert result.returncode == 0, (command, result.stderr)
            replies.append(json.loads(result.stdout))
    finally:
        process.terminate()
        process.communicate(timeout=10)
    state, busy_eth, freed_eth, *_ = replies
    assert state["accounts"][0]["busy"] == ["XBTUSDTM"]
    assert (busy_eth["mode"], busy_eth["busy"]) == ("ISOLATED", True)
    assert freed_eth["busy"] is False
    after_reset = replies[-2]
    assert after_reset["accounts"][0]["busy"] == ["XBTUSDTM"], "reset: back to the flags"
    assert after_reset["accounts"][0]["modes"]["ETHUSDTM"] == "CROSS"
    # The reply the page shows is the first `json` block after the session.
    after_session = SECTION.split("curl -s $MOCK/_mock/state", 1)[1]
    shown = re.findall(r"```json\n(.*?)```", after_session, re.DOTALL)[0]
    assert replies[-1] == json.loads(shown)
