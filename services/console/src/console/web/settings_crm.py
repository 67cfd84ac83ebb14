"""Settings: the tenant's CRM (crm_push). HubSpot through its OAuth consent, Pipedrive and Close
with their keys; a live test; where new deals go (pipeline, start stage, owner) and how
Dealflow's stages map onto the CRM's; disconnect. Keys are never shown again: crm_push answers
them masked."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.services import ServiceError
from console.signin import SignIn
from console.web.context import context
from console.web.guard import CheckedMember, Member
from console.web.rendering import page
from console.web.settings import back_to, is_htmx, settings_page
from dealflow_schemas.deals import DealStage

router = APIRouter(prefix="/settings/crm", tags=["settings"])

PAGE = "/settings/crm"
KEY_PROVIDERS = {"pipedrive": "api_token", "close": "api_key"}
Key = Annotated[str, Form(max_length=4096)]


async def _live(signin: SignIn, request: Request) -> dict[str, Any]:
    """What the CRM itself holds (pipelines, users) and the saved settings; a CRM that cannot be
    read is said in crm_push's words, and the rest of the page still works."""
    api = context(request).api
    try:
        config, pipelines, users = await asyncio.gather(
            api.get(signin, "crm_push", "/v1/crm/config"),
            api.get(signin, "crm_push", "/v1/crm/pipelines"),
            api.get(signin, "crm_push", "/v1/crm/users"),
        )
    except ServiceError as error:
        return {"live_error": f"{error.service}: {error.message}"}
    chosen = config["config"]["pipeline_id"] or (pipelines[0]["id"] if pipelines else None)
    stages: list[dict[str, Any]] = next((p["stages"] for p in pipelines if p["id"] == chosen), [])
    return {
        "config": config["config"],
        "pipelines": pipelines,
        "pipeline_id": chosen,
        "stages": stages,
        "users": users,
    }


async def _crm_page(request: Request, member: SignIn, **extra: Any) -> Response:
    connections = await context(request).api.get(member, "crm_push", "/v1/crm/connection")
    crm = connections["crm"]
    connected = crm is not None and crm["status"] != "disconnected"
    live = await _live(member, request) if connected else {}
    return settings_page(
        request,
        "crm",
        crm=crm,
        connected=connected,
        pushes=connections["pushes"],
        deal_stages=[s.value for s in DealStage],
        crm_connected=request.query_params.get("crm_connected"),
        crm_error=request.query_params.get("crm_error"),
        **live,
        **extra,
    )


@router.get("", response_class=HTMLResponse, summary="The CRM connection and push settings")
async def crm_settings(request: Request, member: Member) -> Response:
    return await _crm_page(request, member)


@router.get("/stages", response_class=HTMLResponse, include_in_schema=False)
async def stage_choices(request: Request, member: Member, pipeline_id: str) -> Response:
    """The stage selects for another pipeline (the pipeline select asks for them)."""
    api = context(request).api
    config, stages = await asyncio.gather(
        api.get(member, "crm_push", "/v1/crm/config"),
        api.get(member, "crm_push", f"/v1/crm/stages/{pipeline_id}"),
    )
    return page(
        request,
        "_crm_stages.html",
        config=config["config"],
        stages=stages,
        deal_stages=[s.value for s in DealStage],
    )


@router.post("/connect/hubspot", summary="Connect HubSpot: off to its consent page")
async def connect_hubspot(request: Request, member: CheckedMember) -> Response:
    """crm_push answers HubSpot's authorize URL; after consent HubSpot sends the browser to
    crm_push's callback, which sends it back here (`return_to`) with the outcome."""
    return_to = context(request).settings.console_url.rstrip("/") + PAGE
    answer = await context(request).api.call(
        member, "POST", "crm_push", "/v1/crm/connect/hubspot", json={"return_to": return_to}
    )
    return RedirectResponse(answer["authorize_url"], status_code=303)


@router.post("/connect/{provider}", summary="Connect Pipedrive or Close with its key")
async def connect_with_key(
    request: Request, member: CheckedMember, provider: str, key: Key = ""
) -> Response:
    if provider not in KEY_PROVIDERS:
        raise HTTPException(404, f"no provider {provider!r} connects with a key")
    await context(request).api.call(
        member,
        "POST",
        "crm_push",
        f"/v1/crm/connect/{provider}",
        json={KEY_PROVIDERS[provider]: key.strip()},
    )
    return back_to(request, f"{PAGE}?crm_connected={provider}")


@router.post("/test", summary="Check the connection live")
async def test_connection(request: Request, member: CheckedMember) -> Response:
    result = await context(request).api.call(member, "POST", "crm_push", "/v1/crm/test")
    if is_htmx(request):
        return page(request, "_crm_test.html", test=result)
    return await _crm_page(request, member, test=result)


@router.post("/config", summary="Save pipeline, start stage, owner and stage mapping")
async def save_config(request: Request, member: CheckedMember) -> Response:
    form = await request.form()
    api = context(request).api
    current = (await api.get(member, "crm_push", "/v1/crm/config"))["config"]

    def chosen(name: str) -> str | None:
        value = form.get(name)
        return value.strip() or None if isinstance(value, str) else None

    mapping = {
        stage.value: value
        for stage in DealStage
        if (value := chosen(f"stage_mapping.{stage.value}")) is not None
    }
    # The field mapping and rate limit are not on this page: they are kept as they are.
    body = {
        **current,
        "pipeline_id": chosen("pipeline_id"),
        "new_deal_stage_id": chosen("new_deal_stage_id"),
        "default_owner_id": chosen("default_owner_id"),
        "stage_mapping": mapping,
    }
    await api.call(member, "PUT", "crm_push", "/v1/crm/config", json=body)
    return back_to(request, f"{PAGE}?saved=crm")


@router.post("/disconnect", summary="Disconnect the CRM")
async def disconnect(request: Request, member: CheckedMember) -> Response:
    await context(request).api.call(
        member, "DELETE", "crm_push", "/v1/crm/disconnect", params={"target": "crm"}
    )
    return back_to(request, f"{PAGE}?saved=disconnected")
