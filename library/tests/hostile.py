"""A hostile HTTP server for the tests: plain sockets on 127.0.0.1, one thread a connection.

Each `Behaviour` answers a request the way a broken gateway or an attacker might:
trickling bytes, streaming forever, compression bombs, absurd JSON, echoing the request's
headers. Every loop here is bounded in count and in time (`MAX_SERVE_S`), and stops when
the client goes away or the server is closed.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs

MAX_SERVE_S = 20.0  # no behaviour serves one connection for longer
_GZIP_WBITS = 16 + zlib.MAX_WBITS


@attrs.define
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased


Behaviour = Callable[[socket.socket, Request, threading.Event], None]


class HostileServer:
    """Answers every request on one listening socket with `behaviour`; `requests` records
    what arrived. Use as a context manager: `base_url` is valid inside."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> HostileServer:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = _read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                self.behaviour(conn, request, self._stop)
            except OSError:  # the client went away: that is the point of most behaviours
                return


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or len(data) > 1_000_000:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return Request(method, path, headers)


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reply(body: bytes, *, status: int = 200, headers: dict[str, str] | None = None) -> Behaviour:
    """A fixed reply, sent at once."""

    def answer(conn: socket.socket, _request: Request, _stop: threading.Event) -> None:
        all_headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        conn.sendall(_head(status, {**all_headers, **(headers or {})}) + body)

    return answer


def trickle_body(body: bytes, *, every_s: float = 0.2) -> Behaviour:
    """Correct headers at once, then the body a byte at a time."""

    def answer(conn: socket.socket, _request: Request, stop: threading.Event) -> None:
        conn.sendall(_head(200, {"Content-Length": str(len(body))}))
        ends = time.monotonic() + MAX_SERVE_S
        for byte in body:
            if stop.wait(every_s) or time.monotonic() > ends:
                return
            conn.sendall(bytes([byte]))

    return answer


def trickle_headers(*, every_s: float = 0.2) -> Behaviour:
    """A status line, then one header that never ends, a byte at a time."""

    def answer(conn: socket.socket, _request: Request, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Pad: ")
        ends = time.monotonic() + MAX_SERVE_S
        while not stop.wait(every_s) and time.monotonic() < ends:
            conn.sendall(b"a")

    return answer


def endless_chunks(*, status: int = 200, chunk: bytes = b"[" * 65536) -> Behaviour:
    """A chunked body that never ends (until the client leaves or MAX_SERVE_S)."""

    def answer(conn: socket.socket, _request: Request, stop: threading.Event) -> None:
        conn.sendall(_head(status, {"Transfer-Encoding": "chunked"}))
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        ends = time.monotonic() + MAX_SERVE_S
        while not stop.is_set() and time.monotonic() < ends:
            conn.sendall(framed)

    return answer


@functools.cache
def gzip_bomb(decoded_mib: int) -> bytes:
    """A gzip body of about a thousandth of its decoded size: `decoded_mib` MiB of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, _GZIP_WBITS)
    block = bytes(1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(decoded_mib)) + compressor.flush()


def gzipped(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, _GZIP_WBITS)
    return compressor.compress(data) + compressor.flush()


def echo_success(render: Callable[[str], bytes]) -> Behaviour:
    """An HTTP 200 made by `render` from every request header, quoted as text."""

    def answer(conn: socket.socket, request: Request, _stop: threading.Event) -> None:
        quoted = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
        body = render(quoted)
        conn.sendall(_head(200, {"Content-Length": str(len(body))}) + body)

    return answer


def echo_status_line() -> Behaviour:
    """Not HTTP at all: a 'status line' made of the request's headers."""

    def answer(conn: socket.socket, request: Request, _stop: threading.Event) -> None:
        quoted = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
        conn.sendall(f"HTTP/1.1 {quoted}\r\n\r\n".encode("latin-1"))

    return answer


@contextmanager
def serving(behaviour: Behaviour) -> Iterator[HostileServer]:
    with HostileServer(behaviour) as server:
        yield server
