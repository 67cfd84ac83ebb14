"""Use cases behind the connection API: connect (OAuth or key, verified before saving),
disconnect, settings checked against the CRM, live reads (pipelines, stages, users, test), token
refresh, and retries of parked pushes."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx

from crm_push import oauth_state
from crm_push.config import CrmPushSettings
from crm_push.connector import LiveLink, open_credentials, seal_credentials
from crm_push.domain.config import CrmConfig, NotionMapping
from crm_push.domain.model import Connection, Push, PushStatus
from crm_push.events import connection_changed, push_result, result_key
from crm_push.providers import hubspot_oauth
from crm_push.providers.base import CRM_PROVIDERS, CrmAdapter, NotionTarget, Provider
from crm_push.providers.transport import FailureKind, ProviderError
from crm_push.pushing import PushWorker
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs.http import ApiError
from dealflow_libs.secretbox import SecretBox
from dealflow_schemas.crm import CRM_TOPIC, ConnectionStatus, PushTarget

T = TypeVar("T")


@dataclass
class CrmPushContext:
    """What the API's use cases need from the running service."""

    uow: Callable[[], CrmPushUnitOfWork]
    settings: CrmPushSettings
    box: SecretBox
    client: httpx.AsyncClient
    worker: PushWorker | None = None


def provider_failure(provider: Provider, error: ProviderError) -> ApiError:
    """A provider's refusal or outage as this API answers it."""
    if error.kind == FailureKind.UNAUTHORIZED:
        return ApiError(
            422, "credentials_refused", f"{provider} refused the credentials: {error.message}"
        )
    if error.kind == FailureKind.REJECTED:
        return ApiError(422, "rejected_by_crm", f"{provider} rejected the request: {error.message}")
    return ApiError(502, "crm_unavailable", f"{provider} could not be reached: {error.message}")


def target_of(provider: Provider) -> PushTarget:
    return PushTarget.NOTION if provider == Provider.NOTION else PushTarget.CRM


# --- the live side ---------------------------------------------------------------------------


def link_for(ctx: CrmPushContext, connection: Connection) -> LiveLink:
    async def refresher(seen: str) -> tuple[dict[str, str], datetime | None]:
        return await refresh_tokens(ctx, connection.tenant_id, connection.target, seen)

    return LiveLink(
        connection, ctx.settings, ctx.client, open_credentials(ctx.box, connection), refresher
    )


async def connect_link(ctx: CrmPushContext, connection: Connection) -> LiveLink:
    """pushing.Connector: the worker opens a connection's link through here."""
    return link_for(ctx, connection)


async def refresh_tokens(
    ctx: CrmPushContext, tenant_id: str, target: PushTarget, seen_access_token: str
) -> tuple[dict[str, str], datetime | None]:
    """Refreshes a connection's OAuth tokens under a row lock, so that of many processes and
    pushes that find the token expiring, one refreshes and the others use its tokens. A refused
    refresh marks the connection `error` with the reason and raises (UNAUTHORIZED)."""
    s = ctx.settings
    async with ctx.uow() as uow:
        connection = await uow.pushes.connection(tenant_id, target, lock=True)
        if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
            raise ProviderError(FailureKind.UNAUTHORIZED, "the connection was removed")
        tokens = open_credentials(ctx.box, connection)
        if tokens.get("access_token") != seen_access_token:
            return tokens, connection.token_expires_at  # another caller refreshed first
        http = hubspot_oauth.oauth_http(ctx.client, s.hubspot_api_base)
        try:
            grant = await hubspot_oauth.refresh(
                http,
                client_id=s.hubspot_client_id or "",
                client_secret=s.hubspot_client_secret.get_secret_value()
                if s.hubspot_client_secret
                else "",
                refresh_token=tokens.get("refresh_token", ""),
            )
        except ProviderError as error:
            if error.kind == FailureKind.UNAUTHORIZED:
                await _set_status(
                    uow,
                    connection,
                    ConnectionStatus.ERROR,
                    f"token refresh refused: {error.message}",
                )
                await uow.commit()
            raise
        tokens = oauth_tokens(grant)
        connection.credentials = seal_credentials(ctx.box, tenant_id, target, tokens)
        connection.token_expires_at = grant.expires_at
        connection.updated_at = datetime.now(UTC)
        await uow.pushes.save_connection(connection)
        await uow.commit()
        return tokens, grant.expires_at


def oauth_tokens(grant: hubspot_oauth.TokenGrant) -> dict[str, str]:
    """What a connection keeps of a grant; the lifetime lets a short-lived token be refreshed
    at half its life rather than at the fixed margin (which would refresh on every call)."""
    lifetime = (grant.expires_at - datetime.now(UTC)).total_seconds()
    return {
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "lifetime_seconds": str(max(1, round(lifetime))),
    }


async def _set_status(
    uow: CrmPushUnitOfWork, connection: Connection, status: ConnectionStatus, reason: str | None
) -> None:
    now = datetime.now(UTC)
    connection.status, connection.status_reason, connection.updated_at = status, reason, now
    await uow.pushes.save_connection(connection)
    uow.outbox.add(
        connection_changed(connection, now),
        topic=CRM_TOPIC,
        key=connection.tenant_id,
        tenant_id=connection.tenant_id,
    )


# --- connecting ------------------------------------------------------------------------------


def hubspot_authorize_url(ctx: CrmPushContext, tenant_id: str, return_to: str | None) -> str:
    """HubSpot's consent page for this tenant; `return_to` (under the console's URL) is where
    the callback sends the browser once the connection is saved or refused."""
    s = ctx.settings
    if not s.hubspot_client_id or not s.hubspot_client_secret:
        raise ApiError(
            503,
            "oauth_not_configured",
            "HubSpot OAuth is not configured here: set "
            "DEALFLOW_HUBSPOT_CLIENT_ID and DEALFLOW_HUBSPOT_CLIENT_SECRET",
        )
    if return_to is not None:
        try:
            oauth_state.checked_return_to(return_to, s.console_url)
        except ValueError as error:
            raise ApiError(422, "invalid_return_to", str(error)) from None
    state = oauth_state.issue(
        ctx.box,
        tenant_id,
        Provider.HUBSPOT.value,
        timedelta(seconds=s.oauth_state_ttl_seconds),
        return_to=return_to,
    )
    return hubspot_oauth.authorize_url(
        s.hubspot_authorize_url,
        client_id=s.hubspot_client_id,
        redirect_uri=s.hubspot_redirect_uri,
        scopes=s.hubspot_scopes.split(),
        state=state,
    )


def verified_hubspot_state(ctx: CrmPushContext, state: str) -> oauth_state.OAuthState:
    """The callback's state, proving this service sent the user (a 400 otherwise)."""
    try:
        return oauth_state.verify(ctx.box, state, Provider.HUBSPOT.value)
    except oauth_state.StateError as error:
        raise ApiError(400, "invalid_state", str(error)) from None


async def finish_hubspot_oauth(
    ctx: CrmPushContext, code: str, issued: oauth_state.OAuthState
) -> Connection:
    """The callback: the code becomes tokens, saved for the tenant the state names."""
    s = ctx.settings
    http = hubspot_oauth.oauth_http(ctx.client, s.hubspot_api_base)
    try:
        grant = await hubspot_oauth.exchange_code(
            http,
            client_id=s.hubspot_client_id or "",
            client_secret=s.hubspot_client_secret.get_secret_value()
            if s.hubspot_client_secret
            else "",
            redirect_uri=s.hubspot_redirect_uri,
            code=code,
        )
    except ProviderError as error:
        raise provider_failure(Provider.HUBSPOT, error) from None
    tokens = oauth_tokens(grant)
    return await _save_connection(
        ctx,
        issued.tenant_id,
        Provider.HUBSPOT,
        tokens,
        account_id=str(grant.hub_id) if grant.hub_id is not None else None,
        expires_at=grant.expires_at,
    )


async def connect_with_key(
    ctx: CrmPushContext, tenant_id: str, provider: Provider, credentials: Mapping[str, str]
) -> Connection:
    """Pipedrive (api_token), Close (api_key) or a HubSpot private app (access_token): verified
    by listing pipelines before anything is saved."""
    if provider not in CRM_PROVIDERS:
        raise ApiError(404, "unknown_provider", f"no CRM named {provider}")
    probe = _unsaved(tenant_id, PushTarget.CRM, provider, ctx.box, credentials)
    link = link_for(ctx, probe)
    crm = link.clients().crm
    if crm is None:
        raise ApiError(404, "unknown_provider", f"no CRM named {provider}")
    try:
        await crm.verify()
        ensure_schema = getattr(crm, "ensure_schema", None)
        if ensure_schema is not None:
            await ensure_schema()
    except ProviderError as error:
        raise provider_failure(provider, error) from None
    return await _save_connection(ctx, tenant_id, provider, credentials)


async def connect_notion(
    ctx: CrmPushContext,
    tenant_id: str,
    token: str,
    database_id: str,
    mapping: NotionMapping,
) -> Connection:
    """Checks the database is shared with the integration and holds every mapped property."""
    credentials = {"token": token}
    probe = _unsaved(tenant_id, PushTarget.NOTION, Provider.NOTION, ctx.box, credentials)
    probe.account_id = database_id
    probe.config = mapping.model_dump(mode="json")
    notion = link_for(ctx, probe).clients().notion
    if notion is None:  # pragma: no cover - a Notion link always has a Notion client
        raise ApiError(500, "internal", "no Notion client")
    try:
        types = await notion.property_types()
    except ProviderError as error:
        raise provider_failure(Provider.NOTION, error) from None
    wanted = {
        mapping.email_property,
        *mapping.on_booked,
        *mapping.on_cancelled,
        *mapping.on_attended,
    }
    missing = sorted(wanted - set(types))
    if missing:
        raise ApiError(
            422,
            "unknown_properties",
            "the Notion database has no properties " + ", ".join(repr(m) for m in missing),
            missing=missing,
        )
    if types.get(mapping.email_property) not in ("email", "rich_text", "title"):
        raise ApiError(
            422,
            "email_property",
            f"{mapping.email_property!r} is a "
            f"{types.get(mapping.email_property)} property, not an email",
        )
    return await _save_connection(
        ctx,
        tenant_id,
        Provider.NOTION,
        credentials,
        account_id=database_id,
        config=mapping.model_dump(mode="json"),
    )


def _unsaved(
    tenant_id: str,
    target: PushTarget,
    provider: Provider,
    box: SecretBox,
    credentials: Mapping[str, str],
) -> Connection:
    return Connection(
        tenant_id=tenant_id,
        target=target,
        provider=provider,
        status=ConnectionStatus.CONNECTED,
        updated_at=datetime.now(UTC),
        credentials=seal_credentials(box, tenant_id, target, credentials),
    )


async def _save_connection(
    ctx: CrmPushContext,
    tenant_id: str,
    provider: Provider,
    credentials: Mapping[str, str],
    *,
    account_id: str | None = None,
    expires_at: datetime | None = None,
    config: dict[str, object] | None = None,
) -> Connection:
    """Stores a verified connection; the settings of an earlier connection to the same provider
    stay, and ids learned in another CRM account are forgotten."""
    target = target_of(provider)
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        previous = await uow.pushes.connection(tenant_id, target, lock=True)
        same_provider = previous is not None and previous.provider == provider
        if previous is not None and (
            not same_provider or (account_id and previous.account_id != account_id)
        ):
            await uow.pushes.forget_ids(tenant_id, previous.provider)
        connection = Connection(
            tenant_id=tenant_id,
            target=target,
            provider=provider,
            status=ConnectionStatus.CONNECTED,
            updated_at=now,
            credentials=seal_credentials(ctx.box, tenant_id, target, credentials),
            token_expires_at=expires_at,
            account_id=account_id,
            config=config
            if config is not None
            else (previous.config if previous is not None and same_provider else {}),
            connected_at=now,
        )
        await _set_status(uow, connection, ConnectionStatus.CONNECTED, None)
        await uow.commit()
    if ctx.worker is not None:
        ctx.worker.nudge()  # pushes waiting for a reconnect go now
    return connection


async def disconnect(ctx: CrmPushContext, tenant_id: str, target: PushTarget) -> int:
    """Forgets the credentials; pushes still waiting end skipped. Answers how many."""
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        connection = await uow.pushes.connection(tenant_id, target, lock=True)
        if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
            raise ApiError(404, "not_connected", f"no {target.value} is connected")
        connection.credentials, connection.token_expires_at = None, None
        await _set_status(uow, connection, ConnectionStatus.DISCONNECTED, "disconnected")
        waiting = await uow.pushes.waiting_pushes(tenant_id, target)
        for push in waiting:
            push.status, push.reason = PushStatus.SKIPPED, f"{connection.provider} disconnected"
            push.completed_at = push.updated_at = now
            await uow.pushes.save_push_state(push)
            uow.outbox.add(
                push_result(push), topic=CRM_TOPIC, key=result_key(push), tenant_id=tenant_id
            )
        await uow.commit()
    return len(waiting)


# --- reading and checking against the CRM ----------------------------------------------------


async def connection_of(ctx: CrmPushContext, tenant_id: str, target: PushTarget) -> Connection:
    async with ctx.uow() as uow:
        connection = await uow.pushes.connection(tenant_id, target)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        what = "CRM" if target == PushTarget.CRM else "Notion database"
        raise ApiError(404, "not_connected", f"no {what} is connected: POST /v1/crm/connect/…")
    return connection


async def with_crm(
    ctx: CrmPushContext, tenant_id: str, call: Callable[[CrmAdapter], Awaitable[T]]
) -> T:
    """Runs a live read against the tenant's CRM, its failures answered as API errors."""
    connection = await connection_of(ctx, tenant_id, PushTarget.CRM)
    crm = link_for(ctx, connection).clients().crm
    if crm is None:  # pragma: no cover - a CRM link always has a CRM client
        raise ApiError(500, "internal", "no CRM client")
    try:
        return await call(crm)
    except ProviderError as error:
        raise provider_failure(connection.provider, error) from None


async def check_connection(
    ctx: CrmPushContext, tenant_id: str, target: PushTarget
) -> dict[str, object]:
    """A live check: answers what was checked and how long it took, or the provider's error."""
    connection = await connection_of(ctx, tenant_id, target)
    clients = link_for(ctx, connection).clients()
    client: CrmAdapter | NotionTarget | None = clients.crm or clients.notion
    started = datetime.now(UTC)
    try:
        if client is not None:
            await client.verify()
    except ProviderError as error:
        return {
            "ok": False,
            "provider": connection.provider.value,
            "error": error.message,
            "error_code": error.code or error.kind.value,
        }
    took = (datetime.now(UTC) - started).total_seconds() * 1000
    return {"ok": True, "provider": connection.provider.value, "duration_ms": round(took)}


async def save_config(ctx: CrmPushContext, tenant_id: str, config: CrmConfig) -> CrmConfig:
    """Checked against the CRM first: the pipeline, every mapped stage and the default owner
    must exist there (a 422 names what does not)."""
    pipelines = await with_crm(ctx, tenant_id, lambda crm: crm.pipelines())
    users = await with_crm(ctx, tenant_id, lambda crm: crm.users())
    problems: list[str] = []
    by_id = {p.id: p for p in pipelines}
    if config.pipeline_id is not None and config.pipeline_id not in by_id:
        problems.append(f"pipeline_id {config.pipeline_id!r} is not a pipeline of the CRM")
    chosen = [by_id[config.pipeline_id]] if config.pipeline_id in by_id else pipelines
    stage_ids = {s.id for p in chosen for s in p.stages}
    if config.new_deal_stage_id is not None and config.new_deal_stage_id not in stage_ids:
        problems.append(
            f"new_deal_stage_id {config.new_deal_stage_id!r} is not a stage of the pipeline"
        )
    for stage, crm_stage in config.stage_mapping.items():
        if crm_stage not in stage_ids:
            problems.append(
                f"stage_mapping.{stage.value} {crm_stage!r} is not a stage of the pipeline"
            )
    if config.default_owner_id is not None and config.default_owner_id not in {u.id for u in users}:
        problems.append(f"default_owner_id {config.default_owner_id!r} is not a CRM user")
    if problems:
        raise ApiError(422, "invalid_config", "; ".join(problems), problems=problems)
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        connection = await uow.pushes.connection(tenant_id, PushTarget.CRM, lock=True)
        if connection is None:
            raise ApiError(404, "not_connected", "no CRM is connected")
        connection.config, connection.updated_at = config.model_dump(mode="json"), now
        await uow.pushes.save_connection(connection)
        await uow.commit()
    return config


# --- parked pushes ---------------------------------------------------------------------------


async def retry_push(ctx: CrmPushContext, tenant_id: str, push_id: object) -> Push:
    """A parked push runs again (attempts start over); any other push answers 409."""
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        push = await uow.pushes.push(tenant_id, push_id, lock=True)  # type: ignore[arg-type]
        if push is None:
            raise ApiError(404, "not_found", f"no push {push_id}")
        if push.status != PushStatus.PARKED:
            raise ApiError(
                409,
                "not_parked",
                f"push {push_id} is {push.status.value}: only a parked push is retried",
            )
        _requeue(push, now, "retried by hand")
        await uow.pushes.save_push_state(push)
        await uow.commit()
    if ctx.worker is not None:
        ctx.worker.nudge()
    return push


def _requeue(push: Push, now: datetime, why: str) -> None:
    push.status, push.attempts, push.recover = PushStatus.PENDING, 0, True
    push.next_attempt_at, push.updated_at, push.completed_at = now, now, None
    push.reason = why


async def replay_parked(
    uow: Callable[[], CrmPushUnitOfWork], tenant_id: str | None, limit: int = 10_000
) -> int:
    """Every parked push (of a tenant, or all) runs again: the replay command."""
    now = datetime.now(UTC)
    async with uow() as work:
        parked = await work.pushes.parked(tenant_id, limit)
        for push in parked:
            _requeue(push, now, "replayed")
            await work.pushes.save_push_state(push)
        await work.commit()
    return len(parked)


async def reseal_credentials(uow: Callable[[], CrmPushUnitOfWork], box: SecretBox) -> int:
    """Re-seals every stored credential with the key ring's first key (key rotation); answers
    how many connections changed."""
    changed = 0
    async with uow() as work:
        for connection in await work.pushes.connections_for_update():
            if connection.credentials is None or box.is_current(connection.credentials):
                continue
            opened = open_credentials(box, connection)
            connection.credentials = seal_credentials(
                box, connection.tenant_id, connection.target, opened
            )
            await work.pushes.save_connection(connection)
            changed += 1
        await work.commit()
    return changed
