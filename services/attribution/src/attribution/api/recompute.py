"""Attribution computed again on demand: one won deal, or every closed deal of the tenant."""

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from attribution.api.deps import Ctx, RequestId, Tenant
from attribution.recompute import NotWon, recompute_deal, recompute_tenant
from dealflow_libs.http import ApiError

router = APIRouter(prefix="/v1/attribution", tags=["attribution"])


class RecomputeRequest(BaseModel):
    deal_id: uuid.UUID | None = Field(default=None, description="One won deal; absent: all.")
    all: bool = Field(default=False, description="Every closed deal of the tenant.")

    @model_validator(mode="after")
    def one_scope(self) -> "RecomputeRequest":
        if self.deal_id is not None and self.all:
            raise ValueError("give deal_id or all, not both")
        return self


class RecomputeResult(BaseModel):
    scope: Literal["deal", "tenant"]
    deals_recomputed: int = Field(description="Won deals whose runs were computed again.")
    runs_created: int = Field(description="New runs (each supersedes the deal's current one).")
    runs_unchanged: int = Field(description="Runs whose inputs had not changed: none stored.")


@router.post("/recompute", response_model=RecomputeResult)
async def post_recompute(
    body: RecomputeRequest, tenant: Tenant, ctx: Ctx, request_id: RequestId
) -> RecomputeResult:
    """Computes runs again from what is stored: a new run (published as DealAttributed) only
    where a run's inputs changed, e.g. after new settings or channel rules. `{}` or
    `{"all": true}` takes every closed deal of the tenant, a batch of deals per transaction
    (a large tenant takes a while; the answer comes when it is done)."""
    if body.deal_id is not None:
        try:
            tally = await recompute_deal(ctx.uow(), tenant, body.deal_id, caused_by=request_id)
        except NotWon as error:
            raise ApiError(404, "not_found", str(error)) from error
        scope: Literal["deal", "tenant"] = "deal"
    else:
        tally = await recompute_tenant(ctx.uow, tenant, caused_by=request_id)
        scope = "tenant"
    return RecomputeResult(
        scope=scope,
        deals_recomputed=tally.deals,
        runs_created=tally.runs_created,
        runs_unchanged=tally.runs_unchanged,
    )
