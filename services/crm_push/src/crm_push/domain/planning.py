"""Which pushes an event asks for: one per connected target, or a skipped one when the tenant
has no CRM (so every meeting and deal change has a visible result)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_push.domain.model import Connection, Operation, Push, PushStatus
from dealflow_libs.ids import new_id
from dealflow_schemas.attribution import MeetingAttributed
from dealflow_schemas.base import EventModel
from dealflow_schemas.crm import ConnectionStatus, PushEntity, PushTarget
from dealflow_schemas.deals import DealEvent
from dealflow_schemas.meetings import MeetingEvent, ReminderDue

NO_CRM = "no CRM connected"


@dataclass(frozen=True)
class Subject:
    entity: PushEntity
    entity_id: object
    operations: Mapping[PushTarget, Operation]
    version: datetime


def subject_of(event: EventModel) -> Subject | None:
    """What the event is about and what each target does with it; None: nothing to push
    (a reminder, a deal attribution run)."""
    if isinstance(event, ReminderDue):
        return None
    if isinstance(event, MeetingEvent):
        return Subject(
            PushEntity.MEETING,
            event.meeting_id,
            {PushTarget.CRM: Operation.SYNC_MEETING, PushTarget.NOTION: Operation.NOTION_MEETING},
            event.meeting.updated_at,
        )
    if isinstance(event, DealEvent):
        return Subject(
            PushEntity.DEAL,
            event.deal_id,
            {PushTarget.CRM: Operation.SYNC_DEAL},
            event.deal.updated_at,
        )
    if isinstance(event, MeetingAttributed):
        return Subject(
            PushEntity.MEETING,
            event.meeting_id,
            {PushTarget.CRM: Operation.MEETING_JOURNEY},
            event.booked_at,
        )
    return None


def plan_pushes(
    event_id: str,
    event: EventModel,
    connections: Mapping[PushTarget, Connection],
    now: datetime,
) -> list[Push]:
    """The pushes for one event given the tenant's live connections (disconnected ones are not
    passed). A CRM target missing gives a push skipped with NO_CRM; a Notion target missing
    gives nothing (Notion is optional and says nothing about the CRM)."""
    subject = subject_of(event)
    if subject is None:
        return []
    tenant_id: str = event.tenant_id  # type: ignore[attr-defined]
    pushes: list[Push] = []
    for target, operation in subject.operations.items():
        connection = connections.get(target)
        live = connection is not None and connection.status != ConnectionStatus.DISCONNECTED
        if target == PushTarget.NOTION and not live:
            continue
        push = Push(
            id=new_id(),
            tenant_id=tenant_id,
            target=target,
            provider=connection.provider if connection else None,
            entity=subject.entity,
            entity_id=subject.entity_id,  # type: ignore[arg-type]
            meeting_id=_meeting_of(event),
            deal_id=getattr(event, "deal_id", None),
            source_event_id=event_id,
            source_event_type=event.ce_type,
            operation=operation,
            payload=event.model_dump(mode="json"),
            version=subject.version,
            status=PushStatus.PENDING if live else PushStatus.SKIPPED,
            reason=None if live else NO_CRM,
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
            completed_at=None if live else now,
        )
        pushes.append(push)
    return pushes


def _meeting_of(event: EventModel) -> UUID | None:
    """The meeting a push concerns: the event's own, or the meeting behind a deal change."""
    if isinstance(event, MeetingEvent | MeetingAttributed):
        return event.meeting_id
    if isinstance(event, DealEvent):
        return event.meeting.meeting_id if event.meeting else event.deal.source_meeting_id
    return None
