"""Connecting a CRM (HubSpot OAuth or private app, Pipedrive, Close) and a Notion database,
seeing and testing the connection, disconnecting, and live reads of the CRM's pipelines, stages
and users."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, StringConstraints

from crm_push import connections as use
from crm_push.api.deps import CrmPushContext, Ctx, Tenant
from crm_push.api.views import ConnectionView, connection_view
from crm_push.connector import mask, open_credentials
from crm_push.domain.config import NotionMapping
from crm_push.domain.model import Connection
from crm_push.oauth_state import back_to
from crm_push.providers.base import CrmUser, Pipeline, Provider, Stage
from dealflow_libs.http import ApiError
from dealflow_schemas.crm import PushTarget

router = APIRouter(prefix="/v1/crm", tags=["connections"])

Secret = Annotated[str, StringConstraints(min_length=8, max_length=4096, strip_whitespace=True)]
TargetName = Literal["crm", "notion"]


def _view(ctx: CrmPushContext, connection: Connection) -> ConnectionView:
    credentials = open_credentials(ctx.box, connection) if connection.credentials else {}
    secret = next(
        (
            credentials[k]
            for k in ("api_token", "api_key", "access_token", "token")
            if k in credentials
        ),
        None,
    )
    return connection_view(connection, mask(secret))


class AuthorizeAnswer(BaseModel):
    authorize_url: str = Field(description="Send the user here to consent in HubSpot.")
    expires_in: int = Field(description="Seconds the URL's state stays valid.")


class HubSpotConnect(BaseModel):
    private_app_token: Secret | None = Field(
        default=None,
        description="Connect with a private-app token instead of OAuth (verified, then saved).",
    )
    return_to: Annotated[str, StringConstraints(max_length=2048)] | None = Field(
        default=None,
        description="OAuth: after the callback, send the browser here (a page under "
        "DEALFLOW_CONSOLE_URL) with `crm_connected=hubspot` or `crm_error=<message>` added, "
        "instead of answering JSON.",
    )


@router.post(
    "/connect/hubspot",
    response_model=AuthorizeAnswer | ConnectionView,
    summary="Start HubSpot OAuth (or connect a private app)",
)
async def connect_hubspot(
    ctx: Ctx, tenant: Tenant, response: Response, body: HubSpotConnect | None = None
) -> AuthorizeAnswer | ConnectionView:
    """Without a body (or with only `return_to`): the authorize URL carrying a signed state that
    expires. With `private_app_token`: the token is checked against HubSpot and saved."""
    if body is not None and body.private_app_token:
        connection = await use.connect_with_key(
            ctx, tenant, Provider.HUBSPOT, {"access_token": body.private_app_token}
        )
        response.status_code = 201
        return _view(ctx, connection)
    return AuthorizeAnswer(
        authorize_url=use.hubspot_authorize_url(ctx, tenant, body.return_to if body else None),
        expires_in=ctx.settings.oauth_state_ttl_seconds,
    )


@router.get(
    "/callback/hubspot",
    response_model=ConnectionView,
    summary="HubSpot's OAuth redirect",
    responses={303: {"description": "Back to the state's `return_to`, with the outcome."}},
)
async def hubspot_callback(
    ctx: Ctx,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> ConnectionView | RedirectResponse:
    """Where HubSpot sends the user back. No API key: the state, which only this service can
    issue, names the tenant; a missing, forged or expired state is a 400. A state issued with
    `return_to` sends the browser back there with the outcome instead of answering JSON."""
    if not state:
        if error:
            raise ApiError(400, "consent_refused", _refused(error))
        raise ApiError(400, "missing_parameters", "the callback needs both code and state")
    issued = use.verified_hubspot_state(ctx, state)
    try:
        if error:
            raise ApiError(400, "consent_refused", _refused(error))
        if not code:
            raise ApiError(400, "missing_parameters", "the callback needs both code and state")
        connection = await use.finish_hubspot_oauth(ctx, code, issued)
    except ApiError as failure:
        if issued.return_to is None:
            raise
        return RedirectResponse(
            back_to(issued.return_to, crm_error=failure.message), status_code=303
        )
    if issued.return_to is not None:
        return RedirectResponse(back_to(issued.return_to, crm_connected="hubspot"), status_code=303)
    return _view(ctx, connection)


def _refused(error: str) -> str:
    return f"HubSpot answered {error}: nothing was connected"


class PipedriveConnect(BaseModel):
    api_token: Secret


class CloseConnect(BaseModel):
    api_key: Secret


@router.post(
    "/connect/pipedrive",
    response_model=ConnectionView,
    status_code=201,
    summary="Connect Pipedrive",
)
async def connect_pipedrive(ctx: Ctx, tenant: Tenant, body: PipedriveConnect) -> ConnectionView:
    """The API token is checked by listing pipelines before it is saved (422 if refused)."""
    connection = await use.connect_with_key(
        ctx, tenant, Provider.PIPEDRIVE, {"api_token": body.api_token}
    )
    return _view(ctx, connection)


@router.post(
    "/connect/close", response_model=ConnectionView, status_code=201, summary="Connect Close"
)
async def connect_close(ctx: Ctx, tenant: Tenant, body: CloseConnect) -> ConnectionView:
    """The API key is checked by listing pipelines before it is saved (422 if refused)."""
    connection = await use.connect_with_key(ctx, tenant, Provider.CLOSE, {"api_key": body.api_key})
    return _view(ctx, connection)


class NotionConnect(BaseModel):
    token: Secret = Field(description="The integration's token (ntn_...).")
    database_id: Annotated[str, StringConstraints(min_length=32, max_length=36)]
    mapping: NotionMapping = Field(default_factory=NotionMapping)


@router.post(
    "/connect/notion", response_model=ConnectionView, status_code=201, summary="Connect Notion"
)
async def connect_notion(ctx: Ctx, tenant: Tenant, body: NotionConnect) -> ConnectionView:
    """The database must be shared with the integration and hold every mapped property."""
    connection = await use.connect_notion(ctx, tenant, body.token, body.database_id, body.mapping)
    return _view(ctx, connection)


class ConnectionsAnswer(BaseModel):
    crm: ConnectionView | None
    notion: ConnectionView | None
    pushes: dict[str, int] = Field(description="The tenant's pushes by status.")


@router.get("/connection", response_model=ConnectionsAnswer, summary="The tenant's connections")
async def get_connections(ctx: Ctx, tenant: Tenant) -> ConnectionsAnswer:
    async with ctx.uow() as uow:
        found = await uow.pushes.connections_of([tenant])
        counts = await uow.pushes.counts_by_status(tenant)
    crm = found.get((tenant, PushTarget.CRM))
    notion = found.get((tenant, PushTarget.NOTION))
    return ConnectionsAnswer(
        crm=_view(ctx, crm) if crm else None,
        notion=_view(ctx, notion) if notion else None,
        pushes=counts,
    )


class DisconnectAnswer(BaseModel):
    target: str
    skipped_pushes: int = Field(description="Pushes that were waiting and end skipped.")


@router.delete("/disconnect", response_model=DisconnectAnswer, summary="Disconnect")
async def disconnect(ctx: Ctx, tenant: Tenant, target: TargetName = "crm") -> DisconnectAnswer:
    """Forgets the credentials (settings stay for a later reconnect)."""
    skipped = await use.disconnect(ctx, tenant, PushTarget(target))
    return DisconnectAnswer(target=target, skipped_pushes=skipped)


@router.post("/test", summary="Check the connection live")
async def check_connection(
    ctx: Ctx, tenant: Tenant, target: TargetName = "crm"
) -> dict[str, object]:
    return await use.check_connection(ctx, tenant, PushTarget(target))


class StageView(BaseModel):
    id: str
    name: str
    pipeline_id: str
    order: int
    probability: int | None


class PipelineView(BaseModel):
    id: str
    name: str
    stages: list[StageView]


def _stage(stage: Stage) -> StageView:
    return StageView(
        id=stage.id,
        name=stage.name,
        pipeline_id=stage.pipeline_id,
        order=stage.order,
        probability=stage.probability,
    )


def _pipeline(pipeline: Pipeline) -> PipelineView:
    return PipelineView(
        id=pipeline.id, name=pipeline.name, stages=[_stage(s) for s in pipeline.stages]
    )


@router.get("/pipelines", response_model=list[PipelineView], summary="The CRM's pipelines")
async def pipelines(ctx: Ctx, tenant: Tenant) -> list[PipelineView]:
    found = await use.with_crm(ctx, tenant, lambda crm: crm.pipelines())
    return [_pipeline(p) for p in found]


@router.get("/stages/{pipeline_id}", response_model=list[StageView], summary="A pipeline's stages")
async def stages(ctx: Ctx, tenant: Tenant, pipeline_id: str) -> list[StageView]:
    found = await use.with_crm(ctx, tenant, lambda crm: crm.pipelines())
    for pipeline in found:
        if pipeline.id == pipeline_id:
            return [_stage(s) for s in pipeline.stages]
    raise ApiError(404, "unknown_pipeline", f"the CRM has no pipeline {pipeline_id!r}")


class UserView(BaseModel):
    id: str
    email: str
    name: str | None


@router.get("/users", response_model=list[UserView], summary="The CRM's users (owners)")
async def users(ctx: Ctx, tenant: Tenant) -> list[UserView]:
    found: list[CrmUser] = await use.with_crm(ctx, tenant, lambda crm: crm.users())
    return [UserView(id=u.id, email=u.email, name=u.name) for u in found]
