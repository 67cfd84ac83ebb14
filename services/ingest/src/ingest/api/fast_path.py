"""The webhook hot path: `serve_webhook` as a bare ASGI handler in front of FastAPI.

Routing, middleware and dependency resolution cost more CPU than the rest of a webhook's work;
this skips them for `POST /webhooks/{calcom|calendly}/{tenant}` and passes every other request
(and the lifespan) to the FastAPI app. It adds what the app's middleware would have: the
request's trace span and the HTTP metrics.
"""

import time

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from dealflow_libs import tracing
from dealflow_libs.metrics import HTTP_LATENCY, HTTP_REQUESTS
from dealflow_schemas.bookings import Provider
from ingest.api.webhooks import request_headers, serve_webhook

ROUTE = "/webhooks/{provider}/{tenant}"
PROVIDERS = {p.value: p for p in Provider}


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
        headers = request_headers(scope)
        with tracing.http_request("POST", headers) as request:
            status = await serve_webhook(
                self.app.state.ingest, headers, receive, send, provider=provider, tenant=tenant
            )
            request.finish("POST", ROUTE, status)
        HTTP_REQUESTS.labels("POST", ROUTE, str(status)).inc()
        HTTP_LATENCY.labels("POST", ROUTE).observe(time.perf_counter() - started)
