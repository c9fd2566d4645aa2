"""`make demo`: the `kucoin-margin` CLI against a fresh local mock, one symbol busy.

The CLI runs as a separate process, exactly as a user would run it; the mock never
imports the client it is testing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ._server import serve_in_thread
from ._state import MockKucoin

MODE = "ISOLATED"
SYMBOLS = ("ETHUSDTM", "SOLUSDTM", "XBTUSDTM")
BUSY = "XBTUSDTM"  # has an open position: KuCoin refuses to switch it (50002)
PARTIAL_FAILURE = 1  # the CLI's exit code when some symbols failed


def _cli() -> list[str]:
    script = shutil.which("kucoin-margin", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "kucoin_futures_auth.cli"]


def main() -> int:
    mock = MockKucoin()
    mock.set_busy(BUSY)
    with serve_in_thread(mock) as running:
        creds = running.credentials
        env = {
            **os.environ,
            "KUCOIN_API_KEY": creds.key,
            "KUCOIN_API_SECRET": creds.secret,
            "KUCOIN_API_PASSPHRASE": creds.passphrase,
            "KUCOIN_FUTURES_BASE_URL": running.base_url,
        }
        print(f"mock KuCoin Futures on {running.base_url}; {BUSY} has an open position")
        before = {symbol: mock.mode_of(symbol) for symbol in SYMBOLS}
        print("before: " + ", ".join(f"{s} {m}" for s, m in before.items()))
        print(f"\n$ kucoin-margin set {MODE} {' '.join(SYMBOLS)}", flush=True)
        result = subprocess.run([*_cli(), "set", MODE, *SYMBOLS], env=env, check=False)  # noqa: S603
        after = {symbol: mock.mode_of(symbol) for symbol in SYMBOLS}
        print("\nafter:  " + ", ".join(f"{s} {m}" for s, m in after.items()))
    expected = {s: (before[s] if s == BUSY else MODE) for s in SYMBOLS}
    if result.returncode != PARTIAL_FAILURE or after != expected:
        print(f"demo FAILED: exit code {result.returncode}, modes {after}", file=sys.stderr)
        return 1
    print(f"exit code {result.returncode}: {BUSY} kept {before[BUSY]}, the others switched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
