"""`make demo` runs the real main jobs: the CLI, signed, against the mock, one symbol busy."""

from __future__ import annotations

import json
import re
import subprocess
import sys


def test_the_demo_reads_previews_switches_and_applies_idempotently() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kucoin_futures_mock.demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    steps = result.stdout.split("\n$ kucoin-margin ")[1:]
    assert len(steps) == 5
    read = json.loads(steps[0].splitlines()[1])
    assert [(row["symbol"], row["current"]) for row in read["symbols"]] == [
        ("ETHUSDTM", "CROSS"),
        ("SOLUSDTM", "CROSS"),
        ("XBTUSDTM", "CROSS"),
    ]
    # SYMBOL  SETTING  VALUE  RESULT  REASON  CODE  MESSAGE, cells split at two spaces.
    preview = [re.split(r"  +", line) for line in steps[1].splitlines()[2:5]]
    assert preview[0] == ["ETHUSDTM", "marginMode", "CROSS → ISOLATED", "would switch"]
    switched = {
        cells[0]: cells[1:]
        for cells in (re.split(r"  +", line) for line in steps[2].splitlines()[2:5])
    }
    assert switched["ETHUSDTM"] == ["marginMode", "? → ISOLATED", "switched"]
    assert switched["XBTUSDTM"] == [
        "marginMode",
        "CROSS → ISOLATED",
        "failed",
        "busy",
        "50002",
        "exist.order.or.position",
    ]
    assert "(exit code 1)" in steps[2]
    first_apply, second_apply = steps[3], steps[4]
    assert "switched" in first_apply
    assert [re.split(r"  +", line)[3] for line in second_apply.splitlines()[2:5]] == [
        "unchanged"
    ] * 3
    assert "kucoin-mock-demo-secret" not in result.stdout + result.stderr
