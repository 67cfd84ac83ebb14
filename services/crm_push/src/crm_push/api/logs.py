"""The push log (one entry per HTTP call to a CRM) and the pushes themselves, with retries."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from crm_push import connections as use
from crm_push.api.deps import Ctx, Tenant
from crm_push.api.views import CallView, PushView, call_view, push_view
from crm_push.db.repository import PushFilter
from crm_push.domain.model import Operation, PushStatus
from dealflow_libs.http import ApiError
from dealflow_libs.pagination import after_cursor, encode_cursor, page_of
from dealflow_schemas.bounded import Instant

router = APIRouter(prefix="/v1/crm", tags=["push log"])


class CallPage(BaseModel):
    items: list[CallView]
    next_cursor: str | None


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


@router.get("/logs", response_model=CallPage, summary="The push log, newest first")
async def list_calls(
    ctx: Ctx,
    tenant: Tenant,
    meeting_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
    push_id: uuid.UUID | None = None,
    operation: Annotated[str | None, Query(max_length=100)] = None,
    status: Literal["ok", "failed"] | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> CallPage:
    """Every HTTP call made for a push: operation, status, error, duration, CRM id. Request and
    response bodies (secrets redacted) are on `GET /v1/crm/logs/{id}`. `status=failed`: no
    answer, or an error status other than 404/409 (lookups that found nothing and creates that
    found the record are answers the push acts on)."""
    after = after_cursor(cursor, _instant, int)
    async with ctx.uow() as uow:
        rows = await uow.pushes.calls(
            tenant,
            push_id=push_id,
            meeting_id=meeting_id,
            deal_id=deal_id,
            operation=operation,
            failed=None if status is None else status == "failed",
            since=since,
            until=until,
            after=after,
            limit=limit + 1,
        )
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor(last["started_at"].isoformat(), last["id"]) if last else None
    return CallPage(
        items=[call_view(r, bodies=False) for r in rows[:limit]], next_cursor=next_cursor
    )


@router.get("/logs/{call_id}", response_model=CallView, summary="One call, with its bodies")
async def get_call(ctx: Ctx, tenant: Tenant, call_id: int) -> CallView:
    async with ctx.uow() as uow:
        row = await uow.pushes.call(tenant, call_id)
    if row is None:
        raise ApiError(404, "not_found", f"no push-log entry {call_id}")
    return call_view(row, bodies=True)


@router.post("/logs/{call_id}/retry", response_model=PushView, summary="Retry its parked push")
async def retry_from_log(ctx: Ctx, tenant: Tenant, call_id: int) -> PushView:
    """Runs the push this call belonged to again, if that push is parked (else 409)."""
    async with ctx.uow() as uow:
        row = await uow.pushes.call(tenant, call_id)
    if row is None:
        raise ApiError(404, "not_found", f"no push-log entry {call_id}")
    return push_view(await use.retry_push(ctx, tenant, row["push_id"]))


class PushPage(BaseModel):
    items: list[PushView]
    next_cursor: str | None


@router.get("/pushes", response_model=PushPage, summary="Pushes, newest first")
async def list_pushes(
    ctx: Ctx,
    tenant: Tenant,
    status: PushStatus | None = None,
    meeting_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
    operation: Operation | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> PushPage:
    after = after_cursor(cursor, _instant)
    where = PushFilter(
        status, meeting_id, deal_id, operation.value if operation else None, since, until
    )
    async with ctx.uow() as uow:
        rows = await uow.pushes.list_pushes(tenant, where, after, limit + 1)
    page, next_cursor = page_of(rows, limit, lambda p: p.created_at.isoformat())
    return PushPage(items=[push_view(p) for p in page], next_cursor=next_cursor)


class PushDetail(PushView):
    calls: list[CallView]


@router.get("/pushes/{push_id}", response_model=PushDetail, summary="A push and its calls")
async def get_push(ctx: Ctx, tenant: Tenant, push_id: uuid.UUID) -> PushDetail:
    async with ctx.uow() as uow:
        push = await uow.pushes.push(tenant, push_id)
        calls = await uow.pushes.calls(tenant, push_id=push_id, limit=500) if push else []
    if push is None:
        raise ApiError(404, "not_found", f"no push {push_id}")
    return PushDetail(
        **push_view(push).model_dump(), calls=[call_view(c, bodies=True) for c in calls]
    )


@router.post("/pushes/{push_id}/retry", response_model=PushView, summary="Retry a parked push")
async def retry_push(ctx: Ctx, tenant: Tenant, push_id: uuid.UUID) -> PushView:
    return push_view(await use.retry_push(ctx, tenant, push_id))
