"""Pipeline summary and lost-deal analysis."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dealflow_schemas.deals import DealStage, LostReason
from deals.api.deps import Ctx, Tenant
from deals.domain.analytics import lost_from_groups, pipeline_from_groups

router = APIRouter(tags=["pipeline"])


class StageOut(BaseModel):
    stage: DealStage
    count: int
    total_value: Decimal
    average_probability: float | None
    weighted_value: Decimal = Field(description="sum(value x probability / 100) of the stage")


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
        figures = pipeline_from_groups(await uow.deals.pipeline_groups(tenant))
    summary = figures.summary
    return PipelineOut(
        stages=[StageOut(**s.__dict__) for s in summary.stages],
        count=summary.count,
        total_value=summary.total_value,
        weighted_value=summary.weighted_value,
        currencies=figures.currencies,
    )


@router.get("/v1/analytics/lost", response_model=LostAnalysisOut, summary="Why deals were lost")
async def lost(ctx: Ctx, tenant: Tenant, days: int = Query(90, ge=1, le=3650)) -> LostAnalysisOut:
    since = datetime.now(UTC) - timedelta(days=days)
    async with ctx.uow() as uow:
        groups = await uow.deals.lost_groups(tenant, since)
    reasons = lost_from_groups(groups)
    return LostAnalysisOut(
        days=days,
        since=since,
        total_lost=sum(g.count for g in groups),
        reasons=[LostOut(**r.__dict__) for r in reasons],
    )
