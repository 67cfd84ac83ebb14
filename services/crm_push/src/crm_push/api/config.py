"""The tenant's push settings: pipeline, start stage, default owner, stage and field mapping."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from crm_push import connections as use
from crm_push.api.deps import Ctx, Tenant
from crm_push.domain.config import CONTACT_FIELDS, DEAL_FIELDS, CrmConfig
from dealflow_schemas.crm import PushTarget

router = APIRouter(prefix="/v1/crm/config", tags=["config"])


class ConfigAnswer(BaseModel):
    provider: str
    config: CrmConfig
    mappable_contact_fields: dict[str, str] = Field(
        description="Dealflow fields a contact mapping may name, and where each comes from."
    )
    mappable_deal_fields: dict[str, str]


def _answer(provider: str, config: CrmConfig) -> ConfigAnswer:
    return ConfigAnswer(
        provider=provider,
        config=config,
        mappable_contact_fields=CONTACT_FIELDS,
        mappable_deal_fields=DEAL_FIELDS,
    )


@router.get("", response_model=ConfigAnswer, summary="The push settings")
async def get_config(ctx: Ctx, tenant: Tenant) -> ConfigAnswer:
    connection = await use.connection_of(ctx, tenant, PushTarget.CRM)
    return _answer(connection.provider.value, CrmConfig.model_validate(connection.config))


@router.put("", response_model=ConfigAnswer, summary="Replace the push settings")
async def put_config(ctx: Ctx, tenant: Tenant, body: CrmConfig) -> ConfigAnswer:
    """Checked against the CRM: an unknown pipeline, stage or owner is a 422 naming it."""
    connection = await use.connection_of(ctx, tenant, PushTarget.CRM)
    saved = await use.save_config(ctx, tenant, body)
    return _answer(connection.provider.value, saved)
