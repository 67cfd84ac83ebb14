"""External CRM deal updates (HubSpot, Salesforce, Pipedrive) mapped onto our pipeline."""

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dealflow_libs.http import ApiError, JsonResponse
from dealflow_schemas.bounded import Email, Id, Money, Name
from deals.api.deps import Ctx, Tenant
from deals.api.views import deal_views
from deals.use_cases import NotFound, UnknownStage, sync_external_deal

router = APIRouter(prefix="/v1/sync", tags=["crm sync"])


class ExternalDealUpdate(BaseModel):
    external_deal_id: Id = Field(min_length=1, examples=["1234567890"])
    stage: Name = Field(
        min_length=1, description="The CRM's stage name or id", examples=["appointmentscheduled"]
    )
    value: Money | None = Field(default=None, description="Rounded to cents")
    contact_email: Email | None = Field(
        default=None, description="Used to find or create the company's deal"
    )
    deal_name: Name | None = None


@router.post(
    "/{crm}",
    summary="Apply a deal update coming from a CRM",
    responses={200: {"description": "updated"}, 201: {"description": "created"}},
)
async def sync(
    ctx: Ctx,
    tenant: Tenant,
    crm: Literal["hubspot", "salesforce", "pipedrive"],
    body: ExternalDealUpdate,
) -> Response:
    try:
        deal, created = await sync_external_deal(
            ctx.uow(),
            tenant,
            crm=crm,
            external_id=body.external_deal_id,
            stage_name=body.stage,
            value=body.value,
            contact_email=body.contact_email,
            name=body.deal_name,
            by=f"{crm}-sync",
        )
    except UnknownStage as exc:
        raise ApiError(422, "unknown_stage", str(exc)) from exc
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    async with ctx.uow() as uow:
        [view] = await deal_views(uow, [deal])
    return JsonResponse(view.model_dump(mode="json"), status_code=201 if created else 200)
