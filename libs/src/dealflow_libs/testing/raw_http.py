"""A minimal keep-alive HTTP/1.1 client for load generators.

A few microseconds of CPU per request (responses parsed by httptools), so that on a machine
shared with the system under test the generator takes as little CPU away as possible. httpx
costs about a millisecond per request here, which halves what a benchmark can measure.
"""

import asyncio
import urllib.parse
from typing import cast

import httptools


class _ResponseReader(asyncio.Protocol):
    """HTTP/1.1 client side of one connection, responses parsed by httptools (C)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail(exc or ConnectionResetError("connection closed by the gateway"))

    def on_message_begin(self) -> None:
        self._body = []

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result((self._parser.get_status_code(), b"".join(self._body)))

    def _fail(self, exc: BaseException) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        if self.transport is None:
            raise ConnectionResetError("connection closed by the gateway")
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._waiter


class RawSender:
    """A minimal keep-alive HTTP/1.1 client: a few microseconds of CPU per request, so that on
    a machine shared with the gateway the generator takes as little CPU away as possible."""

    def __init__(self, url: str, path: str, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(
                f"the raw client speaks plain http only, not {url!r}: use --client httpx"
            )
        self._host = parsed.hostname
        self._port = parsed.port or 80
        self._netloc = parsed.netloc
        self._head = f"POST {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\n".encode()
        self._timeout = timeout
        self._reader: _ResponseReader | None = None

    async def _connected(self) -> _ResponseReader:
        if self._reader is None or self._reader.transport is None:
            loop = asyncio.get_running_loop()
            _, self._reader = await loop.create_connection(_ResponseReader, self._host, self._port)
        return self._reader

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = f"{lines}content-length: {len(body)}\r\n\r\n".encode()
        return await self._exchange(self._head + head + body)

    async def get(self, path_and_query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """A GET on the same connection (e.g. to poll a read API between posts)."""
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = f"GET {path_and_query} HTTP/1.1\r\nHost: {self._netloc}\r\n{lines}\r\n"
        return await self._exchange(head.encode())

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        reader = await self._connected()
        waiter = reader.send(request)
        timer = asyncio.get_running_loop().call_later(self._timeout, _expire, waiter, self._timeout)
        try:
            return await waiter
        except BaseException:
            await self.aclose()  # the connection's state is unknown: start a new one
            raise
        finally:
            timer.cancel()

    async def aclose(self) -> None:
        if self._reader is not None and self._reader.transport is not None:
            self._reader.transport.close()
        self._reader = None


def _expire(waiter: asyncio.Future[tuple[int, bytes]], seconds: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no response within {seconds:g}s"))
