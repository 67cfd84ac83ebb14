"""Leads: every person with a touch or a meeting, their status, and one lead's timeline."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from attribution.api.deps import Ctx, Tenant
from attribution.db.leads import LeadFilter, LeadMeeting
from attribution.domain.funnel import DealFact
from attribution.domain.leads import Lead, LeadStatus
from attribution.domain.recorded import RecordedTouch
from attribution.leads import LeadTimeline, lead_timeline, list_leads
from dealflow_libs.domains import registrable_domain
from dealflow_libs.http import ApiError
from dealflow_libs.pagination import decode_cursor, encode_cursor
from dealflow_schemas.bounded import Email, Instant, Name
from dealflow_schemas.deals import DealStatus

router = APIRouter(prefix="/v1/leads", tags=["leads"])

STATUS_DOC = (
    "touched: touches only; meeting_booked: booked or attends a meeting; opportunity: an active "
    "deal of the lead's account; converted: a won deal of the account; lost: the account's "
    "deals are all lost. The account is every deal at the lead's company (registrable domain; "
    "none for a personal address) and every deal naming the person as primary contact or "
    "attendee. Cancelled deals do not count."
)
FILTERS = frozenset(
    {"status", "company_domain", "channel", "first_seen_from", "first_seen_to", "q"}
    | {"cursor", "limit"}
)


class LeadOut(BaseModel):
    email: str = Field(description="The person's address as every service spells it.")
    company_domain: str | None = Field(
        description="Registrable domain of the address; null for a personal mailbox (the "
        "tenant's personal domains included) or an address with no registrable domain."
    )
    status: LeadStatus = Field(description=STATUS_DOC)
    first_seen_at: datetime = Field(description="The first touch or booking, whichever was first.")
    first_touch_at: datetime | None = Field(description="Null for a meeting attendee only.")
    first_touch_channel: str | None = Field(
        description="Channel of the first touch by (occurred_at, touch_id)."
    )
    last_touch_at: datetime | None
    touches: int = Field(description="Touches recorded (a booking is a touch of who booked).")
    meetings: int = Field(description="Meetings the person booked or attends.")

    @classmethod
    def of(cls, lead: Lead) -> "LeadOut":
        return cls(
            email=lead.email,
            company_domain=lead.company_domain,
            status=lead.status,
            first_seen_at=lead.first_seen_at,
            first_touch_at=lead.first_touch_at,
            first_touch_channel=lead.first_touch_channel,
            last_touch_at=lead.last_touch_at,
            touches=lead.touches,
            meetings=lead.meetings,
        )


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


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
    source: str = Field(description="api, kafka or meeting (a booking's own touch).")
    received_at: datetime


class MeetingOut(BaseModel):
    meeting_id: str
    booked_at: datetime
    booked_by: str
    attendees: list[str] = Field(description="Who booked and every attendee.")
    status: str | None = Field(description="Latest recorded meeting status; null if none yet.")
    scheduled_at: datetime | None
    showed_up: bool | None


class DealOut(BaseModel):
    deal_id: str
    company_domain: str | None
    status: DealStatus
    stage: str
    value: Decimal | None = Field(description="Current value in `currency`.")
    currency: str
    created_at: datetime
    won_at: datetime | None
    lost_at: datetime | None


class TimelineItem(BaseModel):
    at: datetime = Field(
        description="A touch's occurred_at, a meeting's booking time, a deal's creation."
    )
    kind: Literal["touch", "meeting", "deal"]
    touch: TouchOut | None = None
    meeting: MeetingOut | None = None
    deal: DealOut | None = None


class LeadDetail(LeadOut):
    timeline: list[TimelineItem] = Field(
        description="Touches, meetings and the account's deals, oldest first (at the same "
        "instant: touches, then meetings, then deals, each kind by id)."
    )


@router.get("", response_model=LeadPage, summary="Leads in email order, filtered")
async def get_leads(
    request: Request,
    tenant: Tenant,
    ctx: Ctx,
    status: LeadStatus | None = Query(None, description=STATUS_DOC),
    company_domain: Name | None = Query(
        None, description="The company's registrable domain (a subdomain names its company)."
    ),
    channel: Name | None = Query(None, description="The first touch's channel."),
    first_seen_from: Instant | None = Query(None, description="first_seen_at at or after."),
    first_seen_to: Instant | None = Query(None, description="first_seen_at at or before."),
    q: Email | None = Query(None, description="Email prefix (case-insensitive)."),
    limit: int = Query(50, ge=1, le=500, description="Leads per page."),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page."),
) -> LeadPage:
    """Leads by email (byte order), so a walk with the cursor meets each lead once even while
    leads change. An unknown or malformed filter is a 422 naming it."""
    unknown = sorted(set(request.query_params) - FILTERS)
    if unknown:
        raise _bad(unknown[0], f"not a filter of leads (filters: {', '.join(sorted(FILTERS))})")
    if first_seen_from and first_seen_to and first_seen_from > first_seen_to:
        raise _bad("first_seen_from", "after first_seen_to")
    where = LeadFilter(
        status=status,
        company_domain=_company(company_domain) if company_domain is not None else None,
        channel=channel,
        first_seen_from=first_seen_from,
        first_seen_to=first_seen_to,
        email_prefix=q.strip().lower() if q else None,
    )
    after = None
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        if not isinstance(after, str):
            raise ApiError(400, "invalid_cursor", "cursor is not one this API returned")
    found = await list_leads(ctx.uow(), tenant, where, after=after, limit=limit + 1)
    page = found[:limit]
    next_cursor = encode_cursor(page[-1].email) if len(found) > limit else None
    return LeadPage(items=[LeadOut.of(lead) for lead in page], next_cursor=next_cursor)


@router.get("/{email}", response_model=LeadDetail, summary="A lead and its timeline")
async def get_lead(email: Email, tenant: Tenant, ctx: Ctx) -> LeadDetail:
    """The lead (any spelling of the address) with its touches, meetings (with their recorded
    state) and its account's deals, in time order; 404 when the tenant has no such lead."""
    found = await lead_timeline(ctx.uow(), tenant, email)
    if found is None:
        raise ApiError(404, "not_found", "no lead with this email")
    return LeadDetail(**dict(LeadOut.of(found.lead)), timeline=_timeline(found))


def _bad(field: str, problem: str) -> ApiError:
    return ApiError(422, "invalid_request", f"{field}: {problem}", field=field)


def _company(value: str) -> str:
    domain = registrable_domain(value.strip())
    if domain is None:
        raise _bad("company_domain", "not a domain name with a registrable domain")
    return domain


_RANK = {"touch": 0, "meeting": 1, "deal": 2}


def _timeline(found: LeadTimeline) -> list[TimelineItem]:
    items = [
        *(
            TimelineItem(at=t.touch.occurred_at, kind="touch", touch=_touch(t))
            for t in found.touches
        ),
        *(
            TimelineItem(at=m.booked_at, kind="meeting", meeting=_meeting(m))
            for m in found.meetings
        ),
        *(TimelineItem(at=d.created_at, kind="deal", deal=_deal(d)) for d in found.deals),
    ]
    return sorted(items, key=lambda item: (item.at, _RANK[item.kind], _id(item)))


def _id(item: TimelineItem) -> str:
    """The tie-break within a kind at one instant: its id (a touch's as its sender gave it)."""
    found = item.touch or item.meeting or item.deal
    assert found is not None
    if isinstance(found, TouchOut):
        return found.touch_id
    return found.meeting_id if isinstance(found, MeetingOut) else found.deal_id


def _touch(recorded: RecordedTouch) -> TouchOut:
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


def _meeting(meeting: LeadMeeting) -> MeetingOut:
    return MeetingOut(
        meeting_id=str(meeting.meeting_id),
        booked_at=meeting.booked_at,
        booked_by=meeting.booked_by,
        attendees=list(meeting.attendees),
        status=meeting.status,
        scheduled_at=meeting.scheduled_at,
        showed_up=meeting.showed_up,
    )


def _deal(deal: DealFact) -> DealOut:
    status = DealStatus(deal.status)
    return DealOut(
        deal_id=str(deal.deal_id),
        company_domain=deal.company_domain,
        status=status,
        stage=deal.stage,
        value=deal.value,
        currency=deal.currency,
        created_at=deal.created_at,
        won_at=deal.closed_at if status is DealStatus.WON else None,
        lost_at=deal.closed_at if status is DealStatus.LOST else None,
    )
