"""Meetings use cases: each opens one unit of work, applies domain rules, commits once."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dealflow_schemas.attribution import MeetingAttributed
from dealflow_schemas.bookings import BookingEvent
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingEvent, MeetingOutcome
from dealflow_schemas.notifications import NotificationSent
from meetings.domain.analytics import RollupDifference
from meetings.domain.bookings import Applied, Identify, MeetingBook, apply_booking
from meetings.domain.manual import ManualBooking, manual_meeting
from meetings.domain.meeting import Change, Happened, Meeting
from meetings.domain.reminders import planned_reminders
from meetings.domain.settings import MeetingSettings
from meetings.events import DealRequest, meeting_event, reminder_due
from meetings.uow import MeetingsUnitOfWork


class NotFound(Exception):
    pass


def _publish(uow: MeetingsUnitOfWork, event: MeetingEvent) -> None:
    uow.outbox.add(
        event,
        topic=MEETINGS_TOPIC,
        key=str(event.meeting_id),
        tenant_id=event.tenant_id,
        subject=str(event.meeting_id),
    )


async def _settings(uow: MeetingsUnitOfWork, tenant_ids: set[str]) -> dict[str, MeetingSettings]:
    profiles = await uow.tenants.profiles(tenant_ids)
    return {
        t: MeetingSettings.from_stored(p.settings, personal_domains=p.personal_domains)
        for t, p in profiles.items()
    }


@dataclass
class _Batch:
    book: MeetingBook
    settings: dict[str, MeetingSettings]
    identify: Identify
    now: datetime
    changes: list[tuple[Meeting, Happened, str]]
    touched: dict[uuid.UUID, Meeting]

    def apply(self, event_id: str, event: BookingEvent) -> Applied:
        applied = apply_booking(
            self.book,
            event,
            settings=self.settings[event.tenant_id],
            identify=self.identify,
            now=self.now,
        )
        if applied.meeting is not None:
            self.touched[applied.meeting.id] = applied.meeting
            self.changes += [(applied.meeting, h, event_id) for h in applied.happened]
        return applied


def _uids_of(event: BookingEvent) -> list[tuple[str, str]]:
    uids = (event.booking_uid, event.previous_booking_uid, event.next_booking_uid)
    return [(event.tenant_id, u) for u in uids if u]


async def record_booking_events(
    uow: MeetingsUnitOfWork, deliveries: Sequence[tuple[str, BookingEvent]], *, identify: Identify
) -> int:
    """Applies a batch of booking events (each at most once) and publishes what changed."""
    now = datetime.now(UTC)
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        if not todo:
            return 0
        book = MeetingBook(
            by_uid=await uow.meetings.by_uids(p for _, ev in todo for p in _uids_of(ev))
        )
        batch = _Batch(
            book, await _settings(uow, {ev.tenant_id for _, ev in todo}), identify, now, [], {}
        )
        for event_id, event in todo:
            if batch.apply(event_id, event).deferred:
                await uow.pending.park(
                    event.tenant_id, event.booking_uid, event_id, event.model_dump(mode="json"), now
                )
        await _apply_parked(uow, batch)
        await _save(uow, batch)
        await uow.commit()
    return len(todo)


async def _apply_parked(uow: MeetingsUnitOfWork, batch: _Batch) -> None:
    """Events that waited for a meeting are applied once any uid of it is known."""
    checked = 0
    while checked < len(batch.book.new_aliases):
        aliases = batch.book.new_aliases[checked:]
        checked = len(batch.book.new_aliases)
        for event_id, payload in await uow.pending.take((t, u) for t, u, _ in aliases):
            event = BookingEvent.model_validate(payload)
            batch.settings.setdefault(event.tenant_id, MeetingSettings())
            batch.apply(event_id, event)


async def _save(uow: MeetingsUnitOfWork, batch: _Batch) -> None:
    await uow.meetings.insert_new(batch.book.created, batch.now)
    await uow.flush()
    await uow.meetings.add_uids([(t, u, m.id) for t, u, m in batch.book.new_aliases])
    await uow.meetings.add_reschedules(
        [
            {
                "meeting_id": m.id,
                "from_uid": h.details.get("previous_provider_uid"),
                "to_uid": m.provider_uid,
                "from_scheduled_at": h.details.get("previous_scheduled_at"),
                "to_scheduled_at": m.scheduled_at,
                "source": m.provider.value,
                "rescheduled_at": batch.now,
            }
            for m, h, _ in batch.changes
            if h.change is Change.RESCHEDULED
        ]
    )
    await _replan_reminders(uow, batch.touched.values(), batch.settings, batch.now)
    for meeting, happened, caused_by in batch.changes:
        _publish(uow, meeting_event(meeting, happened, caused_by=caused_by, now=batch.now))


async def _replan_reminders(
    uow: MeetingsUnitOfWork, meetings: Any, settings: dict[str, MeetingSettings], now: datetime
) -> None:
    plans = {
        m.id: (
            m.tenant_id,
            planned_reminders(
                m, settings.get(m.tenant_id, MeetingSettings()).reminder_offsets_minutes, now
            ),
        )
        for m in meetings
    }
    await uow.reminders.replace_pending(plans, now)


@dataclass(frozen=True)
class DealLink:
    """From a deal event: the meetings that belong to the deal."""

    tenant_id: str
    deal_id: uuid.UUID
    meeting_ids: list[uuid.UUID]


async def link_deals(uow: MeetingsUnitOfWork, deliveries: Sequence[tuple[str, DealLink]]) -> int:
    """Records which deal each meeting belongs to, each deal event at most once (a redelivered
    old event must not move a meeting back to a deal it has left since). Returns rows changed."""
    now = datetime.now(UTC)
    async with uow:
        linked = 0
        for _, link in await uow.inbox.fresh(deliveries):
            if link.meeting_ids:
                linked += await uow.meetings.link_deal(
                    link.tenant_id, link.deal_id, link.meeting_ids, now
                )
        await uow.commit()
    return linked


async def record_attributions(
    uow: MeetingsUnitOfWork, deliveries: Sequence[tuple[str, MeetingAttributed]]
) -> int:
    """Stores each meeting's journey analytics (each event at most once) on its meeting; one
    for a meeting not stored (yet) is parked until it is. Returns the events applied."""
    now = datetime.now(UTC)
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        found = await uow.meetings.by_ids_locked((e.tenant_id, e.meeting_id) for _, e in todo)
        for event_id, event in todo:
            meeting = found.get((event.tenant_id, event.meeting_id))
            if meeting is not None:
                meeting.attribute(event, now)
            else:
                await uow.pending_attributions.park(
                    event.tenant_id, event.meeting_id, event_id, event.model_dump(mode="json"), now
                )
        await uow.commit()
    return len(todo)


async def record_notifications(
    uow: MeetingsUnitOfWork, deliveries: Sequence[tuple[str, NotificationSent]]
) -> int:
    """Keeps on each meeting when the latest email about it was sent (each event at most once);
    for a meeting not stored (yet) the time is parked by meeting id until it is. Returns the
    events applied."""
    now = datetime.now(UTC)
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        found = await uow.meetings.by_ids_locked((e.tenant_id, e.meeting_id) for _, e in todo)
        for event_id, event in todo:
            meeting = found.get((event.tenant_id, event.meeting_id))
            if meeting is not None:
                meeting.notified(event.sent_at, now)
            else:
                await uow.pending_notifications.park(
                    event.tenant_id, event.meeting_id, event_id, event.sent_at, now
                )
        await uow.commit()
    return len(todo)


# -- commands -------------------------------------------------------------------------------


async def book_manual_meeting(
    uow: MeetingsUnitOfWork,
    tenant_id: str,
    booking: ManualBooking,
    *,
    identify: Identify,
    request_id: str,
) -> Meeting:
    """A meeting a person entered: stored, reminders planned, MeetingBooked published."""
    now = datetime.now(UTC)
    async with uow:
        settings = await _settings(uow, {tenant_id})
        meeting, happened = manual_meeting(
            tenant_id, booking, settings=settings[tenant_id], identify=identify, now=now
        )
        await uow.meetings.insert_new([meeting], now)
        await uow.flush()
        await _replan_reminders(uow, [meeting], settings, now)
        _publish(uow, meeting_event(meeting, happened, caused_by=request_id, now=now))
        await uow.commit()
    return meeting


async def _command(
    uow: MeetingsUnitOfWork, tenant_id: str, meeting_id: uuid.UUID, act: Any
) -> Meeting:
    now = datetime.now(UTC)
    async with uow:
        meeting = await uow.meetings.get(tenant_id, meeting_id, for_update=True)
        if meeting is None:
            raise NotFound(f"no meeting {meeting_id}")
        events = act(meeting, now)
        settings = await _settings(uow, {tenant_id})
        await _replan_reminders(uow, [meeting], settings, now)
        for event in events:
            _publish(uow, event)
        await uow.commit()
    return meeting


async def confirm_meeting(
    uow: MeetingsUnitOfWork, tenant_id: str, meeting_id: uuid.UUID, *, request_id: str
) -> Meeting:
    def act(meeting: Meeting, now: datetime) -> list[MeetingEvent]:
        happened = meeting.confirm(now)
        return [meeting_event(meeting, happened, caused_by=request_id, now=now)] if happened else []

    return await _command(uow, tenant_id, meeting_id, act)


async def record_attendance(
    uow: MeetingsUnitOfWork,
    tenant_id: str,
    meeting_id: uuid.UUID,
    *,
    showed_up: bool,
    confirmed_by: str | None,
    no_show_reason: str | None,
    request_id: str,
) -> Meeting:
    def act(meeting: Meeting, now: datetime) -> list[MeetingEvent]:
        happened = meeting.record_attendance(
            showed_up=showed_up, confirmed_by=confirmed_by, no_show_reason=no_show_reason, now=now
        )
        return [meeting_event(meeting, happened, caused_by=request_id, now=now)]

    return await _command(uow, tenant_id, meeting_id, act)


async def record_outcome(
    uow: MeetingsUnitOfWork,
    tenant_id: str,
    meeting_id: uuid.UUID,
    *,
    outcome: MeetingOutcome,
    notes: str | None,
    next_steps: str | None,
    create_deal: bool,
    deal_value: float | None,
    deal_name: str | None,
    request_id: str,
) -> Meeting:
    def act(meeting: Meeting, now: datetime) -> list[MeetingEvent]:
        happened = meeting.record_outcome(outcome, notes=notes, next_steps=next_steps, now=now)
        return [
            meeting_event(
                meeting,
                happened,
                caused_by=request_id,
                now=now,
                deal=DealRequest(create_deal, deal_value, deal_name),
            )
        ]

    return await _command(uow, tenant_id, meeting_id, act)


async def delete_meeting(
    uow: MeetingsUnitOfWork, tenant_id: str, meeting_id: uuid.UUID, *, request_id: str
) -> Meeting:
    def act(meeting: Meeting, now: datetime) -> list[MeetingEvent]:
        meeting.soft_delete(now)
        return []

    return await _command(uow, tenant_id, meeting_id, act)


# -- reminders ------------------------------------------------------------------------------


async def dispatch_due_reminders(uow: MeetingsUnitOfWork, *, limit: int = 200) -> int:
    """Publishes every due reminder exactly once, even with several instances running."""
    now = datetime.now(UTC)
    async with uow:
        due = await uow.reminders.claim_due(now, limit)
        skipped = []
        for reminder_id, tenant_id, meeting_id, offset, due_at in due:
            meeting = await uow.meetings.get(tenant_id, meeting_id)
            if meeting is None or not planned_reminders(
                meeting, (offset,), due_at - timedelta(seconds=1), min_lead=False
            ):
                skipped.append(reminder_id)  # deleted, cancelled or already started meanwhile
                continue
            meeting.reminder_sent, meeting.reminder_sent_at, meeting.updated_at = True, now, now
            _publish(
                uow,
                reminder_due(
                    meeting, reminder_id=reminder_id, offset_minutes=offset, due_at=due_at, now=now
                ),
            )
        await uow.reminders.mark(skipped, "skipped")
        await uow.commit()
    return len(due)


# -- read models ------------------------------------------------------------------------------


async def show_rate_differences(
    uow: MeetingsUnitOfWork, tenant_id: str | None = None
) -> Sequence[RollupDifference]:
    """Where the maintained show-rate rollup differs from a full recompute from the meetings
    (one tenant's, or every tenant's): empty unless something wrote meetings around the
    trigger."""
    async with uow:
        return await uow.meetings.show_rate_differences(tenant_id)
