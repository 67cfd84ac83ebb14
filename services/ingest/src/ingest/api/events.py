"""Audit API: every delivery a tenant was sent, with its verdict; replay of stored deliveries."""

import uuid
from datetime import datetime
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from dealflow_libs.api import Tenant
from dealflow_libs.http import ApiError
from dealflow_libs.pagination import after_cursor, page_of
from dealflow_schemas.bounded import Instant, Name, parse_instant
from ingest.api.deps import context
from ingest.db.tables import RawEvent
from ingest.domain.deliveries import Verdict
from ingest.use_cases import NotFound, NotReplayable, replay_delivery

router = APIRouter(prefix="/v1/events", tags=["audit"])


class EventSummary(BaseModel):
    id: uuid.UUID
    provider: str
    trigger: str
    verdict: str
    status_code: int
    error: str | None
    event_id: uuid.UUID | None
    replay_of: uuid.UUID | None
    received_at: datetime


class EventDetail(EventSummary):
    headers: dict[str, str]
    body: Any
    body_truncated: bool
    dedupe_key: str | None


class EventPage(BaseModel):
    items: list[EventSummary]
    next_cursor: str | None


class ReplayResult(BaseModel):
    status: str
    raw_event_id: uuid.UUID
    event_id: uuid.UUID | None
    message: str | None


def _summary(raw: RawEvent) -> dict[str, Any]:
    return {k: getattr(raw, k) for k in EventSummary.model_fields}


def _decoded_body(raw: RawEvent) -> Any:
    try:
        return orjson.loads(raw.body)
    except orjson.JSONDecodeError:
        return raw.body.decode("utf-8", "replace")


@router.get("", response_model=EventPage, summary="List deliveries, newest first")
async def list_events(
    request: Request,
    tenant: Tenant,
    provider: Literal["calcom", "calendly"] | None = None,
    trigger: Name | None = Query(None, description="Provider trigger, e.g. BOOKING_CREATED"),
    verdict: Verdict | None = None,
    since: Instant | None = Query(None, description="Received at or after (ISO-8601)"),
    until: Instant | None = Query(None, description="Received before (ISO-8601)"),
    event_id: list[uuid.UUID] | None = Query(
        None,
        max_length=50,
        description="Only the deliveries of these events: the one published as the event and "
        "its duplicates (a booking's trail names its events; repeat the parameter for several)",
    ),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> EventPage:
    after = after_cursor(cursor, parse_instant)
    async with context(request).uow() as uow:
        rows = await uow.deliveries.list(
            tenant,
            provider=provider,
            trigger=trigger,
            verdict=verdict.value if verdict else None,
            since=since,
            until=until,
            event_ids=event_id,
            after=after,
            limit=limit + 1,
        )
    page, next_cursor = page_of(rows, limit, lambda r: r.received_at.isoformat())
    return EventPage(items=[EventSummary(**_summary(r)) for r in page], next_cursor=next_cursor)


@router.get(
    "/{raw_event_id}", response_model=EventDetail, summary="One delivery with headers and body"
)
async def get_event(request: Request, tenant: Tenant, raw_event_id: uuid.UUID) -> EventDetail:
    async with context(request).uow() as uow:
        raw = await uow.deliveries.get(tenant, raw_event_id)
    if raw is None:
        raise ApiError(404, "not_found", f"no delivery {raw_event_id} for this tenant")
    return EventDetail(
        **_summary(raw),
        headers=raw.headers,
        body=_decoded_body(raw),
        body_truncated=raw.body_truncated,
        dedupe_key=raw.dedupe_key,
    )


@router.post(
    "/{raw_event_id}/replay",
    response_model=ReplayResult,
    status_code=202,
    summary="Normalize a stored delivery again and publish it as a new event",
)
async def replay_event(request: Request, tenant: Tenant, raw_event_id: uuid.UUID) -> ReplayResult:
    try:
        result = await replay_delivery(context(request).uow(), tenant, raw_event_id)
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    except NotReplayable as exc:
        raise ApiError(409, "not_replayable", str(exc)) from exc
    if result.verdict is not Verdict.REPLAYED:
        raise ApiError(
            422,
            "not_replayable",
            f"the stored body normalizes to '{result.verdict.value}': {result.error}",
            raw_event_id=str(result.raw_event_id),
        )
    return ReplayResult(
        status=result.verdict.value,
        raw_event_id=result.raw_event_id,
        event_id=result.event_id,
        message="Published as a new event; consumers see it with ce_replayof set.",
    )
