"""Leads: the people known by their touches, and each one's timeline."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from attribution.api.deps import Ctx, Tenant
from attribution.domain.recorded import RecordedTouch
from attribution.use_cases import lead_timeline, list_leads
from dealflow_libs.http import ApiError
from dealflow_libs.pagination import decode_cursor, encode_cursor
from dealflow_schemas.bounded import Email

router = APIRouter(prefix="/v1/leads", tags=["leads"])


class LeadOut(BaseModel):
    email: str
    touches: int
    first_touch_at: datetime
    last_touch_at: datetime
    first_channel: str
    last_channel: str


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None


class TouchOut(BaseModel):
    touch_id: str
    occurred_at: datetime
    activity_type: str
    channel: str
    channel_rule_id: str
    rule_version: int
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_content: str | None
    utm_term: str | None
    campaign_id: str | None
    external_activity_id: str | None
    metadata: dict[str, Any]
    source: str
    received_at: datetime


class LeadTimeline(BaseModel):
    email: str
    touches: list[TouchOut]


@router.get("", response_model=LeadPage)
async def get_leads(
    tenant: Tenant,
    ctx: Ctx,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> LeadPage:
    """People with at least one touch, by email."""
    after = None
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        if not isinstance(after, str):
            raise ApiError(400, "invalid_cursor", "cursor is not one this API returned")
    leads = await list_leads(ctx.uow(), tenant, after, limit + 1)
    page = leads[:limit]
    next_cursor = encode_cursor(page[-1].email) if len(leads) > limit else None
    return LeadPage(
        items=[
            LeadOut(
                email=lead.email,
                touches=lead.touches,
                first_touch_at=lead.first_touch_at,
                last_touch_at=lead.last_touch_at,
                first_channel=lead.first_channel,
                last_channel=lead.last_channel,
            )
            for lead in page
        ],
        next_cursor=next_cursor,
    )


@router.get("/{email}", response_model=LeadTimeline)
async def get_lead(email: Email, tenant: Tenant, ctx: Ctx) -> LeadTimeline:
    """One person's touches, oldest first, each with the channel and rule version it got."""
    touches = await lead_timeline(ctx.uow(), tenant, email)
    if not touches:
        raise ApiError(404, "not_found", "no touches for this email")
    return LeadTimeline(email=touches[0].touch.person_email, touches=[_out(t) for t in touches])


def _out(recorded: RecordedTouch) -> TouchOut:
    touch, found = recorded.touch, recorded.classification
    return TouchOut(
        touch_id=touch.touch_id,
        occurred_at=touch.occurred_at,
        activity_type=touch.activity_type.value,
        channel=found.channel,
        channel_rule_id=found.rule_id,
        rule_version=found.rule_version,
        utm_source=touch.utm.source,
        utm_medium=touch.utm.medium,
        utm_campaign=touch.utm.campaign,
        utm_content=touch.utm.content,
        utm_term=touch.utm.term,
        campaign_id=touch.campaign_id,
        external_activity_id=touch.external_activity_id,
        metadata=dict(touch.metadata),
        source=recorded.source,
        received_at=recorded.received_at,
    )
