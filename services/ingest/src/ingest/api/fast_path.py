"""The webhook hot path as a bare ASGI handler in front of FastAPI.

Routing, middleware and dependency resolution cost more CPU than the rest of a webhook's work;
this handler skips them for `POST /webhooks/{calcom|calendly}/{tenant}` and passes every other
request (and the lifespan) to the FastAPI app. Behaviour is the same as the FastAPI routes:
both call `answer_delivery`.
"""

import logging
import time
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from dealflow_libs import tracing
from dealflow_libs.errors import is_transient
from dealflow_libs.metrics import HTTP_LATENCY, HTTP_REQUESTS
from dealflow_schemas.bookings import Provider
from ingest.api.deps import IngestContext
from ingest.api.webhooks import answer_delivery, read_limit

log = logging.getLogger(__name__)

ROUTE = "/webhooks/{provider}/{tenant}"
PROVIDERS = {p.value: p for p in Provider}
JSON = [(b"content-type", b"application/json")]


class WebhookFastPath:
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            parts = scope["path"].split("/")
            if len(parts) == 4 and parts[1] == "webhooks" and parts[2] in PROVIDERS and parts[3]:
                await self._webhook(scope, receive, send, PROVIDERS[parts[2]], parts[3])
                return
        await self.app(scope, receive, send)

    async def _webhook(
        self, scope: Scope, receive: Receive, send: Send, provider: Provider, tenant: str
    ) -> None:
        started = time.perf_counter()
        ctx: IngestContext = self.app.state.ingest
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = await _read(receive, read_limit(headers, ctx.settings.max_body_bytes))
        with tracing.http_request("POST", headers) as request:
            try:
                status, content = await answer_delivery(ctx, provider, tenant, headers, body)
            except Exception as exc:
                status, content = _failure(exc)
            request.finish("POST", ROUTE, status)
        await _respond(send, status, content, close=status == 413)
        HTTP_REQUESTS.labels("POST", ROUTE, str(status)).inc()
        HTTP_LATENCY.labels("POST", ROUTE).observe(time.perf_counter() - started)


async def _read(receive: Receive, keep: int) -> bytes:
    chunks: list[bytes] = []
    size, more = 0, True
    while more and size < keep:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _failure(exc: Exception) -> tuple[int, dict[str, Any]]:
    if is_transient(exc):
        log.warning("cannot record delivery: database unavailable", extra={"error": repr(exc)})
        return 503, {
            "error": "unavailable",
            "message": "Cannot store the delivery now; retry shortly.",
        }
    log.exception("unhandled error while recording a delivery")
    return 500, {"error": "internal", "message": "Internal error."}


async def _respond(send: Send, status: int, content: dict[str, Any], *, close: bool) -> None:
    body = orjson.dumps(content)
    headers = [*JSON, (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", b"5"))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
