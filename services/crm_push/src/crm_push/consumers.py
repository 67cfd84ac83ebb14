"""Kafka subscribers of crm_push: typed events in, pushes queued (intake.record_events)."""

from collections.abc import Callable, Iterable, Sequence

from crm_push import SERVICE
from crm_push.domain.model import PushStatus
from crm_push.intake import record_events
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs.consumer import Received
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas.attribution import ATTRIBUTION_EVENTS, ATTRIBUTION_TOPIC, MeetingAttributed
from dealflow_schemas.base import EventModel
from dealflow_schemas.crm import PushTarget
from dealflow_schemas.deals import DEAL_EVENTS, DEALS_TOPIC, DealEvent
from dealflow_schemas.meetings import MEETING_EVENTS, MEETINGS_TOPIC, MeetingEvent


def subscribe_sources(
    runtime: ServiceRuntime,
    uow: Callable[[str], CrmPushUnitOfWork],
    queued: Callable[[Iterable[tuple[str, PushTarget]]], None],
) -> None:
    """Meetings, deals and the meetings' journeys become pushes; `queued` wakes the worker for
    the connections that got pushes to run."""

    async def queue(name: str, events: Sequence[tuple[str, EventModel]]) -> None:
        planned = await record_events(uow(name), events) if events else []
        due = [(p.tenant_id, p.target) for p in planned if p.status == PushStatus.PENDING]
        if due:
            queued(due)

    async def meetings(items: Sequence[Received[MeetingEvent]]) -> None:
        await queue(f"{SERVICE}-meetings", [(i.id, i.event) for i in items])

    async def deals(items: Sequence[Received[DealEvent]]) -> None:
        await queue(f"{SERVICE}-deals", [(i.id, i.event) for i in items])

    async def journeys(items: Sequence[Received[EventModel]]) -> None:
        # The topic also carries deal runs; only the meetings' journeys are pushed.
        wanted = [(i.id, i.event) for i in items if isinstance(i.event, MeetingAttributed)]
        await queue(f"{SERVICE}-attribution", wanted)

    runtime.consume(
        name=f"{SERVICE}-meetings",
        topic=MEETINGS_TOPIC,
        events=MEETING_EVENTS,
        handler=meetings,
        hot_path=True,  # a booking's contact and meeting should reach the CRM in seconds
        description="Meeting changes become pushes of the contact and the meeting activity "
        "(and the attendee's Notion row); reminders are not pushed.",
    )
    runtime.consume(
        name=f"{SERVICE}-deals",
        topic=DEALS_TOPIC,
        events=DEAL_EVENTS,
        handler=deals,
        hot_path=True,
        description="Deal changes (created, stage, value, won, lost, reopened) become pushes of "
        "the CRM deal through the tenant's stage mapping.",
    )
    runtime.consume(
        name=f"{SERVICE}-attribution",
        topic=ATTRIBUTION_TOPIC,
        events=ATTRIBUTION_EVENTS,
        handler=journeys,
        description="MeetingAttributed puts the attendee's attribution fields on the CRM contact "
        "where the field mapping names them; deal runs are not pushed.",
    )
