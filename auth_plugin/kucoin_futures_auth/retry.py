"""When to try a request again, and after how long. Pure: no I/O, no sleeping.

The sync and async httpx clients (`_http.py`) ask the same `RetryPolicy`, so both retry
alike. Retrying is safe for this API because every operation it covers sets a target
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

from .errors import (
    InvalidReplyError,
    KucoinError,
    RateLimitError,
    ServerError,
    TransportError,
)

# Documented blocks that come without a gw-ratelimit-reset value.
_BLOCK_MS: Final = {"200002": 10_000, "1015": 30_000}


def _reset_ms(error: KucoinError) -> int | None:
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


@attrs.frozen
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
    max_elapsed_s: float = attrs.field(default=10.0, validator=attrs.validators.ge(0))
    base_delay_s: float = attrs.field(default=0.25, validator=attrs.validators.ge(0))
    max_delay_s: float = attrs.field(default=4.0, validator=attrs.validators.ge(0))
    random: Callable[[], float] = attrs.field(default=random.random, eq=False, repr=False)

    def delay_before_retry(
        self, attempt: int, error: KucoinError, elapsed_s: float
    ) -> float | None:
        """Seconds to wait before sending again after `attempt` (1-based) failed with
        `error`, `elapsed_s` seconds after the first send started; None means give up."""
        if attempt >= self.max_attempts or not is_retryable(error):
            return None
        reset_ms = _reset_ms(error)
        if reset_ms is not None:
            delay = reset_ms / 1000 + self.random() * self.base_delay_s
        else:
            ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
            delay = self.random() * ceiling
        if elapsed_s + delay > self.max_elapsed_s:
            return None
        return delay
