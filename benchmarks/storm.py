"""The 429 storm, timed for real: `python -m benchmarks.storm`.

A loopback server answers every request with HTTP 429 and no usable `gw-ratelimit-reset`
(missing, or -5); `get_margin_modes` / `aget_margin_modes` of 10 symbols with
`deadline_s=5` must end within about 10 s, sending nothing once the deadline passed.
Prints one line per case: a measurement, not a test (the library's tests check the same
bound on a fake clock, `test_call_deadline.py`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from kucoin_futures import Credentials, aget_margin_modes, futures_client, get_margin_modes

SYMBOLS = [f"S{n}USDTM" for n in range(10)]
DEADLINE_S = 5.0
REFUSAL = b'{"code":"429000","msg":"Too Many Requests"}'


class _Storm(BaseHTTPRequestHandler):
    reset: ClassVar[str | None] = None
    sent: ClassVar[list[float]] = []

    def do_GET(self) -> None:
        self.sent.append(time.monotonic())
        self.send_response(429)
        if self.reset is not None:
            self.send_header("gw-ratelimit-reset", self.reset)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(REFUSAL)))
        self.end_headers()
        self.wfile.write(REFUSAL)

    def log_message(self, format: str, *args: Any) -> None:
        pass


async def _read_async(client: Any) -> Any:
    async with client:
        return await aget_margin_modes(client, SYMBOLS, deadline_s=DEADLINE_S)


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Storm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    credentials = Credentials("storm-key", "storm-secret", "storm-passphrase")
    try:
        for reset in (None, "-5"):
            _Storm.reset = reset
            for kind in ("sync", "async"):
                _Storm.sent.clear()
                client = futures_client(credentials, base_url=base_url)
                started = time.monotonic()
                if kind == "sync":
                    with client:
                        readout = get_margin_modes(client, SYMBOLS, deadline_s=DEADLINE_S)
                else:
                    readout = asyncio.run(_read_async(client))
                elapsed = time.monotonic() - started
                late = sum(t > started + DEADLINE_S for t in _Storm.sent)
                print(
                    f"429 storm, reset {reset or 'missing'}, {kind}: {len(SYMBOLS)} symbols, "
                    f"deadline_s={DEADLINE_S:g}: {elapsed:.2f} s, {len(_Storm.sent)} requests "
                    f"({late} after the deadline), {len(readout.failed)} failed"
                )
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
