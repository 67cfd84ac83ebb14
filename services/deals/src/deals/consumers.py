"""Kafka subscribers of the deals service: typed events in, one use case."""

from collections.abc import Callable, Sequence

from dealflow_libs.consumer import Received
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas.meetings import MEETING_EVENTS, MEETINGS_TOPIC, MeetingEvent
from deals import SERVICE
from deals.uow import DealsUnitOfWork
from deals.use_cases import record_meeting_events


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
