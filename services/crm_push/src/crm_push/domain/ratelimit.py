"""Requests a connection may send: a token bucket per connection, sized to the provider's
documented limit (or the tenant's override), so a busy tenant never earns a 429 storm."""

from dataclasses import dataclass

from crm_push.domain.config import RateLimit
from crm_push.providers.base import Provider

#: The documented limits (crm_apis.md, notify_notion.md), a little under each to leave room for
#: other apps on the same account: HubSpot 190/10 s per app, Pipedrive 80/2 s per token (the
#: lowest plan), Close 60/s per key and endpoint group, Notion 3/s on average.
PROVIDER_LIMITS: dict[Provider, RateLimit] = {
    Provider.HUBSPOT: RateLimit(requests=150, per_seconds=10),
    Provider.PIPEDRIVE: RateLimit(requests=70, per_seconds=2),
    Provider.CLOSE: RateLimit(requests=50, per_seconds=1),
    Provider.NOTION: RateLimit(requests=3, per_seconds=1),
}


@dataclass
class TokenBucket:
    capacity: float
    refill_per_second: float
    tokens: float
    updated: float

    @classmethod
    def for_limit(cls, limit: RateLimit, now: float) -> "TokenBucket":
        return cls(
            capacity=float(limit.requests),
            refill_per_second=limit.requests / limit.per_seconds,
            tokens=float(limit.requests),
            updated=now,
        )

    def take(self, now: float) -> float:
        """Takes one token; returns 0 when granted, else the seconds until one is available
        (nothing is taken then)."""
        refilled = self.tokens + (now - self.updated) * self.refill_per_second
        self.tokens = min(self.capacity, refilled)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.refill_per_second

    def drain(self, now: float, seconds: float) -> None:
        """The provider said to wait (a 429): no token until `seconds` from now."""
        self.tokens = -seconds * self.refill_per_second
        self.updated = now
