"""Kafka subscribers of the meetings service: parse, then one use case."""

from collections.abc import Callable, Sequence

from dealflow_libs.consumer import Incoming
from dealflow_libs.errors import PermanentError
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas import model_for
from dealflow_schemas.bookings import BOOKINGS_TOPIC, BookingEvent
from dealflow_schemas.deals import DEALS_TOPIC, DealEvent
from meetings import SERVICE
from meetings.domain.bookings import Identify
from meetings.uow import MeetingsUnitOfWork
from meetings.use_cases import DealLink, link_deals, record_booking_events


def parse_booking(item: Incoming) -> BookingEvent:
    if item.envelope.type != BookingEvent.ce_type:
        raise PermanentError(f"unexpected event type {item.envelope.type} on {item.topic}")
    event: BookingEvent = BookingEvent.model_validate_json(item.envelope.data)
    if event.tenant_id != item.envelope.tenant_id:
        raise PermanentError("body tenant_id differs from the ce_tenantid header")
    return event


def subscribe_bookings(
    runtime: ServiceRuntime, uow: Callable[[str], MeetingsUnitOfWork], identify: Identify
) -> None:
    async def handle(items: Sequence[Incoming]) -> None:
        await record_booking_events(
            uow(SERVICE), [(i.envelope.id, parse_booking(i)) for i in items], identify=identify
        )

    runtime.consume(
        name=SERVICE,
        topic=BOOKINGS_TOPIC,
        payload=BookingEvent,
        handler=handle,
        description="Applies normalized booking events to meetings.",
    )


def parse_deal_link(item: Incoming) -> DealLink:
    model = model_for(item.envelope.type)
    if model is None or not issubclass(model, DealEvent):
        raise PermanentError(f"unexpected event type {item.envelope.type} on {item.topic}")
    event = model.model_validate_json(item.envelope.data)
    if event.tenant_id != item.envelope.tenant_id:
        raise PermanentError("body tenant_id differs from the ce_tenantid header")
    return DealLink(event.tenant_id, event.deal_id, list(event.deal.meeting_ids))


def subscribe_deal_links(runtime: ServiceRuntime, uow: Callable[[str], MeetingsUnitOfWork]) -> None:
    """Deals decide which deal a meeting belongs to; meetings keep `deal_id` in step."""
    name = f"{SERVICE}-deals"

    async def handle(items: Sequence[Incoming]) -> None:
        await link_deals(uow(name), [(i.envelope.id, parse_deal_link(i)) for i in items])

    runtime.consume(
        name=name,
        topic=DEALS_TOPIC,
        payload=DealEvent,
        handler=handle,
        description="Keeps each meeting's deal_id in step with the deals service.",
    )
