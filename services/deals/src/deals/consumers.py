"""Kafka subscribers of the deals service: typed events in, one use case."""

from collections.abc import Callable, Sequence

from dealflow_libs.consumer import Received
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas.attribution import ATTRIBUTION_EVENTS, ATTRIBUTION_TOPIC, MeetingAttributed
from dealflow_schemas.base import EventModel
from dealflow_schemas.meetings import MEETING_EVENTS, MEETINGS_TOPIC, MeetingEvent
from deals import SERVICE
from deals.uow import DealsUnitOfWork
from deals.use_cases import record_journeys, record_meeting_events


def subscribe_meetings(runtime: ServiceRuntime, uow: Callable[[str], DealsUnitOfWork]) -> None:
    async def handle(items: Sequence[Received[MeetingEvent]]) -> None:
        await record_meeting_events(uow(SERVICE), [(i.id, i.event) for i in items])

    runtime.consume(
        name=SERVICE,
        topic=MEETINGS_TOPIC,
        events=MEETING_EVENTS,
        handler=handle,
        description="Creates and advances deals from meeting events.",
        hot_path=True,
    )


def subscribe_attributions(runtime: ServiceRuntime, uow: Callable[[str], DealsUnitOfWork]) -> None:
    """The attribution service's journey of each booking, behind the deals' analytics."""
    name = f"{SERVICE}-attribution"

    async def handle(items: Sequence[Received[EventModel]]) -> None:
        # The topic also carries deal runs; only the meetings' journeys feed the read model.
        journeys = [(i.id, i.event) for i in items if isinstance(i.event, MeetingAttributed)]
        if journeys:
            await record_journeys(uow(name), journeys)

    runtime.consume(
        name=name,
        topic=ATTRIBUTION_TOPIC,
        events=ATTRIBUTION_EVENTS,
        handler=handle,
        description="Keeps each meeting's journey (MeetingAttributed; other types are "
        "skipped) for the deals' converting_channel, first_touch_channel, touches_before_deal.",
    )
