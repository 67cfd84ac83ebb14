"""`GET /v1/tenant`: which tenant an API key belongs to (the console signs in with it)."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from dealflow_libs.api import Tenant
from dealflow_libs.http import ApiError
from ingest.api.deps import context

router = APIRouter(prefix="/v1/tenant", tags=["settings"])


class TenantIdentity(BaseModel):
    tenant_id: str
    name: str
    default_currency: str


@router.get("", response_model=TenantIdentity, summary="The tenant this API key belongs to")
async def who_am_i(request: Request, tenant: Tenant) -> TenantIdentity:
    async with context(request).uow() as uow:
        found = await uow.tenants.get(tenant)
    if found is None:
        raise ApiError(404, "not_found", f"unknown tenant '{tenant}'")
    return TenantIdentity(
        tenant_id=found.tenant_id, name=found.name, default_currency=found.default_currency
    )
