"""Signing the requests schemathesis generates, with the auth plugin's `requests` adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests.auth

from kucoin_futures_auth import Clock, Credentials
from kucoin_futures_auth.requests_auth import KucoinRequestsAuth
from kucoin_futures_auth.verify import REQUIRED_HEADERS

if TYPE_CHECKING:
    from requests import PreparedRequest


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
