"""`make demo`: the `kucoin-margin` CLI against a fresh local mock, one symbol busy.

Read, preview, switch with read-back, and apply a file twice (the second run switches
nothing). The CLI runs as a separate process, exactly as a user would run it; the mock
never imports the client it is testing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ._server import serve_in_thread
from ._state import MockKucoin

MODE = "ISOLATED"
SYMBOLS = ("ETHUSDTM", "SOLUSDTM", "XBTUSDTM")
BUSY = "XBTUSDTM"  # has an open position: KuCoin refuses to switch it (50002)
PLAN = {"ETHUSDTM": "CROSS", "SOLUSDTM": "ISOLATED", "DOGEUSDTM": "ISOLATED"}
ALL_AS_ASKED, SOME_NOT_AS_ASKED = 0, 1  # the CLI's exit codes


def _cli() -> list[str]:
    script = shutil.which("kucoin-margin", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "kucoin_futures.cli"]


def _step(env: Mapping[str, str], args: list[str], expected_exit: int) -> bool:
    print(f"\n$ kucoin-margin {' '.join(args)}", flush=True)
    result = subprocess.run([*_cli(), *args], env=env, check=False)  # noqa: S603
    if result.returncode != expected_exit:
        print(f"demo FAILED: exit code {result.returncode}, expected {expected_exit}")
        return False
    print(f"(exit code {result.returncode})")
    return True


def main() -> int:
    mock = MockKucoin()
    mock.set_busy(BUSY)
    with serve_in_thread(mock) as running, tempfile.TemporaryDirectory() as folder:
        creds = running.credentials
        env = {
            **os.environ,
            "KUCOIN_API_KEY": creds.key,
            "KUCOIN_API_SECRET": creds.secret,
            "KUCOIN_API_PASSPHRASE": creds.passphrase,
            "KUCOIN_FUTURES_BASE_URL": running.base_url,
        }
        plan = Path(folder) / "modes.json"
        plan.write_text(json.dumps(PLAN, indent=2), encoding="utf-8")
        print(f"mock KuCoin Futures on {running.base_url}; {BUSY} has an open position")
        steps = [
            (["get", *SYMBOLS, "--json"], ALL_AS_ASKED),
            (["set", MODE, *SYMBOLS, "--dry-run"], ALL_AS_ASKED),
            (["set", MODE, *SYMBOLS, "--verify"], SOME_NOT_AS_ASKED),
            (["apply", str(plan)], ALL_AS_ASKED),
            (["apply", str(plan)], ALL_AS_ASKED),
        ]
        ok = all(_step(env, args, expected) for args, expected in steps)
        after = {symbol: mock.mode_of(symbol) for symbol in (*SYMBOLS, "DOGEUSDTM")}
    expected_modes = {"ETHUSDTM": "CROSS", "SOLUSDTM": MODE, "XBTUSDTM": "CROSS"}
    expected_modes["DOGEUSDTM"] = MODE
    if not ok or after != expected_modes:
        print(f"demo FAILED: modes {after}", file=sys.stderr)
        return 1
    print("\nafter:  " + ", ".join(f"{s} {m}" for s, m in after.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
