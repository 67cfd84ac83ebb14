"""Window rate limiter: N requests per interval per key (a token, an API key, an account).

Each emulator renders the result in its provider's headers and 429 body; the counting is shared.
"""

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateHit:
    allowed: bool
    limit: int
    remaining: int
    interval_ms: int
    reset_ms: int  # until the window starts over

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds, rounded up: a refused request always waits at least 1 s, unless a
        fault asked for `retry_after_ms: 0`."""
        return -(-self.reset_ms // 1000)


class WindowLimiter:
    """Fixed windows aligned on the first request of each key (HubSpot calls its own a rolling
    ten-second window; the difference does not matter to a client that honours the headers)."""

    def __init__(self, limit: int, interval_ms: int) -> None:
        self.limit = limit
        self.interval_ms = interval_ms
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, *, now: float | None = None) -> RateHit:
        now = time.monotonic() if now is None else now
        start, used = self._windows.get(key, (now, 0))
        if (now - start) * 1000 >= self.interval_ms:
            start, used = now, 0
        allowed = used < self.limit
        if allowed:
            used += 1
        self._windows[key] = (start, used)
        reset_ms = max(0, int(self.interval_ms - (now - start) * 1000))
        return RateHit(allowed, self.limit, self.limit - used, self.interval_ms, reset_ms)

    def exhausted(self, reset_ms: int | None = None) -> RateHit:
        """What an injected rate-limit fault reports: nothing left in this window (which starts
        over after `reset_ms`, by default a whole interval)."""
        reset = self.interval_ms if reset_ms is None else reset_ms
        return RateHit(False, self.limit, 0, self.interval_ms, reset)

    def clear(self) -> None:
        self._windows.clear()
