"""Reading a request body with a size cap and a deadline (shared by the KuCoin routes and
the admin API)."""

from __future__ import annotations

from typing import Final

import anyio
from starlette.types import Receive

REQUEST_TIMEOUT_S: Final = 10.0
"""How long a client has to send a whole request (head, then body) by default."""


class ClientDisconnected(Exception):
    """The client went away before its request body was read."""


class BodyTimeout(Exception):
    """The request body did not arrive in time (answered 408, connection closed)."""


async def read_body(receive: Receive, limit: int, deadline_s: float) -> bytes | None:
    """The whole request body, or None if it exceeds `limit` bytes.

    An oversized body is still read (and dropped) up to 64 times `limit`: a client that
    is still sending when the server closes the connection may never see the refusal.
    Raises `BodyTimeout` when the body (or that much of an oversized one) has not arrived
    within `deadline_s` seconds: a client that stalls cannot hold the request open.
    """
    try:
        with anyio.fail_after(deadline_s):
            return await _read(receive, limit)
    except TimeoutError:
        raise BodyTimeout from None


async def _read(receive: Receive, limit: int) -> bytes | None:
    drain = 64 * limit
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnected
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body if len(body) <= limit else None
    chunks = [body]
    size = len(body)
    while message.get("more_body", False) and size <= drain:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
    return b"".join(chunks) if size <= limit else None
