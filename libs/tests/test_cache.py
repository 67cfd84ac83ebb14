"""The single-flight TTL cache used on hot paths (tenant lookups)."""

import asyncio

import pytest

from dealflow_libs.cache import SingleFlightCache


async def test_concurrent_misses_share_one_load() -> None:
    cache: SingleFlightCache[str] = SingleFlightCache(ttl_seconds=60)
    loads = 0

    async def load() -> str:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.05)
        return "acme"

    results = await asyncio.gather(*[cache.get("k", load) for _ in range(20)])
    assert results == ["acme"] * 20
    assert loads == 1
    assert await cache.get("k", load) == "acme"
    assert loads == 1


async def test_expired_entries_are_loaded_again() -> None:
    cache: SingleFlightCache[int] = SingleFlightCache(ttl_seconds=0)
    counter = iter(range(10))

    async def load() -> int:
        return next(counter)

    assert [await cache.get("k", load) for _ in range(3)] == [0, 1, 2]


async def test_a_failed_load_reaches_every_waiter_and_is_not_cached() -> None:
    cache: SingleFlightCache[str] = SingleFlightCache(ttl_seconds=60)
    attempts = 0

    async def broken() -> str:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.02)
        raise ConnectionRefusedError("database away")

    results = await asyncio.gather(
        *[cache.get("k", broken) for _ in range(5)], return_exceptions=True
    )
    assert all(isinstance(r, ConnectionRefusedError) for r in results)
    assert attempts == 1

    async def fixed() -> str:
        return "back"

    assert await cache.get("k", fixed) == "back"


async def test_none_is_a_cached_answer() -> None:
    cache: SingleFlightCache[str | None] = SingleFlightCache(ttl_seconds=60)
    calls = 0

    async def unknown() -> None:
        nonlocal calls
        calls += 1

    assert await cache.get("missing", unknown) is None
    assert await cache.get("missing", unknown) is None
    assert calls == 1


@pytest.mark.parametrize("size", [1, 3])
async def test_clear_forgets(size: int) -> None:
    cache: SingleFlightCache[int] = SingleFlightCache(ttl_seconds=60)
    for i in range(size):
        await cache.get(str(i), lambda i=i: asyncio.sleep(0, result=i))
    cache.clear()
    assert await cache.get("0", lambda: asyncio.sleep(0, result=99)) == 99
