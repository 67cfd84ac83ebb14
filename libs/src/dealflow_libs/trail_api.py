"""`GET /v1/trail/{correlation_id}`: every service answers what it did for one booking."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from dealflow_libs.api import Tenant
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.uow import UnitOfWork
from dealflow_schemas.bounded import Id

router = APIRouter(tags=["trail"])


class TrailItem(BaseModel):
    direction: Literal["consumed", "published"]
    channel: str = Field(
        description="The consumer that took the event in, or the topic it went to."
    )
    event_id: str
    event_type: str
    subject: str | None
    at: datetime


class TrailAnswer(BaseModel):
    service: str
    correlation_id: str
    items: list[TrailItem]


@router.get(
    "/v1/trail/{correlation_id}",
    summary="What this service did for one booking",
    description="Every event this service consumed and published with this correlation id "
    "(the `ce_correlationid` of the booking's events; ingest answers it as `event_id`), "
    "oldest first.",
)
async def trail_of(
    correlation_id: Id,
    tenant: Tenant,
    request: Request,
    limit: int = Query(500, ge=1, le=5000),
) -> TrailAnswer:
    runtime: ServiceRuntime = request.app.state.runtime
    uow = UnitOfWork(runtime.sessions, outbox_table=runtime.outbox_table, source=runtime.service)
    async with uow:
        entries = await uow.trail.of(tenant, correlation_id, limit)
    return TrailAnswer(
        service=runtime.service,
        correlation_id=correlation_id,
        items=[TrailItem(**vars(e)) for e in entries],
    )
