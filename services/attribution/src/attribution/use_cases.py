"""Attribution use cases: each opens one unit of work, applies domain rules, commits once."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from attribution.domain.booking import journey_to_booking
from attribution.domain.recorded import Lead, RecordedTouch
from attribution.events import meeting_attributed
from attribution.intake import booking_of, booking_touch, classified, recorded, rules_for
from attribution.uow import AttributionUnitOfWork
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC, TouchIn, TouchSubmitted
from dealflow_schemas.meetings import MeetingBooked, MeetingEvent


class TouchStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class TouchOutcome:
    """What became of one submitted touch: stored now, or already known (the first copy wins)."""

    status: TouchStatus
    touch: RecordedTouch


async def record_touches(
    uow: AttributionUnitOfWork, tenant_id: str, items: Sequence[TouchIn], source: str
) -> list[TouchOutcome]:
    """Stores a tenant's touches, each classified by its current rules; one outcome per item."""
    now = datetime.now(UTC)
    async with uow:
        settings = (await uow.tenants.profiles([tenant_id]))[tenant_id].settings
        rules = rules_for(settings)
        touches = [recorded(tenant_id, item, rules, source, now) for item in items]
        created = await uow.attribution.add_touches(touches)
        await uow.commit()
    outcomes = []
    for touch in touches:
        key = (tenant_id, touch.touch.touch_id)
        fresh = key in created
        created.discard(key)  # a touch_id given twice in one batch: the first is the created one
        status = TouchStatus.CREATED if fresh else TouchStatus.DUPLICATE
        outcomes.append(TouchOutcome(status, touch))
    return outcomes


async def consume_touches(
    uow: AttributionUnitOfWork, deliveries: Sequence[tuple[str, TouchSubmitted]]
) -> None:
    """Touches from `dealflow.touches.v1`: the same intake as the API, once per event id."""
    now = datetime.now(UTC)
    async with uow:
        fresh = await uow.inbox.fresh(deliveries)
        if fresh:
            profiles = await uow.tenants.profiles({event.tenant_id for _, event in fresh})
            rules = {tenant_id: rules_for(p.settings) for tenant_id, p in profiles.items()}
            await uow.attribution.add_touches(
                [recorded(e.tenant_id, e, rules[e.tenant_id], "kafka", now) for _, e in fresh]
            )
        await uow.commit()


async def record_meeting_events(
    uow: AttributionUnitOfWork, deliveries: Sequence[tuple[str, MeetingEvent]]
) -> None:
    """A booking becomes a touch of the person who booked, and a MeetingAttributed naming the
    touches before it. Other meeting events change nothing here."""
    now = datetime.now(UTC)
    async with uow:
        fresh = await uow.inbox.fresh(deliveries)
        booked = [(i, e) for i, e in fresh if isinstance(e, MeetingBooked)]
        profiles = await uow.tenants.profiles({e.tenant_id for _, e in booked})
        for event_id, event in booked:
            booking = booking_of(event)
            # A booking seen before (another event id for the same meeting) is not counted again.
            if booking is None or not await uow.attribution.add_booking(booking):
                continue
            rules = rules_for(profiles[event.tenant_id].settings)
            touch = classified(
                event.tenant_id, booking_touch(event, booking), rules, "meeting", now
            )
            await uow.attribution.add_touches([touch])
            timeline = await uow.attribution.timeline(event.tenant_id, booking.person_email)
            journey = journey_to_booking(
                timeline, booking_touch_id=booking.touch_id, booked_at=booking.booked_at
            )
            uow.outbox.add(
                meeting_attributed(booking, journey, rules.version, event_id),
                topic=ATTRIBUTION_TOPIC,
                key=str(booking.meeting_id),
                tenant_id=booking.tenant_id,
                subject=str(booking.meeting_id),
            )
        await uow.commit()


async def list_leads(
    uow: AttributionUnitOfWork, tenant_id: str, after_email: str | None, limit: int
) -> list[Lead]:
    async with uow:
        return await uow.attribution.leads(tenant_id, after_email, limit)


async def lead_timeline(
    uow: AttributionUnitOfWork, tenant_id: str, email: str
) -> list[RecordedTouch]:
    async with uow:
        return await uow.attribution.timeline(tenant_id, email.strip().lower())
