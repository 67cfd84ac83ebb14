"""An HTTP/1.1 connection pool for httpx that finds a free connection in constant time.

httpcore's own pool re-examines every connection it holds on each request and on each response
close (`has_expired` polls every idle socket, and an idle count is rebuilt per connection), so
its cost per request grows with the connections open: at 16-32 requests in flight it was about
15% of crm_push's CPU. This pool keeps each origin's idle connections on a stack: a request
takes the most recently used one (checked alone) or opens a new one, and a response, once read
or closed, puts its connection back. Limits keep their meaning: at most `max_connections`
requests at once (the others wait up to the pool timeout), at most `max_keepalive_connections`
idle connections kept per origin, `keepalive_expiry` seconds idle at most. Sockets are reached
through asyncio's streams (http_backend.py), not anyio.
"""

import asyncio
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable

import httpcore
import httpx

from dealflow_libs.http_backend import AsyncioBackend

Origin = tuple[bytes, bytes, int]


class StackPool(httpcore.AsyncConnectionPool):
    """A drop-in replacement for httpcore.AsyncConnectionPool (HTTP/1.1, no proxy)."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext | None,
        max_connections: int,
        max_keepalive_connections: int,
        keepalive_expiry: float | None,
    ) -> None:
        super().__init__(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
            network_backend=AsyncioBackend(),
        )
        self._idle: dict[Origin, list[httpcore.AsyncHTTPConnection]] = {}
        self._slots = asyncio.Semaphore(max_connections)
        self._closed = False

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        origin = request.url.origin
        key = (origin.scheme, origin.host, origin.port)
        await self._take_slot(request)
        connection: httpcore.AsyncHTTPConnection | None = None
        try:
            while True:
                connection = await self._idle_connection(key) or self._new(origin)
                try:
                    response = await connection.handle_async_request(request)
                except httpcore.ConnectionNotAvailable:
                    await connection.aclose()
                    continue  # it closed meanwhile: another one
                break
        except BaseException:
            self._slots.release()
            if connection is not None:
                await connection.aclose()
            raise

        async def release() -> None:
            assert connection is not None
            await self._put_back(key, connection)
            self._slots.release()

        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=_Releasing(response.stream, release),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    async def _take_slot(self, request: httpcore.Request) -> None:
        timeout = request.extensions.get("timeout", {}).get("pool")
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise httpcore.PoolTimeout("no connection slot within the pool timeout") from exc

    async def _idle_connection(self, key: Origin) -> httpcore.AsyncHTTPConnection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.is_available() and not connection.has_expired():
                return connection
            await connection.aclose()
        return None

    def _new(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        return httpcore.AsyncHTTPConnection(
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=self._network_backend,
        )

    async def _put_back(self, key: Origin, connection: httpcore.AsyncHTTPConnection) -> None:
        idle = self._idle.setdefault(key, [])
        if self._closed or not connection.is_idle() or len(idle) >= self._max_keepalive_connections:
            await connection.aclose()
        else:
            idle.append(connection)

    async def aclose(self) -> None:
        self._closed = True
        idle = [c for connections in self._idle.values() for c in connections]
        self._idle.clear()
        for connection in idle:
            await connection.aclose()


class _Releasing:
    """A response body that hands its connection back once read to the end or closed."""

    def __init__(
        self, stream: AsyncIterable[bytes], release: Callable[[], Awaitable[None]]
    ) -> None:
        self._stream, self._release, self._done = stream, release, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                await close()
        finally:
            await self._release()


def stack_pool_transport(limits: httpx.Limits, verify: bool = True) -> httpx.AsyncHTTPTransport:
    """An httpx transport (HTTP/1.1, no proxy) whose requests go through a StackPool."""
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits)
    # httpx converts each request and maps httpcore's errors around `_pool`; only the pool
    # changes (httpx builds it in __init__ and offers no other way to give one).
    transport._pool = StackPool(
        ssl_context=httpx.create_ssl_context(verify=verify),
        max_connections=limits.max_connections or 100,
        max_keepalive_connections=limits.max_keepalive_connections or 20,
        keepalive_expiry=limits.keepalive_expiry,
    )
    return transport


def provider_client(timeout_seconds: float, limits: httpx.Limits) -> httpx.AsyncClient:
    """The client a service calls an outside provider (CRM, email) with: its requests go
    through a StackPool, so many in flight do not each pay for a scan of every connection."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds), transport=stack_pool_transport(limits)
    )
