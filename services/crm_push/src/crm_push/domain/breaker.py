"""A per-connection circuit breaker: stop calling a CRM that keeps failing, probe it back.

closed --(`threshold` consecutive failures)--> open --(`cooldown` passed)--> half-open: one
probe push runs; its success closes the breaker, its failure opens it again with a doubled
cooldown (up to `max_cooldown`). Only unavailability counts (5xx, timeouts, refused
connections); a 429 is the CRM working as designed and is handled by the rate limiter.
"""

from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    threshold: int = 5
    cooldown: float = 5.0
    max_cooldown: float = 120.0
    failures: int = 0
    state: BreakerState = BreakerState.CLOSED
    opened_at: float = 0.0
    current_cooldown: float = 0.0
    probing: bool = False

    def allows(self, now: float) -> bool:
        """May a push start now? In half-open, only one probe at a time."""
        if self.state == BreakerState.OPEN and now - self.opened_at >= self.current_cooldown:
            self.state = BreakerState.HALF_OPEN
        if self.state == BreakerState.CLOSED:
            return True
        if self.state == BreakerState.HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def reopens_in(self, now: float) -> float:
        """Seconds until a probe may run (0 when calls may go now)."""
        if self.state != BreakerState.OPEN:
            return 0.0
        return max(0.0, self.current_cooldown - (now - self.opened_at))

    def succeeded(self) -> None:
        self.failures = 0
        self.state = BreakerState.CLOSED
        self.probing = False
        self.current_cooldown = 0.0

    def failed(self, now: float) -> None:
        self.failures += 1
        if self.state == BreakerState.HALF_OPEN:
            self.current_cooldown = min(self.max_cooldown, self.current_cooldown * 2)
            self._open(now)
        elif self.state == BreakerState.CLOSED and self.failures >= self.threshold:
            self.current_cooldown = self.cooldown
            self._open(now)

    def released(self) -> None:
        """A probe ended without a verdict (e.g. rate limited): let another probe go."""
        self.probing = False

    def _open(self, now: float) -> None:
        self.state = BreakerState.OPEN
        self.opened_at = now
        self.probing = False
