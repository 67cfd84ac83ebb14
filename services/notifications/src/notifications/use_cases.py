"""Commands behind the notifications API: settings, resend, and the provider's delivery events."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from dealflow_libs.http import ApiError
from dealflow_libs.ids import new_id
from dealflow_libs.secretbox import SecretBox
from notifications.domain.delivery import (
    DeliveryEvent,
    MalformedDeliveryEvent,
    advances,
    delivery_name,
    parse_delivery_event,
)
from notifications.domain.model import Send, SendStatus
from notifications.domain.senders import SenderTable
from notifications.domain.sends import idempotency_key
from notifications.domain.svix import InvalidSignature, verify
from notifications.settings_store import (
    ResendSettings,
    SmtpSettings,
    seal_transport,
    tenant_config,
)
from notifications.uow import NotificationsUnitOfWork


async def save_senders(uow: NotificationsUnitOfWork, tenant_id: str, table: SenderTable) -> None:
    async with uow:
        await uow.notifications.save_settings(
            tenant_id, datetime.now(UTC), senders=table.model_dump(mode="json")
        )
        await uow.commit()


async def save_transport(
    uow: NotificationsUnitOfWork,
    box: SecretBox,
    tenant_id: str,
    settings: ResendSettings | SmtpSettings,
) -> dict[str, Any]:
    sealed = seal_transport(box, tenant_id, settings)
    async with uow:
        await uow.notifications.save_settings(tenant_id, datetime.now(UTC), transport=sealed)
        await uow.commit()
    return sealed


async def save_templates(
    uow: NotificationsUnitOfWork, tenant_id: str, templates: Mapping[str, Any]
) -> None:
    async with uow:
        await uow.notifications.save_settings(
            tenant_id, datetime.now(UTC), templates=dict(templates)
        )
        await uow.commit()


async def resend(uow: NotificationsUnitOfWork, tenant_id: str, send_id: Any) -> Send:
    """The same email again, as a new send (its own key, so the provider sends it): for a
    failed or skipped send, or one the recipient says never arrived."""
    now = datetime.now(UTC)
    async with uow:
        original = await uow.notifications.send(tenant_id, send_id)
        if original is None:
            raise ApiError(404, "not_found", f"no notification {send_id}")
        if original.status in (SendStatus.PENDING, SendStatus.SENDING):
            raise ApiError(409, "in_progress", f"notification {send_id} is still being sent")
        number = await uow.notifications.resends_of(tenant_id, original.send_key) + 1
        key = f"{original.send_key}/resend-{number}"
        again = replace(
            original,
            id=new_id(),
            send_key=key,
            idempotency_key=idempotency_key(original.send_key, resend=number),
            status=SendStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            provider_message_id=None,
            delivery=None,
            reason=f"resent by hand (of {original.id})",
            error=None,
            error_code=None,
            created_at=now,
            updated_at=now,
            sent_at=None,
        )
        await uow.notifications.add_sends([again])
        await uow.commit()
    return again


@dataclass(frozen=True)
class DeliveryOutcome:
    svix_id: str
    applied: str


async def record_delivery(
    uow: NotificationsUnitOfWork,
    box: SecretBox,
    tenant_id: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_now: datetime | None = None,
) -> DeliveryOutcome:
    """A Resend delivery event: verified (Svix signature, 5-minute tolerance), recorded once
    per svix-id, then applied: the send's delivery status, and a bounced or complained address
    suppressed for later sends."""
    now = tolerance_now or datetime.now(UTC)
    async with uow:
        secret = await _webhook_secret(uow, box, tenant_id)
        try:
            svix_id = verify(secret, headers, body, now=now)
        except InvalidSignature as error:
            raise ApiError(400, "invalid_signature", str(error)) from None
        try:
            payload = json.loads(body)
        except ValueError:
            raise ApiError(400, "invalid_json", "the body is not JSON") from None
        kind = payload.get("type") if isinstance(payload, dict) else None
        try:
            event = parse_delivery_event(payload)
        except MalformedDeliveryEvent as error:
            event, kind = None, f"malformed: {error}"
        fresh = await uow.notifications.claim_webhook(
            svix_id, tenant_id, str(kind), event.email_id if event else None, payload, now
        )
        applied = "duplicate"
        if fresh:
            applied = await apply_delivery(uow, tenant_id, event, now) if event else "recorded"
        await uow.commit()
    return DeliveryOutcome(svix_id, applied)


async def _webhook_secret(uow: NotificationsUnitOfWork, box: SecretBox, tenant_id: str) -> str:
    config = tenant_config((await uow.notifications.settings_of([tenant_id])).get(tenant_id))
    if config.transport is not None:
        opened = config.transport.opened(box, tenant_id)
        if isinstance(opened, ResendSettings) and opened.webhook_secret:
            return opened.webhook_secret
    raise ApiError(404, "no_webhook_secret", f"tenant {tenant_id} takes no Resend webhooks")


async def apply_delivery(
    uow: NotificationsUnitOfWork, tenant_id: str, event: DeliveryEvent, now: datetime
) -> str:
    """The event on its send (delivery only moves forward) and, for a bounce or complaint, on
    the suppression list; answers what was done."""
    applied = "recorded"
    # A commit writing this email's send holds the lock: once it is ours, the send is visible,
    # or its commit will find this event recorded (Dispatcher._catch_up_deliveries).
    await uow.notifications.lock_provider_emails([(tenant_id, event.email_id)])
    send = await uow.notifications.by_message_id(tenant_id, event.email_id)
    if send is not None and advances(send.delivery, event.type):
        send.delivery, send.updated_at = delivery_name(event.type), now
        await uow.notifications.save_state(send)
        applied = f"{send.id}: {send.delivery}"
    elif send is not None:
        applied = f"{send.id}: already {send.delivery}"
    if event.suppresses:
        reason = delivery_name(event.type)
        for address in event.recipients:
            await uow.notifications.suppress(
                tenant_id, address, reason, send.id if send else None, now
            )
        applied += "; suppressed " + ", ".join(event.recipients)
    return applied
