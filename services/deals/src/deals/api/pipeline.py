"""Pipeline summary and lost-deal analysis."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from dealflow_schemas.deals import DealStage, LostReason
from deals.api.deps import Ctx, Tenant
from deals.domain.analytics import lost_analysis, pipeline_summary

router = APIRouter(tags=["pipeline"])


class StageOut(BaseModel):
    stage: DealStage
    count: int
    total_value: Decimal
    average_probability: float | None


class PipelineOut(BaseModel):
    stages: list[StageOut]
    count: int
    total_value: Decimal
    weighted_value: Decimal
    currencies: list[str]


class LostOut(BaseModel):
    reason: LostReason
    count: int
    lost_value: Decimal
    average_days_in_pipeline: float | None
    most_lost_at_stage: DealStage | None


class LostAnalysisOut(BaseModel):
    days: int
    since: datetime
    total_lost: int
    reasons: list[LostOut]


@router.get(
    "/v1/pipeline", response_model=PipelineOut, summary="Active deals by stage, with weighted value"
)
async def pipeline(ctx: Ctx, tenant: Tenant) -> PipelineOut:
    """Values are summed as stored; `currencies` lists the currencies involved (no conversion)."""
    async with ctx.uow() as uow:
        rows = await uow.deals.active_deals(tenant)
    summary = pipeline_summary((stage, value, probability) for stage, value, probability, _ in rows)
    return PipelineOut(
        stages=[StageOut(**s.__dict__) for s in summary.stages],
        count=summary.count,
        total_value=summary.total_value,
        weighted_value=summary.weighted_value,
        currencies=sorted({currency for *_, currency in rows}),
    )


@router.get("/v1/analytics/lost", response_model=LostAnalysisOut, summary="Why deals were lost")
async def lost(ctx: Ctx, tenant: Tenant, days: int = Query(90, ge=1, le=3650)) -> LostAnalysisOut:
    since = datetime.now(UTC) - timedelta(days=days)
    async with ctx.uow() as uow:
        rows = await uow.deals.lost_since(tenant, since)
    reasons = lost_analysis((r, v, d, s) for r, v, d, s in rows)
    return LostAnalysisOut(
        days=days,
        since=since,
        total_lost=len(rows),
        reasons=[LostOut(**r.__dict__) for r in reasons],
    )
