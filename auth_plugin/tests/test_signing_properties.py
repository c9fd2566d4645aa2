"""Property tests: whatever is signed verifies with the mock's verifier, and nothing else does."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kucoin_futures_auth import Credentials, kucoin_headers
from kucoin_futures_auth.verify import VerificationFailure, Verified, verify_request

CREDS = Credentials(key="prop-key", secret="prop-secret", passphrase="prop-pass")
NOW_MS = 1_729_260_030_774

methods = st.sampled_from(["GET", "POST", "DELETE", "PUT"])
paths = st.text(min_size=0, max_size=60).map(lambda s: "/" + s)
bodies = st.binary(max_size=300) | st.text(max_size=100).map(str.encode)
timestamps = st.integers(min_value=NOW_MS - 4000, max_value=NOW_MS + 4000)
SETTINGS = settings(
    max_examples=150, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def lookup(key: str) -> Credentials | None:
    return CREDS if key == CREDS.key else None


def verify(headers: dict[str, str], method: str, path: str, body: bytes) -> object:
    return verify_request(headers, method, path, body, lookup=lookup, now_ms=NOW_MS)


@SETTINGS
@given(method=methods, path=paths, body=bodies, ts=timestamps)
def test_anything_signed_verifies(method: str, path: str, body: bytes, ts: int) -> None:
    headers = kucoin_headers(CREDS, method, path, body, ts)
    assert verify(headers, method, path, body) == Verified(CREDS)


def flip_one_byte(data: bytes, index: int) -> bytes:
    i = index % len(data)
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


def flip_one_char(text: str, index: int) -> str:
    # Paths and methods are text: change one character (its lowest bit), keeping valid text.
    i = index % len(text)
    return text[:i] + chr(ord(text[i]) ^ 0x01) + text[i + 1 :]


@SETTINGS
@given(
    method=methods,
    path=paths,
    body=bodies.filter(bool),
    ts=timestamps,
    part=st.sampled_from(["method", "path", "body", "timestamp"]),
    index=st.integers(min_value=0, max_value=10_000),
)
def test_any_one_byte_changed_fails_verification(
    method: str, path: str, body: bytes, ts: int, part: str, index: int
) -> None:
    headers = kucoin_headers(CREDS, method, path, body, ts)
    if part == "method":
        method = flip_one_char(method, index)
    elif part == "path":
        path = flip_one_char(path, index)
    elif part == "body":
        body = flip_one_byte(body, index)
    else:
        stamp = headers["KC-API-TIMESTAMP"].encode()
        # Stay a decimal within the 5 s window, so the signature (not the window) must catch it.
        tampered = flip_one_byte(stamp, index)
        if not tampered.isdigit() or abs(int(tampered) - NOW_MS) > 5000:
            tampered = str(int(stamp) + 1 + index % 7).encode()
        headers["KC-API-TIMESTAMP"] = tampered.decode()
    result = verify(headers, method, path, body)
    assert isinstance(result, VerificationFailure)
    assert result.code == "400005"


@SETTINGS
@given(
    header=st.sampled_from(["KC-API-SIGN", "KC-API-PASSPHRASE", "KC-API-TIMESTAMP", "KC-API-KEY"]),
    value=st.text(min_size=1, max_size=5000),
)
def test_hostile_header_values_fail_cleanly(header: str, value: str) -> None:
    # Non-ASCII signatures, "²" as a timestamp, 5000-digit numbers: a refusal, never a crash.
    headers = kucoin_headers(CREDS, "GET", "/", b"", NOW_MS)
    headers[header] = value
    result = verify(headers, "GET", "/", b"")
    assert isinstance(result, VerificationFailure) or headers == kucoin_headers(
        CREDS, "GET", "/", b"", NOW_MS
    )


def test_a_superscript_digit_timestamp_is_a_timestamp_error() -> None:
    headers = kucoin_headers(CREDS, "GET", "/", b"", NOW_MS)
    headers["KC-API-TIMESTAMP"] = "²"
    assert verify(headers, "GET", "/", b"") == VerificationFailure(
        "400002", "Invalid KC-API-TIMESTAMP"
    )
