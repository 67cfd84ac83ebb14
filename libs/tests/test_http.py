"""The app factory's error handling, over a real HTTP/1.1 keep-alive connection."""

import asyncio
import urllib.parse

import orjson
from fastapi import APIRouter

from dealflow_libs.http import create_app
from dealflow_libs.testing.http import serve


class _IdleRuntime:
    """Stands in for ServiceRuntime: these tests need no database or broker."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def _app_with_a_failing_route() -> object:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug in a route")

    @router.get("/down")
    async def down() -> None:
        raise ConnectionRefusedError("the database is not there")

    @router.get("/fine")
    async def fine() -> dict[str, str]:
        return {"status": "fine"}

    return create_app(
        runtime_factory=_IdleRuntime,  # type: ignore[arg-type]
        title="test",
        description="test",
        routers=[router],
    )


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines if ": " in line)
    body = await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), body


class TestUnexpectedErrors:
    async def test_a_500_keeps_the_keep_alive_connection_usable(self) -> None:
        async with serve(_app_with_a_failing_route()) as url:  # type: ignore[arg-type]
            address = urllib.parse.urlsplit(url)
            reader, writer = await asyncio.open_connection(address.hostname, address.port)
            try:
                status, body = await _get(reader, writer, "/boom")
                assert status == 500
                assert orjson.loads(body) == {"error": "internal", "message": "Internal error."}
                # The same connection answers the next request (uvicorn used to drop it).
                status, body = await _get(reader, writer, "/fine")
                assert (status, orjson.loads(body)) == (200, {"status": "fine"})
            finally:
                writer.close()

    async def test_an_unavailable_dependency_is_a_503_on_a_usable_connection(self) -> None:
        async with serve(_app_with_a_failing_route()) as url:  # type: ignore[arg-type]
            address = urllib.parse.urlsplit(url)
            reader, writer = await asyncio.open_connection(address.hostname, address.port)
            try:
                status, body = await _get(reader, writer, "/down")
                assert (status, orjson.loads(body)["error"]) == (503, "unavailable")
                status, _ = await _get(reader, writer, "/fine")
                assert status == 200
            finally:
                writer.close()
