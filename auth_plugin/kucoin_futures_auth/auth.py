"""KuCoin signing as an `httpx.Auth`, for the generated client's sync and async httpx clients."""

from __future__ import annotations

from collections.abc import Generator

import httpx

from ._signing import Clock, Credentials, kucoin_headers, signing_path


class KucoinAuth(httpx.Auth):
    """Adds the KC-API-* headers to every request, signed over the exact body bytes sent.

    One generator flow serves `httpx.Client` and `httpx.AsyncClient` alike. Each time
    httpx runs the flow (every attempt of a retried request), the timestamp and
    signature are computed afresh.
    """

    requires_request_body = True
    """Tells httpx to read the body before the flow runs: the signature covers it."""

    def __init__(self, credentials: Credentials, clock: Clock | None = None) -> None:
        self.credentials = credentials
        """The account every request is signed for."""
        self.clock = clock if clock is not None else Clock()
        """The source of KC-API-TIMESTAMP; clock sync corrects its offset."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """httpx's hook: sign `request` in place and send it once."""
        request.headers.update(self.headers_for(request))
        yield request

    def headers_for(self, request: httpx.Request) -> dict[str, str]:
        """The KC-API-* headers for `request` as it will be sent, at the clock's time now."""
        return kucoin_headers(
            self.credentials,
            request.method,
            signing_path(request.url.raw_path.decode("ascii")),
            request.content,
            self.clock.now_ms(),
        )

    def __repr__(self) -> str:
        return f"KucoinAuth({self.credentials!r})"
