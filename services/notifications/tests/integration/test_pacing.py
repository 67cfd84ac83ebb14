"""Sends in flight paced by the limit the Resend emulator announces, over real HTTP."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from notifications.transports.base import Accepted, Email, Failure, SendError
from notifications.transports.pacing import ProviderPace
from notifications.transports.resend import ResendTransport

from .conftest import RESEND_KEY, ResendControl


def email(i: int) -> Email:
    return Email(
        from_address="team@example.com",
        to=(f"p{i}@example.com",),
        subject="Your meeting",
        html="<p>See you</p>",
        text="See you",
        idempotency_key=f"pace-{uuid.uuid4()}",
    )


async def burst(
    url: str, count: int, pace_of: Callable[[], ProviderPace], *, wait: float | None = None
) -> list[Accepted | SendError]:
    async with httpx.AsyncClient(timeout=10) as client:

        async def send(i: int) -> Accepted | SendError:
            transport = ResendTransport(client, url, RESEND_KEY, pace_of(), pace_wait=wait)
            try:
                return await transport.send(email(i))
            except SendError as refused:
                return refused

        return list(await asyncio.gather(*(send(i) for i in range(count))))


async def test_a_burst_at_a_rate_limited_account_meets_no_429(
    emulator: ResendControl, resend_url: str
) -> None:
    await emulator.call("PATCH", "/config", {"rate_limit": 4, "rate_limit_interval_ms": 1000})
    shared = ProviderPace()
    results = await burst(resend_url, 10, lambda: shared)

    assert all(isinstance(r, Accepted) for r in results), results
    log = await emulator.call("GET", "/requests?status=429")
    assert log["count"] == 0
    assert len(await emulator.emails()) == 10


async def test_the_same_burst_unpaced_meets_429s(emulator: ResendControl, resend_url: str) -> None:
    """What the pace prevents: every send on its own learns the limit too late. (A 5 s window:
    the burst cannot straddle two, however slow the machine.)"""
    await emulator.call("PATCH", "/config", {"rate_limit": 4, "rate_limit_interval_ms": 5000})
    results = await burst(resend_url, 10, ProviderPace)

    refused = [r for r in results if isinstance(r, SendError)]
    assert len(refused) == 6
    assert all(r.status == 429 and r.code == "rate_limit_exceeded" for r in refused)


async def test_a_send_that_would_wait_too_long_is_held_back_unsent(
    emulator: ResendControl, resend_url: str
) -> None:
    """Longer than a send may wait (half its `sending` lease): it fails as paced, to go again
    at the reset without counting an attempt, and nothing reached the provider for it."""
    await emulator.call("PATCH", "/config", {"rate_limit": 2, "rate_limit_interval_ms": 5000})
    shared = ProviderPace()
    results = await burst(resend_url, 4, lambda: shared, wait=0.5)

    held = [r for r in results if isinstance(r, SendError)]
    assert sum(isinstance(r, Accepted) for r in results) == 2
    assert [(r.failure, r.code, r.status) for r in held] == [(Failure.PACED, "paced", None)] * 2
    assert all(r.retry_at is not None and r.retry_at > datetime.now(UTC) for r in held)
    assert (await emulator.call("GET", "/requests?path_prefix=/emails"))["count"] == 2
