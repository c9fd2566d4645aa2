"""Every reply that is not a success becomes the right typed error, and nothing else leaks.

The table drives the pure mapping function; the second half sends the same replies
through a real `futures_client` (httpx.MockTransport) and calls the generated operation
directly, to show the mapping sits below it.
"""

from __future__ import annotations

import json
import secrets

import httpx
import pytest

from kucoin_futures import (
    AuthenticationError,
    InvalidParameterError,
    InvalidReplyError,
    KucoinAPIError,
    KucoinError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
    set_margin_mode,
)
from kucoin_futures._errors import error_from_reply
from kucoin_futures_client.api.positions import batch_change_margin_mode
from kucoin_futures_client.models import (
    BatchChangeMarginModeRequest,
    BatchChangeMarginModeResponse,
    MarginMode,
)

from .conftest import BATCH_PATH as PATH
from .conftest import answering

HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"


def kucoin_error(code: str, msg: str = "message") -> bytes:
    return json.dumps({"code": code, "msg": msg}, separators=(",", ":")).encode()


FAMILIES: list[tuple[int, str, type[KucoinAPIError]]] = [
    *[(401, code, AuthenticationError) for code in ("400001", "400002", "400003")],
    *[(401, code, AuthenticationError) for code in ("400004", "400005", "400009")],
    *[(401, code, PermissionDeniedError) for code in ("400006", "400007", "400008")],
    (401, "400010", PermissionDeniedError),
    (401, "411100", PermissionDeniedError),
    *[(400, code, InvalidParameterError) for code in ("100001", "300000", "400100")],
    (200, "200003", InvalidParameterError),
    (404, "404000", InvalidParameterError),
    (429, "429000", RateLimitError),
    (200, "200002", RateLimitError),
    (429, "1015", RateLimitError),
    (500, "500000", ServerError),
    (503, "503000", ServerError),  # any 5xx, whatever the code
    (502, "123456", ServerError),
]


@pytest.mark.parametrize(("status", "code", "expected"), FAMILIES)
def test_each_code_family_maps_to_its_class(
    status: int, code: str, expected: type[KucoinAPIError]
) -> None:
    error = error_from_reply(status, httpx.Headers(), kucoin_error(code, "why"))
    assert type(error) is expected
    assert isinstance(error, KucoinAPIError)
    assert (error.code, error.msg, error.status) == (code, "why", status)
    assert f"KuCoin error {code}: why (HTTP {status})" in str(error)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, KucoinAPIError),
        (400, InvalidParameterError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, InvalidParameterError),
        (409, KucoinAPIError),
    ],
)
def test_an_unknown_code_raises_by_http_status(status: int, expected: type[KucoinAPIError]) -> None:
    error = error_from_reply(status, httpx.Headers(), kucoin_error("50002", "exist.order"))
    assert type(error) is expected
    assert error.code == "50002"


def test_business_error_with_http_200_is_typed() -> None:
    error = error_from_reply(200, httpx.Headers(), kucoin_error("300000", "illegal"))
    assert isinstance(error, InvalidParameterError)
    assert error.status == 200


def test_any_http_429_is_a_rate_limit_with_its_headers() -> None:
    headers = httpx.Headers(
        {"gw-ratelimit-limit": "2000", "gw-ratelimit-remaining": "0", "gw-ratelimit-reset": "1234"}
    )
    error = error_from_reply(429, headers, kucoin_error("429000", "Too Many Requests"))
    assert isinstance(error, RateLimitError)
    assert error.rate_limit == RateLimit(limit=2000, remaining=0, reset_ms=1234)
    assert "remaining 0 of 2000, resets in 1234 ms" in str(error)


def test_malformed_rate_limit_headers_become_none() -> None:
    headers = httpx.Headers({"gw-ratelimit-limit": "lots", "gw-ratelimit-reset": "-5"})
    assert RateLimit.from_headers(headers) == RateLimit(None, None, None)


def test_success_is_none_only_with_http_200() -> None:
    body = b'{"code":"200000","data":{"marginMode":{},"errors":[]}}'
    assert error_from_reply(200, httpx.Headers(), body) is None
    spaced = b'{ "data": {}, "code": "200000" }'
    assert error_from_reply(200, httpx.Headers(), spaced) is None
    wrong_status = error_from_reply(201, httpx.Headers(), body)
    assert isinstance(wrong_status, InvalidReplyError)
    assert wrong_status.status == 201


def test_html_502_is_a_server_error_and_an_invalid_reply() -> None:
    error = error_from_reply(502, httpx.Headers({"content-type": "text/html"}), HTML_502)
    assert isinstance(error, ServerError)
    assert isinstance(error, InvalidReplyError)
    assert (error.status, error.code) == (502, None)
    assert error.excerpt.startswith("<html><head><title>502 Bad Gateway")
    assert "502" in str(error)


def test_html_429_is_a_rate_limit_and_an_invalid_reply() -> None:
    error = error_from_reply(429, httpx.Headers({"gw-ratelimit-reset": "30000"}), b"<html>1015")
    assert isinstance(error, RateLimitError)
    assert isinstance(error, InvalidReplyError)
    assert error.rate_limit.reset_ms == 30000


@pytest.mark.parametrize(
    ("body", "retryable"),
    [
        (b'{"code":"200000","data":{"marginMo', True),  # truncated
        (b"", True),
        (b"<html>captive portal</html>", True),
        (b"\xff\xfe\x00binary", True),
        (b'{"code":200000,"data":{}}', False),  # wrong type of code
        (b'["code","200000"]', False),
        (b'{"msg":"no code"}', False),
        (b"null", False),
    ],
)
def test_reply_not_of_the_documented_shape(body: bytes, retryable: bool) -> None:
    error = error_from_reply(200, httpx.Headers(), body)
    assert type(error) is InvalidReplyError
    assert error.status == 200
    assert error.retryable is retryable
    assert len(error.excerpt) <= 200


def test_wrong_type_of_msg_keeps_the_code() -> None:
    error = error_from_reply(401, httpx.Headers(), b'{"code":"400005","msg":17}')
    assert isinstance(error, AuthenticationError)
    assert error.msg == ""


def test_redirect_is_reported_not_followed() -> None:
    error = error_from_reply(301, httpx.Headers({"location": "https://elsewhere/"}), b"")
    assert isinstance(error, InvalidReplyError)
    assert "redirect to 'https://elsewhere/' not followed" in str(error)
    assert error.retryable is False


def test_excerpt_is_short_and_redacted() -> None:
    signature = secrets.token_urlsafe(32)
    body = b"<html>" + b"x" * 150 + b"KC-API-SIGN: " + signature.encode() + b"y" * 5000
    error = error_from_reply(502, httpx.Headers(), body, redact=[signature])
    assert isinstance(error, InvalidReplyError)
    assert len(error.excerpt) == 200
    assert signature not in str(error)
    assert signature[:20] not in error.excerpt
    json_error = error_from_reply(
        401, httpx.Headers(), kucoin_error("400005", f"bad {signature}"), redact=[signature]
    )
    assert isinstance(json_error, KucoinAPIError)
    assert signature not in json_error.msg
    assert signature not in str(json_error)


# --- through the client -------------------------------------------------------------------


REQUEST = BatchChangeMarginModeRequest(margin_mode=MarginMode.ISOLATED, symbols=["XBTUSDTM"])


@pytest.mark.parametrize(("status", "code", "expected"), FAMILIES)
def test_generated_call_raises_typed_errors(
    status: int, code: str, expected: type[KucoinAPIError]
) -> None:
    client = answering(
        lambda _request: httpx.Response(status, content=kucoin_error(code)),
        retry=None,
        clock_sync=False,
    )
    with pytest.raises(expected) as info:
        batch_change_margin_mode.sync(client=client, body=REQUEST)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (502, HTML_502, ServerError),
        (200, b'{"code":"200000","data":{"margin', InvalidReplyError),
        (418, b"<html>teapot</html>", InvalidReplyError),
        (302, b"", InvalidReplyError),
    ],
)
def test_generated_call_never_sees_an_unexpected_status(
    status: int, body: bytes, expected: type[KucoinError]
) -> None:
    client = answering(
        lambda _request: httpx.Response(
            status, content=body, headers={"location": "https://evil.test/"}
        ),
        retry=None,
    )
    with pytest.raises(expected):
        batch_change_margin_mode.sync(client=client, body=REQUEST)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message"),
    ],
)
def test_transport_failures_are_transport_errors_chaining_httpx(
    failure: httpx.TransportError,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise type(failure)(str(failure), request=request)

    client = answering(handler, retry=None)
    with pytest.raises(TransportError) as info:
        batch_change_margin_mode.sync(client=client, body=REQUEST)
    assert isinstance(info.value.__cause__, type(failure))
    assert info.value.retryable
    assert PATH in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        b'{"code":"200000"}',
        b'{"code":"200000","msg":"ok"}',
        b'{"code":"200000","data":null}',
        b'{"code":"200000","data":{"errors":[]}}',
        b'{"code":"200000","data":{"marginMode":"ISOLATED","errors":[]}}',
        b'{"code":"200000","data":{"marginMode":{},"errors":7}}',
        b'{"code":"200000","data":{"marginMode":{},"errors":["x"]}}',
        b'{"code":"200000","data":{"marginMode":{"XBTUSDTM":1},"errors":[]}}',
        b'{"code":"200000","data":{"marginMode":{},"errors":[{"symbol":"XBTUSDTM","code":5}]}}',
        b'{"code":"200000","data":{"marginMode":{},"errors":[{"symbol":7}]}}',
        b'{"code":"200000","data":{"marginMode":{"XBTUSDTM":null},"errors":[]}}',
        b'{"code":"200000","data":[]}',
    ],
)
def test_malformed_success_is_an_invalid_reply_never_a_raw_error(body: bytes) -> None:
    client = answering(lambda _request: httpx.Response(200, content=body))
    with pytest.raises(InvalidReplyError) as info:
        set_margin_mode(client, "ISOLATED", ["XBTUSDTM"])
    assert info.value.status == 200
    assert not info.value.retryable


SHAPELESS_SUCCESSES = [
    b'{"code":"200000"}',
    b'{"code":"200000","msg":"ok"}',
    b'{"code":"200000","data":null}',
    b'{"code":"200000","data":{}}',
    b'{"code":"200000","data":{"errors":[]}}',
    b'{"code":"200000","data":{"marginMode":"ISOLATED","errors":[]}}',
    b'{"code":"200000","data":{"marginMode":{},"errors":7}}',
    b'{"code":"200000","data":{"marginMode":{},"errors":["x"]}}',
    b'{"code":"200000","data":[]}',
    b'{"data":{"marginMode":{}},"code":"200000"}',
    b'{"code":"200000","data":{"marginMode":{"A":"CROSS","B":1},"errors":[]}}',
    b'{"code":"200000","data":{"marginMode":{"A":"CROSS","B":["CROSS"]},"errors":[]}}',
]


@pytest.mark.parametrize("body", SHAPELESS_SUCCESSES)
def test_the_generated_call_itself_never_sees_a_shapeless_success(body: bytes) -> None:
    # Checked below the generated operation: a direct `.sync` gets the typed error, with
    # the reply quoted, instead of a KeyError from the generated parser.
    client = answering(lambda _request: httpx.Response(200, content=body))
    with pytest.raises(InvalidReplyError) as info:
        batch_change_margin_mode.sync(client=client, body=REQUEST)
    assert info.value.status == 200
    assert info.value.excerpt == body.decode()
    assert not info.value.retryable


def test_a_cut_off_success_that_ends_in_a_brace_is_retried() -> None:
    whole = b'{"code":"200000","data":{"marginMode":{"XBTUSDTM":"ISOLATED"},"errors":[]}}'
    replies = iter([whole[:30] + b"}", whole])
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=next(replies))

    client = answering(handler, retry=RetryPolicy(base_delay_s=0.0))
    reply = batch_change_margin_mode.sync(client=client, body=REQUEST)
    assert isinstance(reply, BatchChangeMarginModeResponse)
    assert len(sent) == 2


@pytest.mark.parametrize(("status", "expected"), [(503, ServerError), (429, RateLimitError)])
def test_success_code_with_an_error_status_is_still_that_error(
    status: int, expected: type[KucoinAPIError]
) -> None:
    error = error_from_reply(status, httpx.Headers(), b'{"code":"200000","data":{}}')
    assert isinstance(error, expected)
    assert isinstance(error, InvalidReplyError)
    assert 'code "200000" with HTTP status' in str(error)


def test_non_ascii_digits_in_rate_limit_headers_are_ignored() -> None:
    assert RateLimit.from_headers({"gw-ratelimit-reset": "²"}).reset_ms is None
