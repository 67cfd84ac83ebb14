"""When a failed push is tried again, and when it stops being tried."""

import random
from dataclasses import dataclass

from crm_push.providers.transport import FailureKind, ProviderError


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped, honouring the provider's Retry-After."""

    max_attempts: int = 8
    #: A 429 is the CRM working as designed, not failing: a push keeps its place through a
    #: long storm (at 10% 429s a five-call push fails ~40% of attempts; 8 would park 1 in 1,500).
    max_rate_limited_attempts: int = 50
    base_seconds: float = 1.0
    cap_seconds: float = 300.0
    #: Longest Retry-After honoured as given; a longer one still waits at least this long.
    max_retry_after_seconds: float = 3600.0

    def delay(self, attempt: int, error: ProviderError, rng: random.Random) -> float:
        """Seconds to wait before attempt `attempt + 1` after `error` ended attempt `attempt`."""
        if error.retry_after is not None:
            # The provider said when: that long, plus a little spread so the waiting pushes do
            # not all come back in the same millisecond (the throttle paces them anyway).
            return min(error.retry_after, self.max_retry_after_seconds) + rng.uniform(0, 0.05)
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return rng.uniform(backoff / 2, backoff)

    def gives_up(self, attempt: int, error: ProviderError) -> bool:
        """True when the push is parked now: an error a retry cannot fix, or attempts spent."""
        if error.kind == FailureKind.RATE_LIMITED:
            return attempt >= self.max_rate_limited_attempts
        return not error.retryable or attempt >= self.max_attempts


def parks_connection(error: ProviderError) -> bool:
    """401/403 after any refresh: the credentials are bad until someone reconnects."""
    return error.kind == FailureKind.UNAUTHORIZED
