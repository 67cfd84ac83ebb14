"""Webhook endpoints: every delivery is recorded, valid or not, before it is answered.

`serve_webhook` is the one implementation, a bare ASGI handler: it reads the body, assesses,
records (group commit) and answers. `fast_path.WebhookFastPath` calls it in front of FastAPI
(the hot path: no routing, middleware or dependency resolution); the FastAPI routes below only
document the endpoints in OpenAPI and hand the request to it when they are reached at all.
"""

import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from dealflow_libs.errors import is_transient
from dealflow_libs.metrics import WEBHOOKS
from dealflow_schemas.bookings import Provider
from dealflow_schemas.bounded import ID
from ingest.api.deps import IngestContext
from ingest.domain.deliveries import Assessment, Delivery, Verdict, assess, reject

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

#: How much of an oversized body is kept for the audit log.
TOO_LARGE_KEPT_BYTES = 64 * 1024

_MESSAGES = {
    Verdict.ACCEPTED: "Delivery accepted and queued for processing.",
    Verdict.DUPLICATE: "Already received this event; nothing new was published.",
    Verdict.IGNORED: "Delivery stored; its trigger is not booking-related.",
}


def read_limit(headers: dict[str, str], limit: int) -> int:
    """How many bytes to read: all (up to limit + 1) unless the sender announced too many."""
    declared = headers.get("content-length", "")
    return TOO_LARGE_KEPT_BYTES if declared.isdigit() and int(declared) > limit else limit + 1


def body_verdict(body: bytes, headers: dict[str, str], limit: int) -> tuple[bytes, bool]:
    """(body as stored, too large?) for what was read under `read_limit`."""
    declared = headers.get("content-length", "")
    if (declared.isdigit() and int(declared) > limit) or len(body) > limit:
        return body[:TOO_LARGE_KEPT_BYTES], True
    return body, False


def answer(result: Assessment) -> tuple[int, dict[str, Any]]:
    WEBHOOKS.labels(result.delivery.provider.value, result.verdict.value).inc()
    content: dict[str, Any] = {
        "status": result.verdict.value,
        "raw_event_id": str(result.raw_event_id),
    }
    if result.event_id is not None:
        content["event_id"] = str(result.event_id)
    if result.verdict in _MESSAGES:
        content["message"] = _MESSAGES[result.verdict]
    if result.verdict is Verdict.IGNORED and result.error:
        content["reason"] = result.error
    if result.status_code >= 400:
        content = {"error": result.verdict.value, "message": result.error, **content}
        if result.missing:
            content["missing"] = result.missing
    return result.status_code, content


async def answer_delivery(
    ctx: IngestContext, provider: Provider, tenant: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, Any]]:
    """Assesses, records (group commit) and answers one delivery."""
    stored_body, too_large = body_verdict(body, headers, ctx.settings.max_body_bytes)
    delivery = Delivery(
        provider=provider,
        tenant_id=tenant,
        headers=headers,
        body=stored_body,
        received_at=datetime.now(UTC),
        body_truncated=too_large,
    )
    if too_large:
        limit = ctx.settings.max_body_bytes
        assessment = reject(delivery, Verdict.TOO_LARGE, f"body exceeds the {limit}-byte limit")
    else:
        # A path segment that cannot be a tenant id (NUL, kilobytes) is no tenant: no lookup.
        secrets = None if ID.problem(tenant) else await ctx.tenants.secrets(tenant)
        assessment = assess(
            delivery,
            secrets,
            now=time.time(),
            tolerance_seconds=ctx.settings.calendly_tolerance_seconds,
        )
    return answer(await ctx.recorder.record(assessment))


def request_headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


async def serve_webhook(
    ctx: IngestContext,
    headers: dict[str, str],
    receive: Receive,
    send: Send,
    *,
    provider: Provider,
    tenant: str,
) -> int:
    """Serves `POST /webhooks/{provider}/{tenant}`; returns the status it answered."""
    body = await _read(receive, read_limit(headers, ctx.settings.max_body_bytes))
    try:
        status, content = await answer_delivery(ctx, provider, tenant, headers, body)
    except Exception as exc:
        status, content = _failure(exc)
    await _respond(send, status, content)
    return status


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


_JSON = (b"content-type", b"application/json")


async def _respond(send: Send, status: int, content: dict[str, Any]) -> None:
    body = orjson.dumps(content)
    headers = [_JSON, (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", b"5"))
    if status == 413:
        headers.append((b"connection", b"close"))  # the unread rest of the body is dropped
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Served(Response):
    """What a documented route returns: running it as ASGI serves the webhook."""

    def __init__(self, request: Request, provider: Provider, tenant: str) -> None:
        # Response.__init__ would render a body; this one is produced by serve_webhook.
        self.background = None
        self.ctx: IngestContext = request.app.state.ingest
        self.provider, self.tenant = provider, tenant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = request_headers(scope)
        await serve_webhook(
            self.ctx, headers, receive, send, provider=self.provider, tenant=self.tenant
        )


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "duplicate or ignored"},
    **{code: {} for code in (400, 401, 404, 413, 422, 503)},
}


@router.post(
    "/webhooks/calcom/{tenant}",
    summary="Receive a Cal.com webhook",
    status_code=202,
    responses=_RESPONSES,
)
async def calcom_webhook(tenant: str, request: Request) -> Response:
    """Verifies `X-Cal-Signature-256` (hex HMAC-SHA256 of the raw body)."""
    return _Served(request, Provider.CALCOM, tenant)


@router.post(
    "/webhooks/calendly/{tenant}",
    summary="Receive a Calendly webhook",
    status_code=202,
    responses=_RESPONSES,
)
async def calendly_webhook(tenant: str, request: Request) -> Response:
    """Verifies `Calendly-Webhook-Signature: t=<unix>,v1=<hex>` within the tolerance window."""
    return _Served(request, Provider.CALENDLY, tenant)
