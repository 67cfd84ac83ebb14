"""Kafka subscribers of notifications: meeting events in, sends queued (intake)."""

from collections.abc import Callable, Sequence

from dealflow_libs.consumer import Received
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas.meetings import MEETING_EVENTS, MEETINGS_TOPIC, MeetingEvent
from notifications import SERVICE
from notifications.intake import record_meeting_events
from notifications.uow import NotificationsUnitOfWork


def subscribe_meetings(
    runtime: ServiceRuntime,
    uow: Callable[[str], NotificationsUnitOfWork],
    queued: Callable[[], None],
) -> None:
    async def handle(items: Sequence[Received[MeetingEvent]]) -> None:
        if await record_meeting_events(uow(SERVICE), [(i.id, i.event) for i in items]):
            queued()

    runtime.consume(
        name=SERVICE,
        topic=MEETINGS_TOPIC,
        events=MEETING_EVENTS,
        handler=handle,
        description="Booked, rescheduled, cancelled and due reminders become one send each "
        "(confirmation, reschedule notice, cancellation, pre-call reminder).",
        hot_path=True,  # a confirmation email is expected within seconds of the booking
    )
