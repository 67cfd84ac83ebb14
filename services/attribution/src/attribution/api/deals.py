"""A won deal's attribution under one model: every touch with its roles, weights and cents."""

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from attribution.api.deps import Ctx, Tenant
from attribution.domain.weighting import ModelName
from attribution.explain import explained_run
from dealflow_libs.http import ApiError
from dealflow_schemas.bounded import Instant

router = APIRouter(prefix="/v1/deals", tags=["attribution"])

DEFAULT_MODEL = ModelName.LINEAR


class CreditedTouch(BaseModel):
    touch_id: str
    person_email: str
    occurred_at: datetime
    activity_type: str
    channel: str
    channel_rule_id: str
    roles: list[str]
    raw_weight: str = Field(description="The model's nominal share, an exact fraction.")
    weight: str = Field(description="The share of the deal after normalising (sums to 1).")
    minor_units: int = Field(description="Credit in cents (minor units); sums to the value.")
    reason: str


class ExcludedTouchOut(BaseModel):
    touch_id: str
    person_email: str
    occurred_at: datetime
    activity_type: str
    channel: str
    channel_rule_id: str
    reason: str = Field(description="after_conversion, outside_lookback or type_not_eligible.")
    detail: str


class ChannelCreditOut(BaseModel):
    channel: str
    minor_units: int
    weight: str
    touches: int


class DealAttributionOut(BaseModel):
    deal_id: uuid.UUID
    run_id: uuid.UUID
    supersedes: uuid.UUID | None
    computed_at: datetime
    model: str
    params: dict[str, Any]
    rule_version: int
    rule_digest: str
    window: dict[str, Any]
    conversion_at: datetime
    milestones: dict[str, Any]
    value_minor: int
    currency: str
    touches: list[CreditedTouch]
    channels: list[ChannelCreditOut]
    excluded: list[ExcludedTouchOut]
    unattributed_reason: str | None
    input_hash: str


@router.get("/{deal_id}/attribution", response_model=DealAttributionOut)
async def get_deal_attribution(
    deal_id: uuid.UUID,
    tenant: Tenant,
    ctx: Ctx,
    model: ModelName = DEFAULT_MODEL,
    as_of: Instant | None = Query(
        None,
        description="History: the run that counted at this instant (the latest created by then "
        "and not voided by then); a superseded run is returned as it was.",
    ),
) -> DealAttributionOut:
    """The deal's current run under `model`, or the one current at `as_of` (404 when there is
    none: the deal was not won then, or had been reopened)."""
    run = await explained_run(ctx.uow(), tenant, deal_id, model.value, as_of)
    if run is None:
        when = f" at {as_of.isoformat()}" if as_of else ""
        raise ApiError(
            404, "not_found", f"no current {model.value} attribution for this deal{when}"
        )
    return DealAttributionOut.model_validate(
        {
            **run.result,
            "run_id": run.run_id,
            "supersedes": run.supersedes,
            "computed_at": run.computed_at,
        }
    )
