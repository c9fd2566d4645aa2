"""KuCoin signing as a `requests` auth, for schemathesis (which sends with requests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests.auth

from ._signing import Clock, Credentials, kucoin_headers, signing_path

if TYPE_CHECKING:
    from requests import PreparedRequest


class KucoinRequestsAuth(requests.auth.AuthBase):
    """Signs a `requests.PreparedRequest` over its final body, whatever its type.

    Negative tests send raw, malformed or missing bodies: those are signed as sent, so
    the server's rejection is about the body, never about the signature.
    """

    def __init__(self, credentials: Credentials, clock: Clock | None = None) -> None:
        self.credentials = credentials
        self.clock = clock if clock is not None else Clock()

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        body = request.body
        if body is None:
            body_bytes = b""
        elif isinstance(body, str):
            body_bytes = body.encode("utf-8")
        elif isinstance(body, bytes):
            body_bytes = body
        else:  # a file or iterator: requests would stream it, and KuCoin never takes one
            raise TypeError(f"cannot sign a streamed request body ({type(body).__name__})")
        request.headers.update(
            kucoin_headers(
                self.credentials,
                request.method or "GET",
                signing_path(request.path_url),
                body_bytes,
                self.clock.now_ms(),
            )
        )
        return request

    def __repr__(self) -> str:
        return f"KucoinRequestsAuth({self.credentials!r})"
