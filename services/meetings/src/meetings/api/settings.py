"""Per-tenant meeting settings: reminder offsets, meeting-type mapping, extra personal domains."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, Field

from dealflow_libs.domains import registrable_domain
from dealflow_libs.http import ApiError
from dealflow_libs.tenants import UnknownTenant, read_tenant_settings, replace_tenant_settings
from dealflow_schemas.meetings import MeetingType
from meetings.api.deps import Ctx, Tenant
from meetings.domain.settings import MeetingSettings

router = APIRouter(prefix="/v1/settings", tags=["settings"])

Offset = Annotated[int, Field(ge=1, le=30 * 24 * 60)]


class TypeRule(BaseModel):
    match: str = Field(
        min_length=1,
        description="Case-insensitive text found in the event type slug, name or title",
    )
    type: MeetingType


def _personal_domain(value: str) -> str:
    domain = value.strip().lower()
    if registrable_domain(domain) is None:
        raise ValueError(f"'{value}' is not a domain a mailbox can have (e.g. 'alumni-mail.org')")
    return domain


PersonalDomain = Annotated[str, AfterValidator(_personal_domain)]


class SettingsIn(BaseModel):
    reminder_offsets_minutes: list[Offset] = Field(
        default=[24 * 60],
        max_length=5,
        description="Minutes before the start, e.g. [4320, 1440, 120]",
    )
    meeting_type_rules: list[TypeRule] = Field(default_factory=list, max_length=50)
    personal_domains: list[PersonalDomain] = Field(default_factory=list, max_length=500)


def _out(settings: MeetingSettings) -> SettingsIn:
    return SettingsIn(
        reminder_offsets_minutes=list(settings.reminder_offsets_minutes),
        meeting_type_rules=[TypeRule(match=m, type=t) for m, t in settings.type_rules],
        personal_domains=list(settings.personal_domains),
    )


@router.get("", response_model=SettingsIn)
async def read_settings(ctx: Ctx, tenant: Tenant) -> SettingsIn:
    return _out(MeetingSettings.from_stored(await read_tenant_settings(ctx.uow(), tenant)))


@router.put("", response_model=SettingsIn, summary="Replace this tenant's meeting settings")
async def write_settings(ctx: Ctx, tenant: Tenant, body: SettingsIn) -> SettingsIn:
    stored = body.model_dump(mode="json")
    stored["personal_domains"] = sorted(
        {d.strip().lower() for d in body.personal_domains if d.strip()}
    )
    try:
        await replace_tenant_settings(ctx.uow(), tenant, stored)
    except UnknownTenant as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    return _out(MeetingSettings.from_stored(stored))
