"""Companies with their people, deals and meetings."""

import uuid

from fastapi import APIRouter, Query
from pydantic import BaseModel

from dealflow_libs.http import ApiError
from dealflow_libs.pagination import after_cursor, page_of
from dealflow_schemas.bounded import NAME, Name
from dealflow_schemas.deals import CompanyRef
from deals.api.deals import Contact, LinkedMeeting
from deals.api.deps import Ctx, Tenant
from deals.api.views import DealView, deal_views

router = APIRouter(prefix="/v1/companies", tags=["companies"])


class CompanyPage(BaseModel):
    items: list[CompanyRef]
    next_cursor: str | None


class CompanyDetail(CompanyRef):
    people: list[Contact]
    deals: list[DealView]
    meetings: list[LinkedMeeting]


@router.get("", response_model=CompanyPage, summary="List companies by domain")
async def list_companies(
    ctx: Ctx,
    tenant: Tenant,
    domain: Name | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> CompanyPage:
    after = after_cursor(cursor, NAME.checked)
    async with ctx.uow() as uow:
        rows = await uow.deals.list_companies(tenant, domain=domain, after=after, limit=limit + 1)
    page, next_cursor = page_of(rows, limit, lambda c: c.domain)
    return CompanyPage(
        items=[CompanyRef(company_id=c.id, domain=c.domain, name=c.name) for c in page],
        next_cursor=next_cursor,
    )


@router.get(
    "/{company_id}",
    response_model=CompanyDetail,
    summary="A company with its people, deals and meetings",
)
async def get_company(ctx: Ctx, tenant: Tenant, company_id: uuid.UUID) -> CompanyDetail:
    async with ctx.uow() as uow:
        company = await uow.deals.company(tenant, company_id)
        if company is None:
            raise ApiError(404, "not_found", f"no company {company_id} for this tenant")
        people = await uow.deals.people_of(company.id)
        deals = await deal_views(uow, await uow.deals.deals_of(company.id))
        meetings = await uow.deals.meetings_of(company_id=company.id)
    return CompanyDetail(
        company_id=company.id,
        domain=company.domain,
        name=company.name,
        people=[Contact(email=p["email"], name=p["name"]) for p in people],
        deals=deals,
        meetings=[LinkedMeeting.model_validate(m, from_attributes=True) for m in meetings],
    )
