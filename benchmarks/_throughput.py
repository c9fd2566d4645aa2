"""Mock throughput: signed requests per second over several keep-alive connections.

The load generator is raw asyncio, so it stays far cheaper than the server it measures.
Every request carries a valid, fresh signature (the mock rejects a timestamp more than
5 s old), but the signed head is rebuilt only when the millisecond timestamp changes:
requests sent within one millisecond share it, as they legitimately may.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

from contract_tests.operations import BATCH_PATH as PATH
from kucoin_futures_auth import kucoin_headers

from ._workload import BENCH_CREDENTIALS, request_body

_HEADER_END = b"\r\n\r\n"
_CONTENT_LENGTH = b"\r\ncontent-length:"
_SUCCESS = b'"code":"200000"'


class _SignedRequest:
    def __init__(self, host: str, size: int) -> None:
        self._body = request_body(size)
        self._head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(self._body)}\r\n"
        ).encode()
        self._timestamp = -1
        self._bytes = b""
        self.signatures = 0

    def current(self) -> bytes:
        now = int(time.time() * 1000)
        if now != self._timestamp:
            headers = kucoin_headers(BENCH_CREDENTIALS, "POST", PATH, self._body, now)
            lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            self._bytes = self._head + lines.encode() + b"\r\n" + self._body
            self._timestamp = now
            self.signatures += 1
        return self._bytes


@dataclass
class _Tally:
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    running: bool = True


class _LoadConnection(asyncio.Protocol):
    """Sends one request, waits for the whole reply, sends the next, until stopped."""

    def __init__(self, request: _SignedRequest, tally: _Tally, done: asyncio.Future[None]):
        self._request = request
        self._tally = tally
        self._done = done
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._request.current())

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        head_end = buffer.find(_HEADER_END)
        if head_end < 0:
            return
        head = bytes(buffer[:head_end]).lower()
        start = head.find(_CONTENT_LENGTH) + len(_CONTENT_LENGTH)
        stop = head.find(b"\r\n", start)
        length = int(head[start : stop if stop >= 0 else len(head)])
        reply_end = head_end + len(_HEADER_END) + length
        if len(buffer) < reply_end:
            return
        status = head[9:12].decode()
        if status == "200" and _SUCCESS in buffer[head_end:reply_end]:
            self._tally.ok += 1
        else:
            self._tally.failed[status] = self._tally.failed.get(status, 0) + 1
        del buffer[:reply_end]
        assert self._transport is not None
        if self._tally.running:
            self._transport.write(self._request.current())
        else:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._done.done():
            self._done.set_result(None)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (0.0 where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(
    base_url: str, size: int, connections: int, warmup_s: float, duration_s: float, pid: int
) -> dict[str, object]:
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    loop = asyncio.get_running_loop()
    request = _SignedRequest(f"{host}:{port}", size)
    tally = _Tally()
    finished = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        await loop.create_connection(partial(_LoadConnection, request, tally, done), host, port)
        finished.append(done)
    await asyncio.sleep(warmup_s)
    ok_before, failed_before = tally.ok, sum(tally.failed.values())
    server_cpu, own_cpu, start = _cpu_seconds(pid), time.process_time(), time.perf_counter()
    await asyncio.sleep(duration_s)
    elapsed = time.perf_counter() - start
    ok, failed = tally.ok - ok_before, sum(tally.failed.values()) - failed_before
    server_busy = (_cpu_seconds(pid) - server_cpu) / elapsed
    own_busy = (time.process_time() - own_cpu) / elapsed
    tally.running = False
    await asyncio.wait_for(asyncio.gather(*finished), timeout=10)
    if server_busy >= 0.9:
        limited_by = "the server (its core was busy)"
    elif own_busy >= 0.9:
        limited_by = "the load generator: a lower bound"
    else:
        limited_by = "neither core was saturated: other processes took CPU, a lower bound"
    return {
        "requests_per_s": ok / elapsed,
        "limited_by": limited_by,
        "ok": ok,
        "failed": failed,
        "failed_by_status": dict(tally.failed),
        "seconds": elapsed,
        "connections": connections,
        "server_cpu_busy": server_busy,
        "load_generator_cpu_busy": own_busy,
        "signatures": request.signatures,
    }


def mock_throughput(
    base_url: str,
    *,
    server_pid: int,
    size: int = 2,
    connections: int = 8,
    warmup_s: float = 0.5,
    duration_s: float = 3.0,
) -> dict[str, object]:
    """Successful signed requests per second against the server at `base_url`.

    Also reports how busy the server's process and this one were (1.0 = one full core),
    which shows which side limited the figure.
    """
    return asyncio.run(_drive(base_url, size, connections, warmup_s, duration_s, server_pid))
