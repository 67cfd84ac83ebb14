"""AsyncioBackend against real local sockets: reads, writes, timeouts, closes, errors."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpcore
import httpx
import pytest
import uvloop

from dealflow_libs.http_backend import AsyncioBackend
from dealflow_libs.http_pool import provider_client

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def serving(handler: Handler) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture
async def echo() -> AsyncIterator[int]:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server, port = await serving(handler)
    yield port
    server.close()


async def test_what_is_written_is_read_back(echo: int) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", echo, timeout=5)
    await stream.write(b"hello", timeout=5)
    assert await stream.read(1024, timeout=5) == b"hello"
    assert stream.get_extra_info("server_addr")[1] == echo
    assert stream.get_extra_info("is_readable") is False  # idle and open
    await stream.aclose()


async def test_a_silent_peer_is_a_read_timeout(echo: int) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", echo, timeout=5)
    with pytest.raises(httpcore.ReadTimeout):
        await stream.read(1024, timeout=0.05)
    await stream.aclose()


async def test_a_closed_port_is_a_connect_error() -> None:
    server, port = await serving(lambda r, w: asyncio.sleep(0))
    server.close()
    await server.wait_closed()
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)


async def test_a_peer_that_closed_shows_as_readable_while_idle() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server, port = await serving(hang_up)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
    await asyncio.sleep(0.05)
    assert stream.get_extra_info("is_readable") is True
    await stream.aclose()
    server.close()


async def test_closing_after_a_write_timeout_does_not_wait_for_the_peer() -> None:
    """A peer that never reads: the write times out and the close returns at once (a close
    that waited for the buffer to drain would hang, shielded from cancellation)."""
    blocked = asyncio.Event()

    async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await blocked.wait()

    server, port = await serving(never_reads)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)

    async def fill() -> None:
        for _ in range(1000):
            await stream.write(b"x" * 1_000_000, timeout=0.2)

    with pytest.raises(httpcore.WriteTimeout):
        await fill()
    started = time.monotonic()
    await asyncio.wait_for(stream.aclose(), timeout=2)
    assert time.monotonic() - started < 1
    blocked.set()
    server.close()


async def test_a_provider_client_speaks_http_through_it() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (await reader.readuntil(b"\r\n\r\n")) and not reader.at_eof():
            body = b'{"ok":true}'
            head = f"HTTP/1.1 200 OK\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            writer.write(head + body)
            await writer.drain()

    server, port = await serving(answer)
    async with provider_client(5, httpx.Limits(max_connections=4)) as client:
        answers = [await client.get(f"http://127.0.0.1:{port}/") for _ in range(3)]
    assert [a.json() for a in answers] == [{"ok": True}] * 3
    server.close()


def test_it_runs_on_uvloop_which_the_services_use() -> None:
    """uvloop's connect takes fewer options than asyncio's (no happy_eyeballs_delay)."""

    async def exchange() -> bytes:
        async def echo_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(await reader.read(1024))
            await writer.drain()

        server, port = await serving(echo_once)
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        await stream.write(b"ping", timeout=5)
        answer = await stream.read(1024, timeout=5)
        await stream.aclose()
        server.close()
        return answer

    assert uvloop.run(exchange()) == b"ping"
