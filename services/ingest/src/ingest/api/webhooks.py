"""Webhook endpoints: every delivery is recorded, valid or not, before it is answered."""

import time
from datetime import UTC, datetime

from dealflow_libs.http import JsonResponse
from dealflow_libs.metrics import WEBHOOKS
from dealflow_schemas.bookings import Provider
from fastapi import APIRouter, Request

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


async def _read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """Reads the body, stopping once it is known to be over `limit`; returns (body, too_large)."""
    declared = request.headers.get("content-length", "")
    declared_too_large = declared.isdigit() and int(declared) > limit
    keep = TOO_LARGE_KEPT_BYTES if declared_too_large else limit + 1
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size >= keep:
            break
    body = b"".join(chunks)
    if declared_too_large or size > limit:
        return body[:TOO_LARGE_KEPT_BYTES], True
    return body, False


def _response(result: Assessment) -> JsonResponse:
    WEBHOOKS.labels(result.delivery.provider.value, result.verdict.value).inc()
    content: dict[str, object] = {
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
    return JsonResponse(content, status_code=result.status_code)


async def _receive(request: Request, provider: Provider, tenant: str) -> JsonResponse:
    ctx: IngestContext = context(request)
    received_at = datetime.now(UTC)
    body, too_large = await _read_body(request, ctx.settings.max_body_bytes)
    delivery = Delivery(
        provider=provider,
        tenant_id=tenant,
        headers=dict(request.headers),
        body=body,
        received_at=received_at,
        body_truncated=too_large,
    )
    if too_large:
        limit = ctx.settings.max_body_bytes
        assessment = reject(delivery, Verdict.TOO_LARGE, f"body exceeds the {limit}-byte limit")
    else:
        assessment = assess(
            delivery,
            await ctx.tenants.secrets(tenant),
            now=time.time(),
            tolerance_seconds=ctx.settings.calendly_tolerance_seconds,
        )
    return _response(await ctx.recorder.record(assessment))


@router.post(
    "/webhooks/calcom/{tenant}",
    summary="Receive a Cal.com webhook",
    status_code=202,
    responses={
        200: {"description": "duplicate or ignored"},
        401: {},
        404: {},
        400: {},
        413: {},
        422: {},
        503: {},
    },
)
async def calcom_webhook(tenant: str, request: Request) -> JsonResponse:
    """Verifies `X-Cal-Signature-256` (hex HMAC-SHA256 of the raw body)."""
    return await _receive(request, Provider.CALCOM, tenant)


@router.post(
    "/webhooks/calendly/{tenant}",
    summary="Receive a Calendly webhook",
    status_code=202,
    responses={
        200: {"description": "duplicate or ignored"},
        401: {},
        404: {},
        400: {},
        413: {},
        422: {},
        503: {},
    },
)
async def calendly_webhook(tenant: str, request: Request) -> JsonResponse:
    """Verifies `Calendly-Webhook-Signature: t=<unix>,v1=<hex>` within the tolerance window."""
    return await _receive(request, Provider.CALENDLY, tenant)
