"""Reading a request body with a size cap (shared by the KuCoin routes and the admin API)."""

from __future__ import annotations

from starlette.types import Receive


class ClientDisconnected(Exception):
    """The client went away before its request body was read."""


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None if it exceeds `limit` bytes.

    An oversized body is still read (and dropped) up to 64 times `limit`: a client that
    is still sending when the server closes the connection may never see the refusal.
    """
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
