"""`make demo` runs the real main job: the CLI, signed, against the mock, one symbol busy."""

from __future__ import annotations

import subprocess
import sys


def test_the_demo_shows_a_partial_failure_and_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kucoin_futures_mock.demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if line}
    assert rows["ETHUSDTM"] == ["switched", "ISOLATED"]
    assert rows["SOLUSDTM"] == ["switched", "ISOLATED"]
    assert rows["XBTUSDTM"] == ["failed", "CROSS", "50002", "exist.order.or.position"]
    assert "kucoin-mock-demo-secret" not in result.stdout + result.stderr
