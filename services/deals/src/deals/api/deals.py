"""Deal queries and commands."""

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dealflow_libs.http import ApiError, PatchBody
from dealflow_libs.pagination import after_cursor, page_of
from dealflow_schemas.bounded import Day, Instant, Money, Name, Text, parse_instant
from dealflow_schemas.deals import DealStage, DealStatus, LostReason
from deals.api.deps import Ctx, Tenant
from deals.api.views import DealView, deal_views
from deals.domain.deal import Deal, DealClosed, InvalidChange
from deals.use_cases import (
    Conflict,
    NotFound,
    edit_deal,
    lose_deal,
    move_stage,
    reopen_deal,
    win_deal,
)

router = APIRouter(prefix="/v1/deals", tags=["deals"])


class DealPage(BaseModel):
    items: list[DealView]
    next_cursor: str | None


class HistoryEntry(BaseModel):
    kind: str
    from_stage: str | None
    to_stage: str | None
    from_status: str | None
    to_status: str | None
    changed_by: str | None
    reason: str | None
    changed_at: datetime


class LinkedMeeting(BaseModel):
    meeting_id: uuid.UUID
    title: str | None
    meeting_type: str | None
    scheduled_at: datetime | None
    status: str
    primary_email: str | None


class Contact(BaseModel):
    email: str
    name: str | None


class Activity(BaseModel):
    kind: str
    detail: dict[str, Any]
    at: datetime


class DealDetail(DealView):
    contacts: list[Contact]
    meetings: list[LinkedMeeting]
    stage_history: list[HistoryEntry]
    timeline: list[Activity]


class DealPatch(PatchBody):
    clearable = frozenset({"value", "expected_close_date", "owner", "changed_by"})

    name: Name | None = Field(default=None, min_length=1)
    value: Money | None = Field(default=None, decimal_places=2)
    currency: str | None = Field(
        default=None, pattern="^[A-Z]{3}$", description="ISO 4217, e.g. EUR"
    )
    expected_close_date: Day | None = None
    owner: Name | None = None
    changed_by: Name | None = None


class StageMove(BaseModel):
    stage: DealStage
    reason: Text | None = None
    changed_by: Name | None = None


class Won(BaseModel):
    value: Money | None = Field(default=None, decimal_places=2)
    changed_by: Name | None = None


class Lost(BaseModel):
    reason: LostReason = Field(description=f"One of: {', '.join(r.value for r in LostReason)}")
    notes: Text | None = None
    changed_by: Name | None = None


class Reopen(BaseModel):
    stage: DealStage | None = Field(default=None, description="Default: the stage it was closed at")
    reason: Text | None = None
    changed_by: Name | None = None


def _not_found(deal_id: uuid.UUID) -> ApiError:
    return ApiError(404, "not_found", f"no deal {deal_id} for this tenant")


async def _out(ctx: Ctx, deal: Deal) -> DealView:
    async with ctx.uow() as uow:
        [view] = await deal_views(uow, [deal])
    return view


async def _run(ctx: Ctx, command: Any, deal_id: uuid.UUID) -> DealView:
    try:
        deal: Deal = await command
    except NotFound as exc:
        raise _not_found(deal_id) from exc
    except (DealClosed, Conflict) as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    except InvalidChange as exc:
        raise ApiError(422, "invalid_change", str(exc)) from exc
    return await _out(ctx, deal)


@router.get("", response_model=DealPage, summary="List deals, newest first")
async def list_deals(
    ctx: Ctx,
    tenant: Tenant,
    status: DealStatus | None = None,
    stage: DealStage | None = None,
    company_domain: Name | None = None,
    created_since: Instant | None = None,
    created_until: Instant | None = None,
    closed_since: Instant | None = None,
    closed_until: Instant | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> DealPage:
    after = after_cursor(cursor, parse_instant)
    async with ctx.uow() as uow:
        rows = await uow.deals.list(
            tenant,
            status=status,
            stage=stage,
            company_domain=company_domain,
            created_since=created_since,
            created_until=created_until,
            closed_since=closed_since,
            closed_until=closed_until,
            after=after,
            limit=limit + 1,
        )
        page, next_cursor = page_of(rows, limit, lambda d: d.created_at.isoformat())
        items = await deal_views(uow, page)
    return DealPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{deal_id}",
    response_model=DealDetail,
    summary="A deal with company, contacts, meetings and history",
)
async def get_deal(ctx: Ctx, tenant: Tenant, deal_id: uuid.UUID) -> DealDetail:
    async with ctx.uow() as uow:
        deal = await uow.deals.get(tenant, deal_id)
        if deal is None:
            raise _not_found(deal_id)
        [view] = await deal_views(uow, [deal])
        meetings = await uow.deals.meetings_of(deal_id=deal.id)
        people = await uow.deals.people_of(deal.company_id)
        history = await uow.deals.history(deal.id)
        activities = await uow.deals.activities(deal.id)
    attendees = {m.primary_email for m in meetings}
    return DealDetail(
        **dict(view),  # the view's fields as they are, not dumped and parsed
        contacts=[
            Contact(email=p["email"], name=p["name"])
            for p in people
            if p["email"] in attendees or p["email"] == deal.primary_contact_email
        ],
        meetings=[LinkedMeeting.model_validate(m, from_attributes=True) for m in meetings],
        stage_history=[HistoryEntry.model_validate(dict(h)) for h in history],
        timeline=[Activity.model_validate(dict(a)) for a in activities],
    )


@router.get(
    "/{deal_id}/history",
    response_model=list[HistoryEntry],
    summary="Stage and status changes, oldest first",
)
async def deal_history(ctx: Ctx, tenant: Tenant, deal_id: uuid.UUID) -> list[HistoryEntry]:
    async with ctx.uow() as uow:
        if await uow.deals.get(tenant, deal_id) is None:
            raise _not_found(deal_id)
        return [HistoryEntry.model_validate(dict(h)) for h in await uow.deals.history(deal_id)]


@router.patch(
    "/{deal_id}",
    response_model=DealView,
    summary="Edit value, currency, expected close date, name, owner",
)
async def patch_deal(ctx: Ctx, tenant: Tenant, deal_id: uuid.UUID, body: DealPatch) -> DealView:
    changes = body.model_dump(exclude_unset=True, exclude={"changed_by"})
    if not changes:
        raise ApiError(
            422,
            "invalid_request",
            "send at least one of: name, value, currency, expected_close_date, owner",
        )
    return await _run(
        ctx, edit_deal(ctx.uow(), tenant, deal_id, changes=changes, by=body.changed_by), deal_id
    )


@router.post(
    "/{deal_id}/stage",
    response_model=DealView,
    summary="Move an active deal to another open stage",
)
async def stage(ctx: Ctx, tenant: Tenant, deal_id: uuid.UUID, body: StageMove) -> DealView:
    return await _run(
        ctx,
        move_stage(
            ctx.uow(), tenant, deal_id, stage=body.stage, by=body.changed_by, reason=body.reason
        ),
        deal_id,
    )


@router.post(
    "/{deal_id}/won",
    response_model=DealView,
    summary="Close as won (sets value, closed_at, days_to_close)",
)
async def won(ctx: Ctx, tenant: Tenant, deal_id: uuid.UUID, body: Won) -> DealView:
    return await _run(
        ctx, win_deal(ctx.uow(), tenant, deal_id, value=body.value, by=body.changed_by), deal_id
    )


@router.post(
    "/{deal_id}/lost",
    response_model=DealView,
    summary="Close as lost, with a reason from the list",
)
async def lost(ctx: Ctx, tenant: Tenant, deal_id: uuid.UUID, body: Lost) -> DealView:
    return await _run(
        ctx,
        lose_deal(
            ctx.uow(), tenant, deal_id, reason=body.reason, notes=body.notes, by=body.changed_by
        ),
        deal_id,
    )


@router.post(
    "/{deal_id}/reopen", response_model=DealView, summary="Reopen a won, lost or cancelled deal"
)
async def reopen(ctx: Ctx, tenant: Tenant, deal_id: uuid.UUID, body: Reopen) -> DealView:
    return await _run(
        ctx,
        reopen_deal(
            ctx.uow(), tenant, deal_id, stage=body.stage, by=body.changed_by, reason=body.reason
        ),
        deal_id,
    )
