"""Per-tenant deal settings: creation policy, stage probabilities, CRM stage mappings."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dealflow_libs.http import ApiError
from dealflow_libs.tenants import UnknownTenant, read_tenant_settings, replace_tenant_settings
from dealflow_schemas.bounded import Name
from dealflow_schemas.deals import DealStage
from deals.api.deps import Ctx, Tenant
from deals.domain.settings import DealPolicy, DealSettings, keyed_crm_mappings

router = APIRouter(prefix="/v1/settings", tags=["settings"])


class DealSettingsIn(BaseModel):
    policy: DealPolicy = Field(
        default=DealPolicy.ON_BOOKING,
        description="on_booking: a deal per new company booking; "
        "on_good_outcome: only when a good outcome asks for one",
    )
    stage_probabilities: dict[DealStage, int] = Field(
        default_factory=dict, description="Overrides of the default probabilities (percent)"
    )
    crm_stage_mappings: dict[Name, dict[Name, DealStage]] = Field(
        default_factory=dict,
        description="crm -> {CRM stage name: our stage}, added to the defaults",
    )


class DealSettingsOut(BaseModel):
    policy: DealPolicy
    stage_probabilities: dict[DealStage, int]
    crm_stage_mappings: dict[str, dict[str, DealStage]]


def _out(settings: DealSettings) -> DealSettingsOut:
    return DealSettingsOut(
        policy=settings.policy,
        stage_probabilities=settings.probabilities,
        crm_stage_mappings=settings.crm_stages,
    )


@router.get("", response_model=DealSettingsOut)
async def read_settings(ctx: Ctx, tenant: Tenant) -> DealSettingsOut:
    return _out(DealSettings.from_stored(await read_tenant_settings(ctx.uow(), tenant)))


@router.put("", response_model=DealSettingsOut, summary="Replace this tenant's deal settings")
async def write_settings(ctx: Ctx, tenant: Tenant, body: DealSettingsIn) -> DealSettingsOut:
    for stage, probability in body.stage_probabilities.items():
        if not 0 <= probability <= 100:
            raise ApiError(
                422, "invalid_request", f"stage_probabilities.{stage.value}: must be 0-100"
            )
    if (
        body.stage_probabilities.get(DealStage.CLOSED_WON, 100) != 100
        or body.stage_probabilities.get(DealStage.CLOSED_LOST, 0) != 0
    ):
        raise ApiError(422, "invalid_request", "closed_won stays 100 and closed_lost stays 0")
    stored = body.model_dump(mode="json")
    stored["crm_stage_mappings"] = keyed_crm_mappings(stored["crm_stage_mappings"])
    try:
        await replace_tenant_settings(ctx.uow(), tenant, stored)
    except UnknownTenant as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    return _out(DealSettings.from_stored(stored))
