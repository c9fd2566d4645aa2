"""Canary of the mock's one reach into uvicorn's internals (`_protocol.py`).

uvicorn has no public route to a JSON 400 for malformed HTTP or to a request-head deadline,
so `MockHttpProtocol` subclasses uvicorn's h11 protocol. This fails, naming the installed
uvicorn version, when a method or attribute the subclass relies on moves.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from kucoin_futures_mock import MockKucoin, create_app
from kucoin_futures_mock._protocol import SEAM_ATTRIBUTES, SEAM_METHODS, MockHttpProtocol
from kucoin_futures_mock._server import server_config

MOVED = f"uvicorn {uvicorn.__version__} moved the seam kucoin_futures_mock/_protocol.py uses"


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name in ("peername", "sockname") else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def test_the_methods_the_protocol_overrides_are_still_uvicorns() -> None:
    for name in SEAM_METHODS:
        assert callable(getattr(H11Protocol, name, None)), f"{MOVED}: H11Protocol.{name} is gone"
        ours = inspect.signature(getattr(MockHttpProtocol, name))
        theirs = inspect.signature(getattr(H11Protocol, name))
        assert list(ours.parameters) == list(theirs.parameters), (
            f"{MOVED}: H11Protocol.{name}{theirs} (ours: {ours})"
        )


def test_the_attributes_it_reads_exist_and_a_malformed_request_gets_the_json_400() -> None:
    loop = asyncio.new_event_loop()
    try:
        config = server_config(create_app(MockKucoin()), "127.0.0.1", 0)
        config.load()
        protocol = MockHttpProtocol(
            config=config, server_state=ServerState(), app_state={}, _loop=loop
        )
        transport = _Transport()
        protocol.connection_made(transport)
        for name in SEAM_ATTRIBUTES:
            assert hasattr(protocol, name), f"{MOVED}: H11Protocol has no attribute {name}"
        assert isinstance(protocol.conn, h11.Connection), f"{MOVED}: conn is not h11's"
        assert protocol.timeout_keep_alive == config.timeout_keep_alive, MOVED
        protocol.data_received(b"NOT HTTP AT ALL\r\n\r\n")
        assert transport.written.startswith(b"HTTP/1.1 400"), f"{MOVED}: {transport.written!r}"
        assert transport.written.endswith(b'{"code":"400100","msg":"malformed HTTP request"}')
        assert transport.closed
        protocol.connection_lost(None)
    finally:
        loop.close()
