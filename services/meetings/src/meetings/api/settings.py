"""Per-tenant meeting settings: reminder offsets and the meeting-type mapping."""

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from dealflow_libs.http import ApiError
from dealflow_libs.tenants import UnknownTenant, read_tenant_settings, replace_tenant_settings
from dealflow_schemas.bounded import Name
from dealflow_schemas.meetings import MeetingType
from meetings.api.deps import Ctx, Tenant
from meetings.domain.settings import MeetingSettings

router = APIRouter(prefix="/v1/settings", tags=["settings"])

Offset = Annotated[int, Field(ge=1, le=30 * 24 * 60)]


class TypeRule(BaseModel):
    match: Name = Field(
        min_length=1,
        description="Case-insensitive text found in the event type slug, name or title",
    )
    type: MeetingType


class SettingsIn(BaseModel):
    reminder_offsets_minutes: list[Offset] = Field(
        default=[24 * 60],
        max_length=5,
        description="Minutes before the start, e.g. [4320, 1440, 120]",
    )
    meeting_type_rules: list[TypeRule] = Field(default_factory=list, max_length=50)

    @model_validator(mode="before")
    @classmethod
    def _personal_domains_moved(cls, data: Any) -> Any:
        # They are the tenant's now, so that every service classifies an email the same way.
        if isinstance(data, dict) and "personal_domains" in data:
            raise ValueError(
                "personal_domains is a tenant-wide setting: PUT /v1/settings on ingest"
            )
        return data


def _out(settings: MeetingSettings) -> SettingsIn:
    return SettingsIn(
        reminder_offsets_minutes=list(settings.reminder_offsets_minutes),
        meeting_type_rules=[TypeRule(match=m, type=t) for m, t in settings.type_rules],
    )


@router.get("", response_model=SettingsIn)
async def read_settings(ctx: Ctx, tenant: Tenant) -> SettingsIn:
    return _out(MeetingSettings.from_stored(await read_tenant_settings(ctx.uow(), tenant)))


@router.put("", response_model=SettingsIn, summary="Replace this tenant's meeting settings")
async def write_settings(ctx: Ctx, tenant: Tenant, body: SettingsIn) -> SettingsIn:
    stored = body.model_dump(mode="json")
    try:
        await replace_tenant_settings(ctx.uow(), tenant, stored)
    except UnknownTenant as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    return _out(MeetingSettings.from_stored(stored))
