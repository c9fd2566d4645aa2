"""The HTTP/1.1 protocol the mock serves with: uvicorn's h11 protocol with two guards.

- **Malformed HTTP** (h11 cannot parse the request: a bad request line or header, an
  invalid Content-Length, a head that is still incomplete after h11's 16 KiB buffer
  limit; a longer head that arrives whole is parsed normally) is answered with a
  KuCoin-style JSON 400 `400100`, where uvicorn sends plain text, then the connection
  closes. The app never sees such a request, so it is neither charged nor recorded.
- **Request deadline.** uvicorn closes a keep-alive connection idle for
  `timeout_keep_alive` seconds after a reply, but a connection that never sends a whole
  request head (nothing at all, or a byte now and then) would stay open for ever. Here,
  whenever no request is being answered, the client has `timeout_keep_alive` seconds,
  from the connection's start or from the last reply, to complete its next request;
  otherwise the connection closes. That also covers a body nobody reads any more (the
  reply went out before it, e.g. a 404). A body the app is still waiting for is bounded
  by the app itself (`read_body`'s deadline answers 408).

httptools, when installed, is not used: these guards are written against h11 (uvicorn's
pure-Python protocol, always installed with it).

Why this is a seam, not public API: uvicorn has no public route to either guard. Its
documented options give the protocol class (`Config(http=...)`, used here), the keep-alive
timeout (after a reply only) and h11's head size limit, but no deadline for a request head
and no way to shape the reply to malformed HTTP (a plain-text 400 sent before any ASGI app
or middleware sees the request). So this module subclasses uvicorn's `H11Protocol` (uvicorn
0.54.0) and relies on its `connection_made`, `on_response_complete`, `connection_lost` and
`send_400_response` methods and its `conn`, `cycle`, `transport`, `loop` and
`timeout_keep_alive` attributes. `mock_server/tests/test_protocol_seam.py` is the canary:
it fails naming the installed uvicorn version when any of them moves.
"""

from __future__ import annotations

import asyncio
from typing import Final

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MALFORMED_REPLY: Final = b'{"code":"400100","msg":"malformed HTTP request"}'
# What this module overrides or reads of H11Protocol (the canary test checks each).
SEAM_METHODS: Final = (
    "connection_made",
    "on_response_complete",
    "connection_lost",
    "send_400_response",
)
SEAM_ATTRIBUTES: Final = ("conn", "cycle", "transport", "loop", "timeout_keep_alive")


class MockHttpProtocol(H11Protocol):
    _request_deadline: asyncio.TimerHandle | None = None

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        self._arm_request_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_request_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_request_deadline()
        super().connection_lost(exc)

    def _arm_request_deadline(self) -> None:
        self._cancel_request_deadline()
        if not self.transport.is_closing():
            self._request_deadline = self.loop.call_later(
                self.timeout_keep_alive, self._request_deadline_passed
            )

    def _cancel_request_deadline(self) -> None:
        if self._request_deadline is not None:
            self._request_deadline.cancel()
            self._request_deadline = None

    def _request_deadline_passed(self) -> None:
        self._request_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered; the app bounds its own body read
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            # No complete request head yet, or the rest of a body that was answered already.
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(MALFORMED_REPLY)),
            (b"connection", b"close"),
        ]
        events = [
            h11.Response(status_code=400, headers=headers),
            h11.Data(data=MALFORMED_REPLY),
            h11.EndOfMessage(),
        ]
        try:
            output = b"".join(self.conn.send(event) or b"" for event in events)
        except h11.LocalProtocolError:  # a reply had already started: only closing is left
            output = b""
        if output:
            self.transport.write(output)
        self.transport.close()
