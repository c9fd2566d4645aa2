"""The pure retry policy: bounded in attempts and time, jittered, honouring rate-limit resets."""

from __future__ import annotations

import random

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
)
from kucoin_futures._errors import error_from_reply

NO_LIMIT = RateLimit()
SERVER_ERROR = ServerError("500000", "Internal Server Error", 500, NO_LIMIT)


def rate_limited(reset_ms: int | None) -> RateLimitError:
    return RateLimitError("429000", "Too Many Requests", 429, RateLimit(2000, 0, reset_ms))


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3, max_elapsed_s=1e9, random=lambda: 0.5)
    assert policy.delay_before_retry(1, SERVER_ERROR, 0.0) is not None
    assert policy.delay_before_retry(2, SERVER_ERROR, 0.0) is not None
    assert policy.delay_before_retry(3, SERVER_ERROR, 0.0) is None
    assert RetryPolicy(max_attempts=1).delay_before_retry(1, SERVER_ERROR, 0.0) is None


def test_total_time_is_bounded() -> None:
    policy = RetryPolicy(max_attempts=100, max_elapsed_s=2.0, base_delay_s=1.0, random=lambda: 0.5)
    assert policy.delay_before_retry(1, SERVER_ERROR, 1.0) == 0.5
    # A wait that would end past the budget is not started.
    assert policy.delay_before_retry(1, SERVER_ERROR, 1.6) is None
    assert policy.delay_before_retry(1, SERVER_ERROR, 2.5) is None


@settings(max_examples=200, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32), attempt=st.integers(1, 20))
def test_full_jitter_stays_within_the_exponential_ceiling(seed: int, attempt: int) -> None:
    policy = RetryPolicy(
        max_attempts=50,
        max_elapsed_s=1e9,
        base_delay_s=0.1,
        max_delay_s=3.0,
        random=random.Random(seed).random,
    )
    delay = policy.delay_before_retry(attempt, SERVER_ERROR, 0.0)
    assert delay is not None
    ceiling = min(3.0, 0.1 * 2 ** (attempt - 1))
    assert 0.0 <= delay <= ceiling
    # The same seed gives the same draw: computed independently of the policy.
    assert delay == random.Random(seed).random() * ceiling


def test_seeded_waits_are_repeatable_and_spread() -> None:
    def waits(seed: int) -> list[float | None]:
        policy = RetryPolicy(max_attempts=6, max_elapsed_s=1e9, random=random.Random(seed).random)
        return [policy.delay_before_retry(n, SERVER_ERROR, 0.0) for n in range(1, 6)]

    assert waits(7) == waits(7)
    assert waits(7) != waits(8)


def test_rate_limit_reset_is_waited_for() -> None:
    policy = RetryPolicy(max_elapsed_s=60.0, base_delay_s=0.25, random=lambda: 0.999)
    delay = policy.delay_before_retry(1, rate_limited(1500), 0.0)
    assert delay is not None
    assert 1.5 <= delay < 1.5 + 0.25
    low = RetryPolicy(max_elapsed_s=60.0, random=lambda: 0.0).delay_before_retry(
        1, rate_limited(1500), 0.0
    )
    assert low == 1.5


def test_rate_limit_reset_beyond_the_budget_gives_up_at_once() -> None:
    policy = RetryPolicy(max_elapsed_s=10.0)
    assert policy.delay_before_retry(1, rate_limited(30_000), 0.0) is None
    assert policy.delay_before_retry(1, rate_limited(5_000), 6.0) is None


def test_rate_limit_without_reset_backs_off() -> None:
    policy = RetryPolicy(base_delay_s=0.2, random=lambda: 0.5)
    assert policy.delay_before_retry(1, rate_limited(None), 0.0) == 0.1


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("400005", "Invalid KC-API-SIGN", 401, NO_LIMIT),
        AuthenticationError("400002", "Invalid KC-API-TIMESTAMP", 401, NO_LIMIT),
        PermissionDeniedError("400007", "Access denied", 401, NO_LIMIT),
        InvalidParameterError("400100", "Parameter error", 400, NO_LIMIT),
        InvalidParameterError("300000", "request parameter illegal", 200, NO_LIMIT),
        KucoinAPIError("50002", "exist.order.or.position", 200, NO_LIMIT),
        InvalidReplyError(200, "{}", "wrong shape"),
        TransportError("UnsupportedProtocol", retryable=False),
    ],
)
def test_never_retried(error: KucoinError) -> None:
    assert RetryPolicy(max_attempts=10).delay_before_retry(1, error, 0.0) is None


@pytest.mark.parametrize(
    "error",
    [
        SERVER_ERROR,
        ServerError("503000", "Service Unavailable", 503, NO_LIMIT),
        rate_limited(0),
        TransportError("ReadTimeout", retryable=True),
        error_from_reply(502, httpx.Headers(), b"<html>bad gateway</html>"),
        error_from_reply(200, httpx.Headers(), b'{"code":"200000","data":{"marg'),
    ],
)
def test_retried(error: KucoinError | None) -> None:
    assert error is not None
    assert RetryPolicy(max_attempts=10).delay_before_retry(1, error, 0.0) is not None


@pytest.mark.parametrize(
    "settings_",
    [{"max_attempts": 0}, {"max_elapsed_s": -1}, {"base_delay_s": -0.1}, {"max_delay_s": -1}],
)
def test_nonsense_settings_are_refused(settings_: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be >="):
        RetryPolicy(**settings_)  # type: ignore[arg-type]


@pytest.mark.parametrize(("code", "block_s"), [("200002", 10.0), ("1015", 30.0)])
def test_documented_blocks_without_a_reset_are_waited_out_or_not_retried(
    code: str, block_s: float
) -> None:
    error = RateLimitError(code, "blocked", 200, RateLimit())
    roomy = RetryPolicy(max_elapsed_s=60.0, random=lambda: 0.0)
    assert roomy.delay_before_retry(1, error, 0.0) == block_s
    # Retrying inside the block would only spend weight: with no time left, give up.
    assert (
        RetryPolicy(max_elapsed_s=block_s - 1, random=lambda: 0.0).delay_before_retry(1, error, 0.0)
        is None
    )
