"""Kafka subscribers of the meetings service: typed events in, one use case."""

from collections.abc import Callable, Sequence

from dealflow_libs.consumer import Received
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas.attribution import ATTRIBUTION_EVENTS, ATTRIBUTION_TOPIC, MeetingAttributed
from dealflow_schemas.base import EventModel
from dealflow_schemas.bookings import BOOKINGS_TOPIC, BookingEvent
from dealflow_schemas.deals import DEAL_EVENTS, DEALS_TOPIC, DealEvent
from dealflow_schemas.notifications import (
    NOTIFICATION_EVENTS,
    NOTIFICATIONS_TOPIC,
    NotificationSent,
)
from meetings import SERVICE
from meetings.domain.bookings import Identify
from meetings.uow import MeetingsUnitOfWork
from meetings.use_cases import (
    DealLink,
    link_deals,
    record_attributions,
    record_booking_events,
    record_notifications,
)


def subscribe_bookings(
    runtime: ServiceRuntime, uow: Callable[[str], MeetingsUnitOfWork], identify: Identify
) -> None:
    async def handle(items: Sequence[Received[BookingEvent]]) -> None:
        await record_booking_events(
            uow(SERVICE), [(i.id, i.event) for i in items], identify=identify
        )

    runtime.consume(
        name=SERVICE,
        topic=BOOKINGS_TOPIC,
        events=[BookingEvent],
        handler=handle,
        description="Applies normalized booking events to meetings.",
        hot_path=True,
    )


def deal_link(event: DealEvent) -> DealLink:
    return DealLink(event.tenant_id, event.deal_id, list(event.deal.meeting_ids))


def subscribe_deal_links(runtime: ServiceRuntime, uow: Callable[[str], MeetingsUnitOfWork]) -> None:
    """Deals decide which deal a meeting belongs to; meetings keep `deal_id` in step."""
    name = f"{SERVICE}-deals"

    async def handle(items: Sequence[Received[DealEvent]]) -> None:
        await link_deals(uow(name), [(i.id, deal_link(i.event)) for i in items])

    runtime.consume(
        name=name,
        topic=DEALS_TOPIC,
        events=DEAL_EVENTS,
        handler=handle,
        description="Keeps each meeting's deal_id in step with the deals service.",
    )


def subscribe_attributions(
    runtime: ServiceRuntime, uow: Callable[[str], MeetingsUnitOfWork]
) -> None:
    """The attribution service's analytics of each booking, kept on the meeting."""
    name = f"{SERVICE}-attribution"

    async def handle(items: Sequence[Received[EventModel]]) -> None:
        # The topic also carries deal runs; only the meetings' journeys concern meetings.
        journeys = [(i.id, i.event) for i in items if isinstance(i.event, MeetingAttributed)]
        if journeys:
            await record_attributions(uow(name), journeys)

    runtime.consume(
        name=name,
        topic=ATTRIBUTION_TOPIC,
        events=ATTRIBUTION_EVENTS,
        handler=handle,
        description="Keeps each meeting's touches_before_booking, days_to_booking, "
        "converting and first-touch channels (MeetingAttributed; other types are skipped).",
    )


def subscribe_notifications(
    runtime: ServiceRuntime, uow: Callable[[str], MeetingsUnitOfWork]
) -> None:
    """The notifications service's emails: the meeting shows when the latest one was sent."""
    name = f"{SERVICE}-notifications"

    async def handle(items: Sequence[Received[EventModel]]) -> None:
        # A failed send changes nothing on the meeting; only what went out counts.
        sent = [(i.id, i.event) for i in items if isinstance(i.event, NotificationSent)]
        if sent:
            await record_notifications(uow(name), sent)

    runtime.consume(
        name=name,
        topic=NOTIFICATIONS_TOPIC,
        events=NOTIFICATION_EVENTS,
        handler=handle,
        description="Keeps each meeting's notification_sent_at (the latest NotificationSent; "
        "NotificationFailed is skipped).",
    )
