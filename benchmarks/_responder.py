"""The floor: a loopback HTTP/1.1 responder in raw asyncio, run in its own process.

It answers every request on a port with the same precomputed bytes (one port per batch
size), never parses JSON and never checks a signature, so whatever a client measures
against it is the client's own cost.

    python -m benchmarks._responder 1 2 10 100 1000

prints `listening SIZE http://127.0.0.1:PORT` per size, then `ready`, and serves until
killed. Size 0 (`READ_PORT`) answers the read (getMarginMode) instead of a batch.
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial

from ._workload import READ_PORT, read_reply_body, reply_body

_HEADER_END = b"\r\n\r\n"
_CONTENT_LENGTH = b"\r\ncontent-length:"


def http_reply(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "gw-ratelimit-limit: 2000\r\n"
        "gw-ratelimit-remaining: 1998\r\n"
        "gw-ratelimit-reset: 29000\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class _Responder(asyncio.Protocol):
    """Keep-alive, pipelining-safe: each complete request (head + Content-Length body)
    gets one copy of the reply."""

    def __init__(self, reply: bytes) -> None:
        self._reply = reply
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while (head_end := buffer.find(_HEADER_END)) >= 0:
            head = bytes(buffer[:head_end]).lower()
            length = 0
            if (start := head.find(_CONTENT_LENGTH)) >= 0:
                start += len(_CONTENT_LENGTH)
                stop = head.find(b"\r\n", start)
                length = int(head[start : stop if stop >= 0 else len(head)])
            request_end = head_end + len(_HEADER_END) + length
            if len(buffer) < request_end:
                return
            del buffer[:request_end]
            assert self._transport is not None
            self._transport.write(self._reply)


async def serve(sizes: list[int], host: str = "127.0.0.1") -> None:
    loop = asyncio.get_running_loop()
    servers = []
    for size in sizes:
        reply = http_reply(read_reply_body() if size == READ_PORT else reply_body(size))
        server = await loop.create_server(partial(_Responder, reply), host, 0)
        port = server.sockets[0].getsockname()[1]
        print(f"listening {size} http://{host}:{port}", flush=True)
        servers.append(server)
    print("ready", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


def main(argv: list[str]) -> None:
    asyncio.run(serve([int(arg) for arg in argv]))


if __name__ == "__main__":
    main(sys.argv[1:])
