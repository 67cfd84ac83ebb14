"""Attribution use cases: each opens one unit of work, applies domain rules, commits once."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from attribution.attributing import tenant_terms
from attribution.domain.booking import journey_to_booking
from attribution.domain.recorded import RecordedTouch
from attribution.events import meeting_attributed
from attribution.intake import booking_of, booking_touch, classified, recorded
from attribution.leads import refresh_people
from attribution.recompute import recompute_touched
from attribution.reporting import record_meeting_states
from attribution.uow import AttributionUnitOfWork
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC, TOUCHES_TOPIC, TouchIn, TouchSubmitted
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
    uow: AttributionUnitOfWork,
    tenant_id: str,
    items: Sequence[TouchIn],
    source: str,
    caused_by: str | None = None,
) -> list[TouchOutcome]:
    """Stores a tenant's touches, each classified by its current rules; one outcome per item.
    A new touch inside a closed deal's window attributes that deal again, in the same unit of
    work (`recompute.recompute_touched`). Each new touch is also published on
    `dealflow.touches.v1`, so that the topic holds every touch, however it came in (a rebuild
    reads it; this service's own consumer finds them stored and changes nothing)."""
    now = datetime.now(UTC)
    async with uow:
        terms = (await tenant_terms(uow, [tenant_id]))[tenant_id]
        touches = [recorded(tenant_id, item, terms.rules, source, now) for item in items]
        created = await uow.attribution.add_touches(touches)
        new: dict[str, tuple[TouchIn, RecordedTouch]] = {}
        for item, r in zip(items, touches, strict=True):
            if (tenant_id, r.touch.touch_id) in created:
                new.setdefault(r.touch.touch_id, (item, r))  # a touch_id twice: the first
        for item, r in new.values():
            uow.outbox.add(
                TouchSubmitted.model_validate({**item.model_dump(), "tenant_id": tenant_id}),
                topic=TOUCHES_TOPIC,
                key=r.touch.person_email,
                tenant_id=tenant_id,
                subject=r.touch.touch_id,
            )
        late = [(r.touch, caused_by) for _, r in new.values()]
        await recompute_touched(uow, terms, late, now=now)
        await refresh_people(uow, {tenant_id: {r.touch.person_email for _, r in new.values()}})
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
            terms = await tenant_terms(uow, {event.tenant_id for _, event in fresh})
            touches = [
                (event_id, recorded(e.tenant_id, e, terms[e.tenant_id].rules, "kafka", now))
                for event_id, e in fresh
            ]
            created = await uow.attribution.add_touches([r for _, r in touches])
            for tenant_id in sorted(terms):
                late = {
                    r.touch.touch_id: (r.touch, event_id)
                    for event_id, r in reversed(touches)  # a touch_id twice: the first wins
                    if r.tenant_id == tenant_id and (tenant_id, r.touch.touch_id) in created
                }
                await recompute_touched(uow, terms[tenant_id], list(late.values()), now=now)
            new = (r for _, r in touches if (r.tenant_id, r.touch.touch_id) in created)
            await refresh_people(uow, _people(new))
        await uow.commit()


async def record_meeting_events(
    uow: AttributionUnitOfWork, deliveries: Sequence[tuple[str, MeetingEvent]]
) -> None:
    """A booking becomes a touch of the person who booked, and a MeetingAttributed naming the
    touches before it. Every meeting event updates the meeting's state for the funnel."""
    now = datetime.now(UTC)
    async with uow:
        fresh = await uow.inbox.fresh(deliveries)
        await record_meeting_states(uow, (e for _, e in fresh))
        booked = [(i, e) for i, e in fresh if isinstance(e, MeetingBooked)]
        terms = await tenant_terms(uow, {e.tenant_id for _, e in booked})
        await uow.attribution.lock_runs(*terms)  # bookings may be late touches of closed deals
        people: dict[str, set[str]] = {}
        for event_id, event in booked:
            booking = booking_of(event)
            # A booking seen before (another event id for the same meeting) is not counted again.
            if booking is None or not await uow.attribution.add_booking(booking):
                continue
            # Who booked and every attendee: each is a lead now, at least meeting_booked.
            people.setdefault(event.tenant_id, set()).update(booking.attendee_emails)
            rules = terms[event.tenant_id].rules
            touch = classified(
                event.tenant_id, booking_touch(event, booking), rules, "meeting", now
            )
            if await uow.attribution.add_touches([touch]):
                # A booking is a touch too: late for a closed deal of the same account.
                await recompute_touched(
                    uow, terms[event.tenant_id], [(touch.touch, event_id)], now=now
                )
            timeline = await uow.attribution.timeline(event.tenant_id, booking.person_email)
            journey = journey_to_booking(
                timeline,
                booking_touch_id=booking.touch_id,
                booked_at=booking.booked_at,
                window=terms[event.tenant_id].window,
            )
            uow.outbox.add(
                meeting_attributed(booking, journey, rules.version, event_id),
                topic=ATTRIBUTION_TOPIC,
                key=str(booking.meeting_id),
                tenant_id=booking.tenant_id,
                subject=str(booking.meeting_id),
            )
        await refresh_people(uow, people)
        await uow.commit()


def _people(touches: Iterable[RecordedTouch]) -> dict[str, set[str]]:
    """The people of these touches, per tenant."""
    people: dict[str, set[str]] = {}
    for touch in touches:
        people.setdefault(touch.tenant_id, set()).add(touch.touch.person_email)
    return people
