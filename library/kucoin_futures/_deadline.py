"""One deadline per attempt, from connecting to the last byte of the reply.

httpx's timeouts bound each socket operation, not the attempt: a server that trickles a
byte a second never trips a 10 s read timeout. The async client puts the whole attempt
in a cancel scope (`anyio.fail_after`). A sync call cannot be cancelled from outside, so
the sync client's connections are made through `DeadlineBackend`: every read, write and
connect of the attempt gets at most the time left until the attempt's deadline, and
fails with a timeout once it has passed.
"""

from __future__ import annotations

import contextvars
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpcore
import httpx

from ._defaults import MAX_TIMEOUT_S

ATTEMPT_DEADLINE: Final[contextvars.ContextVar[float | None]] = contextvars.ContextVar(
    "kucoin_futures_attempt_deadline", default=None
)


def attempt_deadline_s(timeout: httpx.Timeout) -> float:
    """The time one attempt may take, connect to last byte: the connect timeout plus the
    read timeout (a missing part counts as `MAX_TIMEOUT_S`)."""
    connect = timeout.connect if timeout.connect is not None else MAX_TIMEOUT_S
    read = timeout.read if timeout.read is not None else MAX_TIMEOUT_S
    return connect + read


@contextmanager
def attempt_deadline(seconds: float) -> Iterator[float]:
    """Sets the deadline that `DeadlineBackend` streams obey for the attempt inside; yields
    it (a `time.monotonic()` value)."""
    deadline = time.monotonic() + seconds
    token = ATTEMPT_DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        ATTEMPT_DEADLINE.reset(token)


def _time_left(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = ATTEMPT_DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the attempt's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose streams obey the current attempt's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._backend.connect_tcp(host, port, left, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def obey_deadlines(transport: httpx.BaseTransport) -> bool:
    """Makes an `httpx.HTTPTransport`'s connections obey attempt deadlines; returns
    whether it could (another transport, e.g. a test's MockTransport, is left alone: the
    client still checks the deadline between the chunks of the body).

    httpx offers no public way to give a transport a network backend, so this reaches
    into `HTTPTransport._pool._network_backend` (httpx 0.28, httpcore 1.0, both pinned);
    a test fails if an upgrade moves them.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):
        return False
    if not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
    return True
