"""Sending no faster than the provider says it takes.

Resend limits each team to a few requests per second (2 by default) and says where a client
stands on every answer: `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` (seconds
until the window starts over). A 429 costs the email one of its three attempts, so a burst of
sends in flight at an account that takes 2 a second would fail emails, not only delay them.
`ProviderPace` keeps one account's sends inside what its answers announced: until the first
answer, one request goes alone; then each request takes one of the window's remaining requests,
and when none is left the next waits for the reset. Answers without these headers (a provider
or emulator that announces no limit) let everything through.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping


def _number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class PaceTimeout(TimeoutError):
    """No turn came within the time a send may wait; `reset_in` is the wait still announced."""

    def __init__(self, reset_in: float) -> None:
        super().__init__(f"the provider's rate limit left no turn; next window in {reset_in:.1f} s")
        self.reset_in = reset_in


class ProviderPace:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._limit: int | None = None
        self._known = False  # an answer has told whether there is a limit
        self._unlimited = False
        self._tokens = 1  # before the first answer: the one request that learns the limit
        self._reset_at = 0.0
        self._window = 0  # which window requests are sent in: answers from an older one are stale
        self._in_flight = 0  # sent in this window, not answered yet
        self._changed = asyncio.Event()

    async def turn(self, within: float | None = None) -> int:
        """Waits until one more request fits in the announced limit and takes it; returns the
        window it was sent in, for `learn` or `gave_up`. `PaceTimeout` after `within` seconds."""
        try:
            async with asyncio.timeout(within):
                return await self._turn()
        except TimeoutError:
            raise PaceTimeout(max(0.0, self._reset_at - self._clock())) from None

    async def _turn(self) -> int:
        while not self._unlimited:
            now = self._clock()
            if self._limit is not None and now >= self._reset_at:
                self._window += 1
                self._tokens, self._in_flight = self._limit, 0
                self._reset_at = now + 1.0  # until an answer says when this window ends
            if self._tokens > 0:
                self._tokens -= 1
                break
            self._changed.clear()
            wait = max(0.0, self._reset_at - now) if self._limit is not None else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)
        self._in_flight += 1
        return self._window

    def learn(self, headers: Mapping[str, str], sent_in: int) -> None:
        """Takes what an answer (any status, 429 included) says of the limit."""
        if sent_in != self._window:
            return  # counted in a window that is over; this one's figures are not in it
        self._in_flight = max(0, self._in_flight - 1)
        lowered = {k.lower(): v for k, v in headers.items()}
        limit = _number(lowered, "ratelimit-limit")
        remaining = _number(lowered, "ratelimit-remaining")
        reset = _number(lowered, "ratelimit-reset")
        if limit is None or remaining is None or reset is None:
            if not self._known:  # no limit announced: nothing to pace
                self._unlimited = True
        else:
            self._unlimited = False  # a first answer without the headers (a 5xx) said nothing
            self._limit = int(limit)
            # Requests still in flight may not have been counted in `remaining` yet; answers
            # come back out of order, so an earlier (higher) `remaining` never adds any.
            left = max(0, int(remaining) - self._in_flight)
            self._tokens = min(self._tokens, left) if self._known else left
            self._reset_at = self._clock() + max(0.0, reset)
        self._known = True
        self._changed.set()

    def gave_up(self, sent_in: int) -> None:
        """A request that got no answer (timeout, connection error) no longer counts."""
        if sent_in == self._window:
            self._in_flight = max(0, self._in_flight - 1)
        if not self._known:
            self._tokens = max(self._tokens, 1)  # let the next one try to learn the limit
        self._changed.set()
