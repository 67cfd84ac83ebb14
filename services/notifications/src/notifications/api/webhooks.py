"""Resend's delivery events: `POST /webhooks/resend/{tenant}`, authenticated by their Svix
signature (no API key), deduplicated by svix-id."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from dealflow_libs.http import ApiError
from notifications import use_cases
from notifications.api.deps import Ctx

router = APIRouter(tags=["webhooks"])

#: Resend's events are small; anything larger is not one of them.
MAX_BODY = 256 * 1024


class DeliveryAnswer(BaseModel):
    svix_id: str
    applied: str


@router.post("/webhooks/resend/{tenant_id}", response_model=DeliveryAnswer)
async def resend_webhook(ctx: Ctx, tenant_id: str, request: Request) -> DeliveryAnswer:
    """400 for a missing, wrong or stale (> 5 minutes) signature; 200 `duplicate` for a
    svix-id seen before; a bounced or complained address is suppressed for later sends."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ApiError(413, "too_large", f"a delivery event is at most {MAX_BODY} bytes")
    outcome = await use_cases.record_delivery(
        ctx.uow(), ctx.box, tenant_id, dict(request.headers), body
    )
    return DeliveryAnswer(svix_id=outcome.svix_id, applied=outcome.applied)
