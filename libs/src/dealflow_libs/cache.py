"""A small TTL cache for hot-path lookups, with single-flight refresh.

When an entry expires under load, one lookup refreshes it and concurrent callers wait for that
one instead of each running the same query.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

#: Unknown tenant ids are cached too (a flood of them must not become a flood of queries);
#: the caches are simply emptied when they grow past this.
MAX_CACHED = 10_000

V = TypeVar("V")


class SingleFlightCache(Generic[V]):
    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._values: dict[str, tuple[float, V]] = {}
        self._inflight: dict[str, asyncio.Future[V]] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[V]]) -> V:
        cached = self._values.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        if key in self._inflight:
            return await asyncio.shield(self._inflight[key])
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody else needs to
            raise
        finally:
            self._inflight.pop(key, None)
        if len(self._values) >= MAX_CACHED:
            self._values.clear()
        self._values[key] = (time.monotonic() + self._ttl, value)
        future.set_result(value)
        return value

    def clear(self) -> None:
        self._values.clear()
