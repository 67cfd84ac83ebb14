"""`/crm/v3/pipelines/deals`: the seeded default pipeline and any seeded custom ones (§1.3f)."""

from typing import Any

from fastapi import APIRouter, Depends, Request

from dealflow_emulators.hubspot.auth import hubspot, requires
from dealflow_emulators.hubspot.errors import HubSpotError, not_found

router = APIRouter(
    prefix="/crm/v3/pipelines", dependencies=[Depends(requires("crm.objects.deals.read"))]
)


def _deals_only(object_type: str) -> None:
    if object_type != "deals":
        raise HubSpotError(
            400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}"
        )


@router.get("/{object_type}")
async def list_pipelines(object_type: str, request: Request) -> dict[str, Any]:
    _deals_only(object_type)
    return {"results": hubspot(request).store["pipelines"].values()}


@router.get("/{object_type}/{pipeline_id}")
async def get_pipeline(object_type: str, pipeline_id: str, request: Request) -> dict[str, Any]:
    _deals_only(object_type)
    pipeline = hubspot(request).store["pipelines"].get(pipeline_id)
    if pipeline is None:
        raise not_found()
    return pipeline


@router.get("/{object_type}/{pipeline_id}/stages")
async def list_stages(object_type: str, pipeline_id: str, request: Request) -> dict[str, Any]:
    return {"results": (await get_pipeline(object_type, pipeline_id, request))["stages"]}


@router.get("/{object_type}/{pipeline_id}/stages/{stage_id}")
async def get_stage(
    object_type: str, pipeline_id: str, stage_id: str, request: Request
) -> dict[str, Any]:
    for stage in (await get_pipeline(object_type, pipeline_id, request))["stages"]:
        if stage["id"] == stage_id:
            return stage
    raise not_found()
