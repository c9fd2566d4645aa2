"""A check schemathesis lacks: a request the server accepted must be refused once forged.

`ignored_auth` only proves that the gateway wants the KC-API-* headers *present*: it
strips them all and then sets one. A server that never verifies the signature, the
passphrase or the timestamp window passes it. So, for the first request of each signed
operation that the server accepts in a run, this check sends the same request again
three times, each signed for real and then forged in one way, and requires the
gateway's refusal: HTTP 401 with the code openapi.yaml documents for that forgery.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

import attrs
import requests.auth
import schemathesis

from kucoin_futures_auth import Clock, Credentials

from ._auth import KucoinRequestsAuth

if TYPE_CHECKING:
    from requests import PreparedRequest

CHECK_NAME: Final = "forged_credentials_rejected"
# More than the gateway's 5 s window, so a correct signature of this time must be refused.
STALE_MS: Final = 30_000


@attrs.frozen
class Forgery:
    """One way to forge a signed request, and the gateway code that must refuse it."""

    name: str
    expected_code: str
    tamper: Callable[[dict[str, str]], None] = lambda _headers: None
    clock_offset_ms: int = 0


def _corrupt(header: str) -> Callable[[dict[str, str]], None]:
    def tamper(headers: dict[str, str]) -> None:
        value = headers[header]
        # Another valid base64 value of the same length: only the content is wrong.
        headers[header] = ("B" if value[0] == "A" else "A") + value[1:]

    return tamper


FORGERIES: Final = (
    Forgery("KC-API-SIGN of other bytes", "400005", _corrupt("KC-API-SIGN")),
    Forgery("KC-API-PASSPHRASE of another passphrase", "400004", _corrupt("KC-API-PASSPHRASE")),
    Forgery("correctly signed, 30 s old", "400002", clock_offset_ms=-STALE_MS),
)


class _ForgingSigner(requests.auth.AuthBase):
    def __init__(self, credentials: Credentials, forgery: Forgery) -> None:
        clock = Clock(offset_ms=forgery.clock_offset_ms)
        self._sign = KucoinRequestsAuth(credentials, clock)
        self._forgery = forgery

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        self._sign(request)
        headers = dict(request.headers)
        self._forgery.tamper(headers)
        request.headers.update(headers)
        return request


@attrs.define
class _Run:
    credentials: Credentials
    confirmed: set[str] = attrs.Factory(set)


_active: _Run | None = None


@contextlib.contextmanager
def forging_for(credentials: Credentials) -> Iterator[None]:
    """Arm the check for one run, with the credentials that run signs with."""
    global _active
    _active = _Run(credentials)
    try:
        yield
    finally:
        _active = None


@schemathesis.check
def forged_credentials_rejected(ctx: Any, response: Any, case: Any) -> bool | None:
    """A signed request the server accepted is refused when its credentials are forged."""
    run = _active
    label = case.operation.label
    if run is None or response.status_code != 200 or label in run.confirmed:
        return None
    if next(iter(case.operation.security.iter_parameters()), None) is None:
        return None  # a public operation: nothing to forge
    run.confirmed.add(label)
    for forgery in FORGERIES:
        probe = _copy_of(case).call(auth=_ForgingSigner(run.credentials, forgery))
        code = _code(probe.content)
        # str(): the code's JSON type is response_schema_conformance's business, not ours.
        if probe.status_code != 401 or str(code) != forgery.expected_code:
            raise AssertionError(
                f"{label} accepted a forged request ({forgery.name}): got HTTP "
                f"{probe.status_code} code {code}, expected HTTP 401 code {forgery.expected_code}"
            )
    return None


def _copy_of(case: Any) -> Any:
    """The same request as a new case (`APIOperation.Case`, public in every 4.x release)."""
    body = case.body
    return case.operation.Case(
        method=case.method,
        path_parameters=dict(case.path_parameters or {}),
        headers=dict(case.headers or {}),
        cookies=dict(case.cookies or {}),
        query=dict(case.query or {}),
        # Containers are copied; anything else (schemathesis' "no body" marker too) is kept.
        body=copy.deepcopy(body) if isinstance(body, dict | list) else body,
        media_type=case.media_type,
    )


def _code(content: bytes) -> object:
    try:
        reply = json.loads(content)
    except ValueError:
        return None
    return reply.get("code") if isinstance(reply, dict) else None
