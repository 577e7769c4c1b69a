"""Resilience helpers for outbound HTTP: a circuit breaker, a total-time budget and full-jitter backoff.

Nothing here does I/O; the HTTP clients (`support_api`, `status_page`) compose these pieces.

- `CircuitBreaker` counts consecutive *unavailability* failures (timeouts, connection errors, 5xx, garbage).
  A 4xx answer proves the server is up, so callers record it as a success.
  States: ``closed`` (calls pass) -> ``open`` after `failure_threshold` consecutive failures (calls fail at once,
  no network) -> ``half_open`` once `reset_after` seconds have passed (exactly one trial call passes) ->
  ``closed`` if the trial succeeds, ``open`` again (timer restarted) if it fails.
- `Deadline` turns a per-call budget into "seconds remaining", so retries never exceed the budget.
- `full_jitter_backoff` is the AWS "full jitter" delay: ``uniform(0, min(cap, base * 2**attempt))``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Fail fast after repeated unavailability; let one trial call through after `reset_after` seconds.

    Usage per attempt::

        if not breaker.try_acquire():
            raise Unavailable("circuit open")
        try:
            ...  # the call
        except Unavailable:
            breaker.record_failure()
            raise
        else:
            breaker.record_success()

    If the attempt ends with neither verdict (e.g. it was cancelled), call `release()` so a half-open breaker
    does not wait forever for a trial that will never report.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        name: str = "support_api",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        if reset_after < 0:
            raise ValueError("reset_after must be >= 0")
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self.name = name
        self._clock = clock
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        """Return "closed", "open" or "half_open" (an open breaker whose timer has run out reads as half_open)."""
        if self._state == "open" and self._clock() - self._opened_at >= self.reset_after:
            self._transition("half_open")
            self._trial_in_flight = False
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Return the number of consecutive failures recorded since the last success."""
        return self._failures

    def seconds_until_trial(self) -> float:
        """Return how long an open breaker still refuses calls (0.0 when closed or half-open)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.reset_after - (self._clock() - self._opened_at))

    def try_acquire(self) -> bool:
        """Return True if a call may go out now; a half-open breaker admits only one trial at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        """Record that the server answered (2xx or 4xx): reset the failure count, close a half-open breaker."""
        self._failures = 0
        self._trial_in_flight = False
        if self._state != "closed":
            self._transition("closed")

    def record_failure(self) -> None:
        """Record an unavailability failure: open after `failure_threshold` in a row, or re-open a half-open one."""
        self._failures += 1
        self._trial_in_flight = False
        if self._state == "half_open" or (self._state == "closed" and self._failures >= self.failure_threshold):
            self._opened_at = self._clock()
            self._transition("open")
        elif self._state == "open":
            # A call that was already in flight when the breaker opened: restart the timer.
            self._opened_at = self._clock()

    def release(self) -> None:
        """Forget an acquired attempt that produced no verdict (cancelled), freeing the half-open trial slot."""
        self._trial_in_flight = False

    def _transition(self, new: BreakerState) -> None:
        old, self._state = self._state, new
        if old == new:
            return
        if new == "open":
            log.warning(
                "circuit %s: %s -> open after %d consecutive failures; failing fast for %.1fs",
                self.name,
                old,
                self._failures,
                self.reset_after,
            )
        else:
            log.info("circuit %s: %s -> %s", self.name, old, new)

    def __repr__(self) -> str:
        return f"CircuitBreaker(name={self.name!r}, state={self.state!r}, failures={self._failures})"


class Deadline:
    """A point in time `budget` seconds from creation, measured on `clock`."""

    __slots__ = ("_clock", "at")

    def __init__(self, budget: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.at = clock() + budget

    def remaining(self) -> float:
        """Return the seconds left (never negative)."""
        return max(0.0, self.at - self._clock())

    def allows(self, seconds: float) -> bool:
        """Return True if `seconds` still fit strictly inside the budget."""
        return self._clock() + seconds < self.at


def full_jitter_backoff(attempt: int, *, base: float = 0.1, cap: float = 1.0, rng: random.Random) -> float:
    """Return the delay before retry number `attempt` (0-based): uniform in [0, min(cap, base * 2**attempt)]."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    return rng.uniform(0.0, min(cap, base * (2**attempt)))
