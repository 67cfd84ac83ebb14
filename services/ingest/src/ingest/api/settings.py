"""Tenant-wide settings, announced on the tenant feed so that every service applies them."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from dealflow_libs.api import Tenant
from dealflow_libs.http import ApiError
from dealflow_schemas.bounded import Name
from ingest.api.deps import context
from ingest.use_cases import NotFound, replace_personal_domains

router = APIRouter(prefix="/v1/settings", tags=["settings"])


class TenantSettings(BaseModel):
    personal_domains: list[Name] = Field(
        default_factory=list,
        max_length=500,
        description="Mailbox domains whose addresses are people, not companies, on top of the "
        "built-in list (each covers its subdomains). Meetings, deals and every later service "
        "classify emails with it.",
        examples=[["alumni.example.edu"]],
    )


@router.get("", response_model=TenantSettings)
async def read_settings(request: Request, tenant: Tenant) -> TenantSettings:
    async with context(request).uow() as uow:
        found = await uow.tenants.get(tenant)
    if found is None:
        raise ApiError(404, "not_found", f"unknown tenant '{tenant}'")
    return TenantSettings(personal_domains=list(found.personal_domains))


@router.put("", response_model=TenantSettings, summary="Replace this tenant's tenant-wide settings")
async def write_settings(request: Request, tenant: Tenant, body: TenantSettings) -> TenantSettings:
    try:
        saved = await replace_personal_domains(
            context(request).uow(), tenant, body.personal_domains
        )
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"personal_domains: {exc}") from exc
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    return TenantSettings(personal_domains=list(saved.personal_domains))
