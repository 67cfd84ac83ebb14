"""A tenant's email templates per kind, and previews."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from dealflow_libs.http import ApiError
from dealflow_schemas.meetings import MeetingSnapshot
from dealflow_schemas.notifications import NotificationKind
from notifications import use_cases
from notifications.api.deps import Ctx, Tenant
from notifications.domain.preview import preview
from notifications.domain.senders import DEMO_SENDERS
from notifications.domain.templates import Template
from notifications.settings_store import tenant_config

router = APIRouter(prefix="/v1/templates", tags=["templates"])


@router.get("/{kind}", response_model=Template | None, summary="The tenant's template")
async def get_template(ctx: Ctx, tenant: Tenant, kind: NotificationKind) -> Template | None:
    """The tenant's override for `kind`; null means the default is used."""
    async with ctx.uow() as uow:
        config = tenant_config((await uow.notifications.settings_of([tenant])).get(tenant))
    stored = config.templates.get(kind.value)
    return Template.model_validate(stored) if stored else None


@router.put("/{kind}", response_model=Template, summary="Replace the template")
async def put_template(
    ctx: Ctx, tenant: Tenant, kind: NotificationKind, body: Template
) -> Template:
    """Subject, HTML and text with `{placeholders}`; an unknown placeholder is a 422 naming it."""
    async with ctx.uow() as uow:
        config = tenant_config((await uow.notifications.settings_of([tenant])).get(tenant))
    templates = {**config.templates, kind.value: body.model_dump(mode="json")}
    await use_cases.save_templates(ctx.uow(), tenant, templates)
    return body


class PreviewRequest(BaseModel):
    meeting_id: uuid.UUID | None = None
    offset_minutes: int | None = None
    template: Template | None = None


class Preview(BaseModel):
    from_address: str
    reply_to: str | None
    to: list[str]
    subject: str
    html: str
    text: str
    ics: str | None


@router.post("/{kind}/preview", response_model=Preview, summary="Render without sending")
async def preview_template(
    ctx: Ctx, tenant: Tenant, kind: NotificationKind, body: PreviewRequest | None = None
) -> Preview:
    """Renders `kind` with sample data, or with a meeting's latest state (`meeting_id`), using
    the given template, else the tenant's, else the default."""
    body = body or PreviewRequest()
    async with ctx.uow() as uow:
        config = tenant_config((await uow.notifications.settings_of([tenant])).get(tenant))
        state = (
            await uow.notifications.meeting_state(tenant, body.meeting_id)
            if body.meeting_id
            else None
        )
    if body.meeting_id and state is None:
        raise ApiError(404, "not_found", f"no meeting {body.meeting_id} seen by notifications")
    stored = config.templates.get(kind.value)
    template = body.template or (Template.model_validate(stored) if stored else None)
    composed = preview(
        kind,
        senders=config.senders or DEMO_SENDERS,
        now=datetime.now(UTC),
        template=template,
        meeting=MeetingSnapshot.model_validate(state) if state else None,
        offset_minutes=body.offset_minutes,
    )
    return Preview(
        from_address=composed.sender.from_header,
        reply_to=composed.sender.reply_to,
        to=list(composed.recipients),
        subject=composed.subject,
        html=composed.html,
        text=composed.text,
        ics=composed.invite.content.decode() if composed.invite else None,
    )
