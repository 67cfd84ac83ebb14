"""A tenant's sender routing, transport and templates."""

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from notifications import use_cases
from notifications.api.deps import Ctx, Tenant
from notifications.domain.senders import SenderTable
from notifications.settings_store import StoredTransport, TransportSettings, tenant_config

router = APIRouter(tags=["settings"])


@router.get("/v1/settings/senders", response_model=SenderTable | None, summary="Sender routing")
async def get_senders(ctx: Ctx, tenant: Tenant) -> SenderTable | None:
    async with ctx.uow() as uow:
        row = (await uow.notifications.settings_of([tenant])).get(tenant)
    return tenant_config(row).senders


@router.put("/v1/settings/senders", response_model=SenderTable, summary="Replace sender routing")
async def put_senders(ctx: Ctx, tenant: Tenant, body: SenderTable) -> SenderTable:
    """From-address by the organizer's registrable domain, one default; reply-to is the
    organizer."""
    await use_cases.save_senders(ctx.uow(), tenant, body)
    return body


class TransportView(BaseModel):
    kind: str
    settings: dict[str, Any] = Field(description="Secrets answered as ****.")


@router.get("/v1/settings/transport", response_model=TransportView | None, summary="Transport")
async def get_transport(ctx: Ctx, tenant: Tenant) -> TransportView | None:
    async with ctx.uow() as uow:
        row = (await uow.notifications.settings_of([tenant])).get(tenant)
    stored = tenant_config(row).transport
    return TransportView(kind=stored.kind.value, settings=stored.masked()) if stored else None


@router.put("/v1/settings/transport", response_model=TransportView, summary="Set the transport")
async def put_transport(
    ctx: Ctx, tenant: Tenant, body: Annotated[TransportSettings, "transport"]
) -> TransportView:
    """Resend (`{"kind": "resend", "api_key", "webhook_secret"}`) or SMTP (`{"kind": "smtp",
    "host", "port", "username", "password", "start_tls"}`); secrets are sealed at rest."""
    sealed = await use_cases.save_transport(ctx.uow(), ctx.box, tenant, body)
    stored = StoredTransport(kind=body.kind, values=sealed)  # type: ignore[arg-type]
    return TransportView(kind=body.kind, settings=stored.masked())
