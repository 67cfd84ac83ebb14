"""Webhook endpoints: every delivery is recorded, valid or not, before it is answered.

`answer_delivery` is the whole behaviour. It is reached through `fast_path.WebhookFastPath` (a
bare ASGI handler in front of FastAPI: the hot path) and through the FastAPI routes below,
which also document the endpoints in OpenAPI.
"""

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from dealflow_libs.http import JsonResponse
from dealflow_libs.metrics import WEBHOOKS
from dealflow_schemas.bookings import Provider
from dealflow_schemas.bounded import ID
from ingest.api.deps import IngestContext, context
from ingest.domain.deliveries import Assessment, Delivery, Verdict, assess, reject

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


async def _receive(request: Request, provider: Provider, tenant: str) -> JsonResponse:
    ctx = context(request)
    headers = dict(request.headers)
    keep = read_limit(headers, ctx.settings.max_body_bytes)
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size >= keep:
            break
    status, content = await answer_delivery(ctx, provider, tenant, headers, b"".join(chunks))
    return JsonResponse(content, status_code=status)


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
async def calcom_webhook(tenant: str, request: Request) -> JsonResponse:
    """Verifies `X-Cal-Signature-256` (hex HMAC-SHA256 of the raw body)."""
    return await _receive(request, Provider.CALCOM, tenant)


@router.post(
    "/webhooks/calendly/{tenant}",
    summary="Receive a Calendly webhook",
    status_code=202,
    responses=_RESPONSES,
)
async def calendly_webhook(tenant: str, request: Request) -> JsonResponse:
    """Verifies `Calendly-Webhook-Signature: t=<unix>,v1=<hex>` within the tolerance window."""
    return await _receive(request, Provider.CALENDLY, tenant)
