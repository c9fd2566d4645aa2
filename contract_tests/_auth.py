"""Signing the requests schemathesis sends (with `requests`), over their exact bytes.

Test-only: the runtime wheel signs with httpx (`kucoin_futures_auth.KucoinAuth`). Both
adapters call the one signing function, `kucoin_futures_auth.kucoin_headers`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests.auth

from kucoin_futures_auth import Clock, Credentials, kucoin_headers, signing_path
from kucoin_futures_auth.verify import REQUIRED_HEADERS

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


class GeneratedRequestSigner(requests.auth.AuthBase):
    """Signs every generated request that is meant to carry credentials, over its exact bytes.

    openapi.yaml declares the five KC-API-* headers as security schemes, so schemathesis puts
    a placeholder value in each of them. A request that has all five gets them replaced by a
    real signature from `KucoinRequestsAuth`, whatever its body (raw, malformed or none).

    A negative case that drops some of them tests the gateway's "missing header" answer, and
    is sent as generated. schemathesis already skips auth when it drops one named header, but
    not when it negates the header set as a whole (`required` of the header object); signing
    that case anyway would turn it into a valid request the server rightly accepts, and
    `negative_data_rejection` would blame the server.
    """

    def __init__(self, credentials: Credentials, clock: Clock | None = None) -> None:
        self._sign = KucoinRequestsAuth(credentials, clock)

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        if all(name in request.headers for name in REQUIRED_HEADERS):
            return self._sign(request)
        return request

    def __repr__(self) -> str:
        return f"GeneratedRequestSigner({self._sign.credentials!r})"
