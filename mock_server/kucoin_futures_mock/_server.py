"""Running the app under uvicorn: in a background thread (tests, demo, benchmarks) or in the
foreground (the console script)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import uvicorn

from kucoin_futures_auth import Credentials
from kucoin_futures_auth.verify import Verifier

from ._app import create_app, install_reset_log_filter
from ._body import REQUEST_TIMEOUT_S
from ._protocol import MockHttpProtocol
from ._state import MockKucoin

_STARTUP_TIMEOUT_S = 10.0
_SHUTDOWN_TIMEOUT_S = 5.0


@attrs.frozen
class RunningMock:
    """A mock server that is up: where it listens and the handle to its state."""

    base_url: str
    """Where it listens, `http://127.0.0.1:PORT`."""
    mock: MockKucoin
    """The state it answers from: change it between requests, read it after them."""

    @property
    def credentials(self) -> Credentials:
        """The default account's credentials (they sign requests the mock accepts)."""
        return self.mock.default_account.credentials


def server_config(
    app: Any,
    host: str,
    port: int,
    *,
    request_timeout_s: float = REQUEST_TIMEOUT_S,
    **overrides: Any,
) -> uvicorn.Config:
    """Lean uvicorn settings: no access log, no lifespan, no websockets, no Server header.

    The protocol is `MockHttpProtocol` (h11 with a JSON 400 for malformed HTTP and a
    deadline for each request head); `request_timeout_s` is that deadline and the
    keep-alive timeout (pass the app's own value).
    """
    settings: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": MockHttpProtocol,
        "timeout_keep_alive": request_timeout_s,
        "ws": "none",
        "lifespan": "off",
        "access_log": False,
        "log_level": "warning",
        "server_header": False,
        "timeout_graceful_shutdown": 2,
    }
    settings.update(overrides)
    return uvicorn.Config(app, **settings)


def bind_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for the server to listen on (port 0: the OS picks a free one).

    Created with an explicit IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted
    connections only when the listening socket says it is TCP, and without it Nagle's
    algorithm meets delayed ACKs and every reply stalls ~40 ms.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def base_url_of(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class ReadyServer(uvicorn.Server):
    """A uvicorn server that calls `on_ready` once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()


@contextlib.contextmanager
def serve_in_thread(
    mock: MockKucoin | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    verify: Verifier | None = None,
    admin: bool = True,
    request_timeout_s: float = REQUEST_TIMEOUT_S,
) -> Iterator[RunningMock]:
    """Serve the mock with uvicorn in a daemon thread until the `with` block ends.

    `port=0` picks a free port; the block starts only once the server accepts
    connections. `admin=False` leaves out the admin API (`/_mock/`). A client has
    `request_timeout_s` seconds to send each request (head, then body) and keeps an idle
    connection that long. Logging is left to the host process (uvicorn's own config is
    not applied).

        with serve_in_thread() as running:
            httpx.get(running.base_url + "/api/v1/timestamp")
    """
    mock = MockKucoin() if mock is None else mock
    app = create_app(mock, verify=verify, admin=admin, request_timeout_s=request_timeout_s)
    config = server_config(app, host, port, request_timeout_s=request_timeout_s, log_config=None)
    install_reset_log_filter()
    sock = bind_socket(host, port)
    ready = threading.Event()
    server = ReadyServer(config, ready.set)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="kucoin-futures-mock", daemon=True
    )
    try:
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not ready.wait(0.01):
            if not thread.is_alive():
                raise RuntimeError("the mock server failed to start (see the log)")
            if time.monotonic() > deadline:
                raise RuntimeError("the mock server did not start in time")
        yield RunningMock(base_url_of(host, sock), mock)
    finally:
        server.should_exit = True
        if thread.is_alive():
            thread.join(_SHUTDOWN_TIMEOUT_S)
        sock.close()
