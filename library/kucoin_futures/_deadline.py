"""Two deadlines: the attempt's (connect to last byte of one send) and the call's (every
symbol, every retry, every pause of one many-symbol call).

Both travel in context variables, so that the HTTP layer below the generated operations
obeys them without any operation passing them on: a `contextvars.ContextVar` is copied
into each asyncio/anyio task, so concurrent reads of one call share its deadline.

The attempt's deadline is a `time.monotonic()` value: the sync transport's streams
(`_network.py`) cut every socket operation to the time left; the async client puts the
attempt in a cancel scope. The call's deadline is kept in the HTTP client's own clock
(its `monotonic`, injectable in tests).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

import attrs
import httpx

from ._defaults import MAX_DEADLINE_S, MAX_TIMEOUT_S, default_deadline_s
from ._errors import InvalidInputError

ATTEMPT_DEADLINE: Final[contextvars.ContextVar[float | None]] = contextvars.ContextVar(
    "kucoin_futures_attempt_deadline", default=None
)


@attrs.frozen
class CallDeadline:
    """When the current call must end (`at`, in the HTTP client's clock) and the number
    of seconds it was given (for messages)."""

    at: float
    seconds: float


CALL_DEADLINE: Final[contextvars.ContextVar[CallDeadline | None]] = contextvars.ContextVar(
    "kucoin_futures_call_deadline", default=None
)


def attempt_deadline_s(timeout: httpx.Timeout) -> float:
    """The time one attempt may take, connect to last byte: the connect timeout plus the
    read timeout (a missing part counts as `MAX_TIMEOUT_S`)."""
    connect = timeout.connect if timeout.connect is not None else MAX_TIMEOUT_S
    read = timeout.read if timeout.read is not None else MAX_TIMEOUT_S
    return connect + read


@contextmanager
def attempt_deadline(seconds: float) -> Iterator[float]:
    """Sets the deadline that the sync transport's streams obey for the attempt inside;
    yields it (a `time.monotonic()` value)."""
    deadline = time.monotonic() + seconds
    token = ATTEMPT_DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        ATTEMPT_DEADLINE.reset(token)


def time_left(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` cut to the time left of the current attempt; `error` once it has passed."""
    deadline = ATTEMPT_DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the attempt's deadline has passed")
    return left if timeout is None else min(timeout, left)


def check_deadline_s(deadline_s: object) -> None:
    """`InvalidInputError` unless `deadline_s` is None or seconds from 0 to a day."""
    if deadline_s is not None and (
        isinstance(deadline_s, bool)
        or not isinstance(deadline_s, int | float)
        or not 0 <= deadline_s <= MAX_DEADLINE_S
    ):
        raise InvalidInputError(
            f"deadline_s must be a number of seconds from 0 to {MAX_DEADLINE_S:g} (or None)"
        )


@contextmanager
def call_deadline(
    monotonic: Callable[[], float], deadline_s: float | None, *, requests: int
) -> Iterator[CallDeadline]:
    """Sets the deadline of the call inside: every request it makes, each retry and each
    pause end by then. `deadline_s` None: the deadline of an enclosing call if there is
    one (`apply_margin_modes` reads and switches within its own), else
    `default_deadline_s(requests)`. A given `deadline_s` never extends an enclosing one."""
    outer = CALL_DEADLINE.get()
    if deadline_s is None and outer is not None:
        deadline = outer
    else:
        seconds = default_deadline_s(requests) if deadline_s is None else float(deadline_s)
        deadline = CallDeadline(monotonic() + seconds, seconds)
        if outer is not None and outer.at < deadline.at:
            deadline = outer
    token = CALL_DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        CALL_DEADLINE.reset(token)
