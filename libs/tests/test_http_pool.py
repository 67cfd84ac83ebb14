"""StackPool: connections reused, limits kept, a connection the server closed never reused."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from dealflow_libs.http_pool import stack_pool_transport


class Server:
    """A keep-alive HTTP/1.1 server on localhost: answers `GET /<ms>` after <ms> milliseconds
    with its connection number; `/close` answers and closes the connection."""

    def __init__(self) -> None:
        self.accepted = 0
        self.open = 0
        self.most_open = 0
        self.port = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        number = self.accepted
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                path = head.split(b" ", 2)[1].decode()
                closing = path == "/close"
                if not closing:
                    await asyncio.sleep(int(path.strip("/") or 0) / 1000)
                body = str(number).encode()
                extra = b"Connection: close\r\n" if closing else b""
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)
                )
                await writer.drain()
                if closing:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    running = Server()
    listening = await asyncio.start_server(running.serve, "127.0.0.1", 0)
    running.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield running


def client(server: Server, connections: int, pool_timeout: float = 5.0) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{server.port}",
        transport=stack_pool_transport(limits),
        timeout=httpx.Timeout(5.0, pool=pool_timeout),
    )


async def test_requests_one_after_another_share_one_connection(server: Server) -> None:
    async with client(server, 8) as http:
        answers = [(await http.get("/0")).text for _ in range(5)]
    assert answers == ["1"] * 5
    assert server.accepted == 1


async def test_concurrent_requests_never_open_more_than_the_limit(server: Server) -> None:
    async with client(server, 4) as http:
        answers = await asyncio.gather(*(http.get("/20") for _ in range(20)))
        assert all(a.status_code == 200 for a in answers)
        assert server.most_open == 4
        assert server.accepted == 4  # the four are reused, none opened again
        assert (await http.get("/0")).status_code == 200
    assert server.accepted == 4


async def test_a_connection_the_server_closed_is_not_used_again(server: Server) -> None:
    async with client(server, 2) as http:
        assert (await http.get("/close")).text == "1"
        await asyncio.sleep(0.05)  # the server's close has arrived
        assert (await http.get("/0")).text == "2"
        assert (await http.get("/0")).text == "2"


async def test_a_request_waits_for_a_slot_at_most_the_pool_timeout(server: Server) -> None:
    async with client(server, 1, pool_timeout=0.05) as http:
        slow = asyncio.create_task(http.get("/500"))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await http.get("/0")
        assert (await slow).status_code == 200
        assert (await http.get("/0")).status_code == 200  # the slot came back


async def test_an_unread_streamed_response_gives_its_slot_back_when_closed(server: Server) -> None:
    async with client(server, 1, pool_timeout=1.0) as http:
        async with http.stream("GET", "/0") as response:
            assert response.status_code == 200
        assert (await http.get("/0")).status_code == 200
