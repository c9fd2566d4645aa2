"""Connection hygiene, with raw sockets to 127.0.0.1: malformed HTTP gets a KuCoin-style
JSON 400, and no client can hold a connection open by sending nothing, a byte now and
then, or a body that never comes. Every wait is bounded by a socket timeout."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from kucoin_futures_mock import (
    DEMO_CREDENTIALS,
    MockKucoin,
    RunningMock,
    create_app,
    serve_in_thread,
)

from .conftest import BATCH, TIMESTAMP, signed_headers, switch_body

REQUEST_TIMEOUT_S = 0.5
# Generous: these bounds guard a hang, not speed.
CLOSE_WITHIN_S = REQUEST_TIMEOUT_S + 3.0


@pytest.fixture(scope="module")
def running_module() -> Iterator[RunningMock]:
    # One server for the module: stopping one with a hostile connection still open took
    # up to 0.5 s a test.
    with serve_in_thread(MockKucoin(), request_timeout_s=REQUEST_TIMEOUT_S) as server:
        yield server


@pytest.fixture
def running(running_module: RunningMock) -> RunningMock:
    """The module's server, its mock reset (no faults, no requests seen) for each test."""
    running_module.mock.reset()
    return running_module


def connect(running: RunningMock) -> socket.socket:
    address = urlsplit(running.base_url)
    assert address.hostname == "127.0.0.1"
    assert address.port is not None
    sock = socket.create_connection(("127.0.0.1", address.port), timeout=CLOSE_WITHIN_S)
    sock.settimeout(CLOSE_WITHIN_S)
    return sock


def read_until_closed(sock: socket.socket, limit: int = 1 << 20) -> bytes:
    """Everything the server sends until it closes (a socket timeout fails the test)."""
    received = b""
    deadline = time.monotonic() + CLOSE_WITHIN_S
    while len(received) < limit:
        if time.monotonic() > deadline:
            pytest.fail(f"the server kept the connection open; got {received[:200]!r}")
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"the server kept the connection open; got {received[:200]!r}")
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return received


def split_reply(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


# ---- malformed HTTP ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET /api/v1/timestamp HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
        b"POST " + BATCH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST " + BATCH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
        b"Content-Length: 2\r\n\r\n",
        # A head still incomplete past uvicorn's 16 KiB limit.
        b"GET /api/v1/timestamp HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000,
        b"GET /api/v1/timestamp HTTP/1.1\r\n\x00\x01\x02: \xff\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # a TLS ClientHello
    ],
    ids=["garbage", "no-colon", "bad-length", "two-lengths", "huge-head", "binary", "tls"],
)
def test_malformed_http_gets_a_kucoin_style_json_400_then_the_close(
    running: RunningMock, request_bytes: bytes
) -> None:
    with connect(running) as sock:
        sock.sendall(request_bytes)
        status, headers, body = split_reply(read_until_closed(sock))
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert json.loads(body) == {"code": "400100", "msg": "malformed HTTP request"}
    assert int(headers["content-length"]) == len(body)
    assert running.mock.requests_seen == 0, "never reached the app"


def test_a_good_request_on_the_same_server_still_works(running: RunningMock) -> None:
    with connect(running) as sock:
        sock.sendall(b"GET /api/v1/timestamp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, _, body = split_reply(read_until_closed(sock))
    assert status == 200
    assert json.loads(body)["code"] == "200000"


# ---- the request deadline -----------------------------------------------------------------


def _closed_after(sock: socket.socket, trickle: bytes = b"") -> tuple[float, bytes]:
    """Seconds until the server closed `sock`, sending `trickle` a byte at a time."""
    started = time.monotonic()
    received = b""
    sock.settimeout(0.05)
    for byte in trickle:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started, received
        try:
            chunk = sock.recv(65536)
            if not chunk:
                return time.monotonic() - started, received
            received += chunk
        except TimeoutError:
            pass
        if time.monotonic() - started > CLOSE_WITHIN_S:
            pytest.fail("the server kept a trickling connection open")
    sock.settimeout(CLOSE_WITHIN_S)
    received += read_until_closed(sock)
    return time.monotonic() - started, received


def test_a_connection_that_sends_nothing_is_closed(running: RunningMock) -> None:
    with connect(running) as sock:
        elapsed, received = _closed_after(sock)
    assert received == b""
    assert REQUEST_TIMEOUT_S * 0.8 <= elapsed < CLOSE_WITHIN_S


def test_a_head_trickled_a_byte_at_a_time_is_closed(running: RunningMock) -> None:
    head = b"GET /api/v1/timestamp HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
    with connect(running) as sock:
        elapsed, received = _closed_after(sock, head)
    assert received == b""
    assert elapsed < CLOSE_WITHIN_S
    assert running.mock.requests_seen == 0


def _stalled_body_request(path: str, declared: int, sent: bytes) -> bytes:
    headers = signed_headers(DEMO_CREDENTIALS, "POST", path, sent)
    lines = [f"POST {path} HTTP/1.1", "Host: x", "Content-Type: application/json",
             f"Content-Length: {declared}", *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + sent


@pytest.mark.parametrize(
    ("path", "reply"),
    [
        (BATCH, {"code": "408000", "msg": f"body: not received within {REQUEST_TIMEOUT_S:g} s"}),
        ("/_mock/faults", {"error": f"body: not received within {REQUEST_TIMEOUT_S:g} s"}),
    ],
    ids=["signed", "admin"],
)
def test_a_body_that_stops_coming_is_answered_408_and_closed(
    running: RunningMock, path: str, reply: dict[str, str]
) -> None:
    with connect(running) as sock:
        started = time.monotonic()
        sock.sendall(_stalled_body_request(path, 500, b'{"marginMode":'))
        status, headers, body = split_reply(read_until_closed(sock))
        elapsed = time.monotonic() - started
    assert status == 408
    assert headers["connection"] == "close"
    assert json.loads(body) == reply
    assert REQUEST_TIMEOUT_S * 0.8 <= elapsed < CLOSE_WITHIN_S


def test_a_body_trickled_to_a_signed_route_is_answered_408(running: RunningMock) -> None:
    with connect(running) as sock:
        sock.sendall(_stalled_body_request(BATCH, 100_000, b""))
        elapsed, received = _closed_after(sock, b" " * 10_000)
    status, _, body = split_reply(received)
    assert (status, json.loads(body)["code"]) == (408, "408000")
    assert elapsed < CLOSE_WITHIN_S


def test_an_unread_body_after_a_404_cannot_hold_the_connection(running: RunningMock) -> None:
    # The 404 goes out without reading the body; the rest of it must not keep the
    # connection open either.
    request = b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nab"
    with connect(running) as sock:
        sock.sendall(request)
        elapsed, received = _closed_after(sock, b"c" * 10_000)
    status, _, _ = split_reply(received)
    assert status == 404
    assert elapsed < CLOSE_WITHIN_S


def test_an_idle_keep_alive_connection_is_closed_after_a_reply(running: RunningMock) -> None:
    with connect(running) as sock:
        sock.sendall(b"GET " + TIMESTAMP.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        received = read_until_closed(sock)
        elapsed = time.monotonic() - started
    assert split_reply(received)[0] == 200
    assert elapsed < CLOSE_WITHIN_S


def test_a_slow_reply_is_not_cut_by_the_request_deadline(running: RunningMock) -> None:
    # The deadline bounds what the client sends, not how long the mock takes to answer.
    running.mock.inject("latency", count=1, ms=int(REQUEST_TIMEOUT_S * 2000))
    body = switch_body("ISOLATED", ["ETHUSDTM"])
    request = _stalled_body_request(BATCH, len(body), body).replace(
        b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n"
    )
    with connect(running) as sock:
        sock.sendall(request)
        status, _, reply = split_reply(read_until_closed(sock))
    assert status == 200, reply
    assert json.loads(reply)["code"] == "200000"


def test_keep_alive_serves_several_requests_within_the_deadline(running: RunningMock) -> None:
    with connect(running) as sock:
        for _ in range(3):
            sock.sendall(b"GET " + TIMESTAMP.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            received = b""
            while b'"}' not in received and b"}" not in received.partition(b"\r\n\r\n")[2]:
                chunk = sock.recv(65536)
                assert chunk, "closed while still in use"
                received += chunk
            assert split_reply(received)[0] == 200
            time.sleep(REQUEST_TIMEOUT_S / 3)


def test_the_request_timeout_must_be_positive_and_finite() -> None:
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="request_timeout_s"):
            create_app(MockKucoin(), request_timeout_s=bad)
