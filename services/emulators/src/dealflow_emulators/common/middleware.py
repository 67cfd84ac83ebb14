"""The ASGI layer every emulator shares: request log, injected faults, rate limiting.

It sits in front of the provider's routes so a fault or a 429 looks to the client exactly like
the provider's own, and the log records every request, whatever answered it.
"""

import asyncio
import contextlib
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dealflow_emulators.common.clock import iso_ms, utc_now
from dealflow_emulators.common.emulator import Emulator
from dealflow_emulators.common.faults import FaultKind, FaultSpec
from dealflow_emulators.common.ratelimit import RateHit
from dealflow_emulators.common.requestlog import LoggedRequest

CONTROL_PREFIX = "/_emulator"


class EmulatorMiddleware:
    def __init__(self, app: ASGIApp, emulator: Emulator[Any]) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        emulator = self.emulator
        started = time.perf_counter()
        body = await _read_body(receive)
        headers = Headers(scope=scope)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        method: str = scope["method"]
        entry = emulator.requests.open(
            at=iso_ms(utc_now()),
            method=method,
            path=path,
            query=query,
            credential=emulator.credential_of(headers, query),
            body=_parse(body, headers.get("content-type", "")),
        )
        replay = _replaying(body, receive)
        try:
            await self._answer(scope, replay, receive, send, entry, headers, query)
        except Exception:
            entry.status = 500  # what the server error middleware outside answers
            raise
        finally:
            entry.duration_ms = round((time.perf_counter() - started) * 1000, 2)

    async def _answer(
        self,
        scope: Scope,
        replay: Receive,
        receive: Receive,
        send: Send,
        entry: LoggedRequest,
        headers: Headers,
        query: dict[str, str],
    ) -> None:
        emulator = self.emulator
        path: str = scope["path"]
        fault = emulator.faults.pick(scope["method"], path)
        if fault is not None:
            entry.fault = fault.kind.value
        if fault is not None and fault.kind is FaultKind.RATE_LIMIT:
            await _respond(
                emulator.rate_limit_response(
                    emulator.limiter.exhausted(fault.retry_after_ms), path
                ),
                entry,
                scope,
                replay,
                send,
            )
            return
        hit = self._count(scope["method"], path, emulator.credential_of(headers, query))
        if hit is not None and not hit.allowed:
            entry.fault = "rate_limit (limiter)"
            await _respond(emulator.rate_limit_response(hit, path), entry, scope, replay, send)
            return
        extra = emulator.rate_limit_headers(hit) if hit is not None else {}
        if fault is None:
            await self.app(scope, replay, _with_headers(send, extra, entry))
            return
        if fault.kind is FaultKind.SERVER_ERROR:
            if fault.apply:
                await self.app(scope, replay, _discard)
            await _respond(emulator.server_error_response(fault.status), entry, scope, replay, send)
            return
        # A timeout: hold the answer (the real one when `apply`, else a gateway timeout).
        held: list[Message] = []
        if fault.apply:
            await self.app(scope, replay, _collect(held))
        if not await self._hold(fault, receive):
            return  # the client gave up: nothing to send, status stays None in the log
        if held:
            tagged = _with_headers(send, extra, entry)
            for message in held:
                await tagged(message)
        else:
            await _respond(emulator.timeout_response(), entry, scope, replay, send)

    def _count(self, method: str, path: str, credential: str | None) -> RateHit | None:
        emulator = self.emulator
        if emulator.config.rate_limit is None or not emulator.rate_limited(path):
            return None
        return emulator.limiter.hit(emulator.rate_limit_key(credential, method, path))

    async def _hold(self, fault: FaultSpec, receive: Receive) -> bool:
        """Wait the hold time (or until a reset lets go); False when the client went away."""
        hold = fault.hold_seconds
        if hold is None:
            hold = self.emulator.config.timeout_hold_seconds
        released = self.emulator.faults.released
        disconnect = asyncio.ensure_future(_until_disconnect(receive))
        release = asyncio.ensure_future(released.wait())
        try:
            done, _ = await asyncio.wait(
                {disconnect, release}, timeout=hold, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (disconnect, release):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return disconnect not in done


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The app reads the buffered body once, then waits on the real channel (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _parse(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    if "json" in content_type:
        try:
            return json.loads(body)
        except ValueError:
            pass
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode("utf-8", "replace")))
    return body[:2000].decode("utf-8", "replace")


def _with_headers(send: Send, extra: dict[str, str], entry: LoggedRequest) -> Send:
    encoded = [(k.lower().encode(), v.encode()) for k, v in extra.items()]

    async def tagged(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = message["status"]
            message = {**message, "headers": [*message.get("headers", []), *encoded]}
        await send(message)

    return tagged


def _collect(into: list[Message]) -> Send:
    async def collect(message: Message) -> None:
        into.append(message)

    return collect


async def _discard(message: Message) -> None:
    return None


async def _respond(
    response: Response, entry: LoggedRequest, scope: Scope, receive: Receive, send: Send
) -> None:
    entry.status = response.status_code
    await response(scope, receive, send)
