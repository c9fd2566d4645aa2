"""When to try a request again, and after how long. Pure: no I/O, no sleeping.

`next_step` decides what follows a failed attempt; the sync and the async httpx client
(`_http.py`) each run it in a short loop of their own, so both retry alike.
Retrying is safe for this API because every operation it covers sets a target
state (a margin mode) or only reads: sending it twice leaves the account as sending it
once would. What a retry does not undo, and callers should know:

- every attempt costs its rate-limit weight (2 for a batch switch);
- after a timeout or a dropped connection the first attempt may have been applied;
  the outcome then describes the last attempt only (a symbol switched by the first and
  busy by the second is reported failed, though it has the requested mode).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

import attrs

from ._errors import (
    AuthenticationError,
    InvalidReplyError,
    KucoinError,
    RateLimitError,
    ServerError,
    TransportError,
)

CLOCK_SKEW_CODE: Final = "400002"
"""KC-API-TIMESTAMP more than 5 s from server time: calibrating the clock cures it."""
# Documented blocks that come without a gw-ratelimit-reset value.
_BLOCK_MS: Final = {"200002": 10_000, "1015": 30_000}


def reset_ms(error: KucoinError) -> int | None:
    """How long a rate-limit error says to wait (ms), or None when it does not say."""
    if not isinstance(error, RateLimitError):
        return None
    if error.rate_limit.reset_ms is not None:
        return error.rate_limit.reset_ms
    return _BLOCK_MS.get(error.code or "")


def is_retryable(error: KucoinError) -> bool:
    """Could the same request succeed if sent again? Never for auth or parameter errors."""
    if isinstance(error, RateLimitError | ServerError):
        return True
    if isinstance(error, TransportError | InvalidReplyError):
        return error.retryable
    return False


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Bounded retries: at most `max_attempts` sends, and no retry that would start later
    than `max_elapsed_s` seconds after the first send (each send is itself bounded by the
    client's timeout; the one resend after a clock sync is not counted).

    The wait before retry n (n = 1, 2, ...) is drawn uniformly from
    [0, min(max_delay_s, base_delay_s * 2**(n-1))] ("full jitter"), except after a rate
    limit whose reply says when the quota resets: then it is that time, plus up to
    `base_delay_s` of jitter so that waiting clients do not all return at once. KuCoin's
    blocks without a reset time (`200002`: 10 s, `1015`: 30 s) are waited out the same
    way. A wait that would end past the time budget is not started: the error is raised
    at once (retrying inside a block only spends weight).

    `random` draws the jitter, a float in [0, 1): pass `random.Random(seed).random` for
    repeatable waits.
    """

    max_attempts: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    """Attempts in all, the first included (1: no retry)."""
    max_elapsed_s: float = attrs.field(default=10.0, validator=attrs.validators.ge(0))
    """No attempt starts later than this many seconds after the first."""
    base_delay_s: float = attrs.field(default=0.25, validator=attrs.validators.ge(0))
    """The first backoff's ceiling; it doubles with each retry."""
    max_delay_s: float = attrs.field(default=4.0, validator=attrs.validators.ge(0))
    """The highest backoff ceiling (a quota's reset time may be longer)."""
    random: Callable[[], float] = attrs.field(default=random.random, eq=False, repr=False)
    """Draws the jitter, a float in [0, 1)."""

    def delay_before_retry(
        self, attempt: int, error: KucoinError, elapsed_s: float
    ) -> float | None:
        """Seconds to wait before sending again after `attempt` (1-based) failed with
        `error`, `elapsed_s` seconds after the first send started; None means give up."""
        if attempt >= self.max_attempts or not is_retryable(error):
            return None
        wait_ms = reset_ms(error)
        if wait_ms is not None:
            delay = wait_ms / 1000 + self.random() * self.base_delay_s
        else:
            ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
            delay = self.random() * ceiling
        if elapsed_s + delay > self.max_elapsed_s:
            return None
        return delay


@attrs.frozen
class Stop:
    """Give up: raise the error of the last attempt."""


@attrs.frozen
class Sleep:
    """Wait `seconds`, then send again."""

    seconds: float


@attrs.frozen
class Calibrate:
    """Measure the clock offset to server time, then send again at once."""


Step = Stop | Sleep | Calibrate


def next_step(
    policy: RetryPolicy | None,
    error: KucoinError,
    *,
    attempt: int,
    elapsed_s: float,
    may_calibrate: bool,
) -> Step:
    """What to do after attempt number `attempt` (1-based) failed with `error`,
    `elapsed_s` seconds after the first attempt started.

    A timestamp refusal (400002) calibrates the clock when `may_calibrate` (clock sync
    is on and has not run yet for this call); everything else is the policy's decision
    (None: never retry).
    """
    if may_calibrate and isinstance(error, AuthenticationError) and error.code == CLOCK_SKEW_CODE:
        return Calibrate()
    delay = None if policy is None else policy.delay_before_retry(attempt, error, elapsed_s)
    return Stop() if delay is None else Sleep(delay)
