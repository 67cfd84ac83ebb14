"""Meeting events in: each one that asks for an email becomes one `sends` row, claimed by its
logical key in the transaction of the event's inbox entry. A key seen before (a redelivery, a
replay, a second instance) inserts nothing, so one logical email is one row, sent at most once
by the dispatcher (dispatch.py). Nothing here talks to a mail provider."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dealflow_libs import tracing
from dealflow_libs.ids import new_id
from dealflow_schemas.meetings import MeetingEvent
from dealflow_schemas.notifications import NotificationTransport
from notifications.domain.compose import compose
from notifications.domain.model import Send, SendStatus
from notifications.domain.senders import SenderTable
from notifications.domain.sends import LogicalSend, idempotency_key, send_for
from notifications.domain.staleness import stale_reason
from notifications.domain.templates import Template
from notifications.logical import logical_json
from notifications.settings_store import TenantConfig, tenant_config
from notifications.uow import NotificationsUnitOfWork


async def record_meeting_events(
    uow: NotificationsUnitOfWork, deliveries: Sequence[tuple[str, MeetingEvent]]
) -> list[Send]:
    """The sends the events ask for (new ones only); answers those queued or skipped."""
    now = datetime.now(UTC)
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        await uow.notifications.remember_meetings(
            [
                {
                    "tenant_id": e.tenant_id,
                    "meeting_id": e.meeting_id,
                    "snapshot": e.meeting.model_dump(mode="json"),
                    "updated_at": e.meeting.updated_at,
                }
                for _, e in _latest_per_meeting(todo)
            ]
        )
        configs = await _configs(uow, {e.tenant_id for _, e in todo})
        planned: list[Send] = []
        for event_id, event in todo:
            logical = send_for(event)
            if logical is not None:
                planned.append(_plan(event_id, event, logical, configs[event.tenant_id], now))
        added = await uow.notifications.add_sends(planned)
        await uow.commit()
    return added


def _latest_per_meeting(
    todo: Sequence[tuple[str, MeetingEvent]],
) -> list[tuple[str, MeetingEvent]]:
    latest: dict[tuple[str, Any], tuple[str, MeetingEvent]] = {}
    for event_id, event in todo:
        key = (event.tenant_id, event.meeting_id)
        if key not in latest or latest[key][1].meeting.updated_at <= event.meeting.updated_at:
            latest[key] = (event_id, event)
    return list(latest.values())


async def _configs(
    uow: NotificationsUnitOfWork, tenant_ids: set[str]
) -> Mapping[str, TenantConfig]:
    rows = await uow.notifications.settings_of(sorted(tenant_ids))
    return {t: tenant_config(rows.get(t)) for t in tenant_ids}


def _plan(
    event_id: str, event: MeetingEvent, logical: LogicalSend, config: TenantConfig, now: datetime
) -> Send:
    """The send row: composed and pending, or skipped with the reason."""
    meeting = event.meeting
    senders = config.senders or SenderTable.model_validate({"default": _NO_SENDER})
    stored = config.templates.get(logical.kind.value)
    previous = getattr(event, "previous_scheduled_at", None)
    content = compose(
        logical,
        meeting,
        senders=senders,
        template=Template.model_validate(stored) if stored else None,
        stamp=event.occurred_at,  # deterministic: a retry renders the same bytes
        previous_start=previous,
    )
    sender = content.sender
    skip = None
    if config.senders is None:
        skip = "no sender configured (PUT /v1/settings/senders)"
    elif config.transport is None:
        skip = "no email transport configured (PUT /v1/settings/transport)"
    elif (stale := stale_reason(logical, meeting, now=now)) is not None:
        skip = f"{stale.reason.value}: {stale.detail}"
    envelope = tracing.incoming(event_id)
    trail = tracing.trail_of(envelope) if envelope is not None else None
    return Send(
        id=new_id(),
        tenant_id=event.tenant_id,
        meeting_id=event.meeting_id,
        kind=logical.kind,
        offset_minutes=logical.offset_minutes,
        send_key=logical.key,
        logical=logical_json(logical),
        idempotency_key=idempotency_key(logical.key),
        status=SendStatus.SKIPPED if skip else SendStatus.PENDING,
        recipients=list(logical.recipients),
        from_address=sender.from_header,
        reply_to=sender.reply_to,
        subject=content.subject,
        html=content.html,
        text=content.text,
        ics=content.invite.content.decode() if content.invite else None,
        transport=config.transport.kind if config.transport else NotificationTransport.RESEND,
        source_event_id=event_id,
        correlation_id=trail.correlation_id if trail else None,
        traceparent=trail.traceparent if trail else None,
        reason=skip,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )


#: Stands in for a sender when a tenant has none, so the skipped send still shows its content.
_NO_SENDER = {"from_address": "no-sender@invalid.example"}
