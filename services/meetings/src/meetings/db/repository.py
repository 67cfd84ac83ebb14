"""All SQL of the meetings service. Nothing here commits."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    and_,
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealflow_libs.db import insert_new
from dealflow_libs.domains import person_key
from dealflow_libs.ids import new_id
from dealflow_libs.pagination import keyset_page
from dealflow_libs.utc_days import DAY, midnight, whole_days
from dealflow_schemas.attribution import MeetingAttributed
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingOutcome, MeetingStatus, MeetingType
from meetings.db.show_rate_sql import COUNTED, SHOW_RATE_DAYS
from meetings.db.tables import (
    meeting_reschedules,
    meeting_show_rate_days,
    meeting_uids,
    meetings,
    pending_attributions,
    pending_booking_events,
    pending_notifications,
    reminders,
    trail,
)
from meetings.domain.analytics import AttendanceCounts, RollupDifference
from meetings.domain.meeting import Meeting


class MeetingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, meeting: Meeting) -> None:
        self.session.add(meeting)

    async def insert_new(self, created: Sequence[Meeting], now: datetime) -> None:
        """Inserts new meetings, each with the attribution and the notification time parked
        for its id, if any."""
        await self._adopt_parked_attributions(created, now)
        await self._adopt_parked_notifications(created, now)
        await insert_new(self.session, created)

    async def _adopt_parked_attributions(self, created: Sequence[Meeting], now: datetime) -> None:
        if not created:
            return
        by_key = {(m.tenant_id, m.id): m for m in created}
        t = pending_attributions
        rows = await self.session.execute(
            delete(t)
            .where(tuple_(t.c.tenant_id, t.c.meeting_id).in_(list(by_key)))
            .returning(t.c.tenant_id, t.c.meeting_id, t.c.payload)
        )
        for tenant_id, meeting_id, payload in rows:
            by_key[(tenant_id, meeting_id)].attribute(
                MeetingAttributed.model_validate(payload), now
            )

    async def _adopt_parked_notifications(self, created: Sequence[Meeting], now: datetime) -> None:
        if not created:
            return
        by_key = {(m.tenant_id, m.id): m for m in created}
        t = pending_notifications
        rows = await self.session.execute(
            delete(t)
            .where(tuple_(t.c.tenant_id, t.c.meeting_id).in_(list(by_key)))
            .returning(t.c.tenant_id, t.c.meeting_id, t.c.sent_at)
        )
        for tenant_id, meeting_id, sent_at in rows:
            by_key[(tenant_id, meeting_id)].notified(sent_at, now)

    async def by_ids_locked(
        self, keys: Iterable[tuple[str, uuid.UUID]]
    ) -> dict[tuple[str, uuid.UUID], Meeting]:
        """(tenant, meeting id) -> the meeting, locked; deleted meetings included (what other
        services say about them, analytics or emails sent, is history too)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        found = await self.session.scalars(
            select(Meeting)
            .where(tuple_(meetings.c.tenant_id, meetings.c.id).in_(wanted))
            .with_for_update()
        )
        return {(m.tenant_id, m.id): m for m in found}

    async def get(
        self, tenant_id: str, meeting_id: uuid.UUID, *, for_update: bool = False
    ) -> Meeting | None:
        query = select(Meeting).where(
            meetings.c.tenant_id == tenant_id,
            meetings.c.id == meeting_id,
            meetings.c.deleted_at.is_(None),
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def by_uids(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Meeting]:
        """(tenant, uid) -> meeting for every uid of every chain asked about, rows locked."""
        wanted = list(dict.fromkeys(pairs))
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(meeting_uids.c.tenant_id, meeting_uids.c.uid, meeting_uids.c.meeting_id).where(
                tuple_(meeting_uids.c.tenant_id, meeting_uids.c.uid).in_(wanted)
            )
        )
        found = {(t, u): m for t, u, m in rows}
        if not found:
            return {}
        loaded = await self.session.scalars(
            select(Meeting).where(meetings.c.id.in_(set(found.values()))).with_for_update()
        )
        by_id = {m.id: m for m in loaded}
        index: dict[tuple[str, str], Meeting] = {}
        for meeting in by_id.values():
            for uid in meeting.all_uids:
                index[(meeting.tenant_id, uid)] = meeting
        for key, meeting_id in found.items():
            index[key] = by_id[meeting_id]
        return index

    async def add_uids(self, rows: Sequence[tuple[str, str, uuid.UUID]]) -> None:
        if rows:
            await self.session.execute(
                insert(meeting_uids).on_conflict_do_nothing(),
                [{"tenant_id": t, "uid": u, "meeting_id": m} for t, u, m in rows],
            )

    async def add_reschedules(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(meeting_reschedules), list(rows))

    async def link_deal(
        self, tenant_id: str, deal_id: uuid.UUID, meeting_ids: Sequence[uuid.UUID], now: datetime
    ) -> int:
        result = await self.session.execute(
            update(meetings)
            .where(
                meetings.c.tenant_id == tenant_id,
                meetings.c.id.in_(meeting_ids),
                or_(meetings.c.deal_id.is_(None), meetings.c.deal_id != deal_id),
            )
            .values(deal_id=deal_id, updated_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def by_booking(self, tenant_id: str, booking_id: str) -> uuid.UUID | None:
        """The meeting a booking is known by: any provider uid it has had, or the id of a
        booking event that changed it (the correlation id of its trail)."""
        by_uid = await self.session.scalar(
            select(meeting_uids.c.meeting_id).where(
                meeting_uids.c.tenant_id == tenant_id, meeting_uids.c.uid == booking_id
            )
        )
        if by_uid is not None:
            return by_uid
        subject = await self.session.scalar(
            select(trail.c.subject)
            .where(
                trail.c.tenant_id == tenant_id,
                trail.c.correlation_id == booking_id,
                trail.c.direction == "published",
                trail.c.channel == MEETINGS_TOPIC,
            )
            .order_by(trail.c.id)
            .limit(1)
        )
        return uuid.UUID(subject) if subject else None

    async def booking_id(self, tenant_id: str, meeting_id: uuid.UUID) -> str | None:
        """The correlation id of the booking that created the meeting (its first event's)."""
        found: str | None = await self.session.scalar(
            select(trail.c.correlation_id)
            .where(
                trail.c.tenant_id == tenant_id,
                trail.c.subject == str(meeting_id),
                trail.c.direction == "published",
            )
            .order_by(trail.c.id)
            .limit(1)
        )
        return found

    async def reschedule_history(self, meeting_id: uuid.UUID) -> Sequence[Any]:
        result = await self.session.execute(
            select(meeting_reschedules)
            .where(meeting_reschedules.c.meeting_id == meeting_id)
            .order_by(meeting_reschedules.c.id)
        )
        return result.mappings().all()

    async def list(
        self,
        tenant_id: str,
        *,
        status: MeetingStatus | None,
        upcoming: bool | None,
        email: str | None,
        meeting_type: MeetingType | None,
        outcome: MeetingOutcome | None,
        since: datetime | None,
        until: datetime | None,
        after: tuple[datetime, uuid.UUID] | None,
        now: datetime,
        limit: int,
        newest_first: bool = False,
    ) -> Sequence[Meeting]:
        query = list_query(
            tenant_id,
            newest_first=newest_first,
            status=status,
            upcoming=upcoming,
            email=email,
            meeting_type=meeting_type,
            outcome=outcome,
            since=since,
            until=until,
            after=after,
            now=now,
            limit=limit,
        )
        return (await self.session.scalars(query)).all()

    async def show_rate_counts(
        self, tenant_id: str, since: datetime, until: datetime
    ) -> AttendanceCounts:
        """Counted in SQL (`show_rate_window_query`): one row back, and at most two partial
        days read row by row, however long the window."""
        query = show_rate_window_query(tenant_id, since, until)
        return AttendanceCounts(**(await self.session.execute(query)).one()._asdict())

    async def show_rate_differences(self, tenant_id: str | None) -> Sequence[RollupDifference]:
        """Every (tenant, day) whose kept show-rate rollup differs from a recompute from the
        meetings (none, unless something bypassed the trigger)."""
        rows = await self.session.execute(SHOW_RATE_DAYS.differences_query(tenant_id))
        return [_rollup_difference(row) for row in rows]


def list_query(
    tenant_id: str,
    *,
    status: MeetingStatus | None,
    upcoming: bool | None,
    email: str | None,
    meeting_type: MeetingType | None,
    outcome: MeetingOutcome | None,
    since: datetime | None,
    until: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    now: datetime,
    limit: int,
    newest_first: bool = False,
) -> Select[Any]:
    c = meetings.c
    query: Select[Any] = select(Meeting).where(
        c.tenant_id == tenant_id, c.deleted_at.is_(None), c.scheduled_at.is_not(None)
    )
    for column, value in (
        (c.status, status),
        (c.meeting_type, meeting_type),
        (c.meeting_outcome, outcome),
    ):
        if value is not None:
            # A literal, not a parameter (an enum's value, one statement per value): a generic
            # plan then knows how rare the value is and takes ix_meetings_status_outcome for a
            # combination matching almost nothing instead of walking the tenant's range.
            query = query.where(column == literal_column(f"'{value.value}'"))
    if email:
        query = query.where(c.primary_email == person_key(email))
    if upcoming is not None:
        query = query.where(
            and_(c.scheduled_at > now, c.status == MeetingStatus.SCHEDULED)
            if upcoming
            else or_(c.scheduled_at <= now, c.status != MeetingStatus.SCHEDULED)
        )
    if since is not None:
        query = query.where(c.scheduled_at >= since)
    if until is not None:
        query = query.where(c.scheduled_at < until)
    return keyset_page(query, c.scheduled_at, c.id, after, limit, newest_first=newest_first)


def show_rate_query(tenant_id: str, since: datetime, until: datetime) -> Select[*tuple[int, ...]]:
    """The counts of the meetings scheduled in [since, until), row by row: an index-only scan
    of ix_meetings_show_rate (it covers every column counted; its partial predicate is a
    literal here, so generic plans use it too)."""
    c = meetings.c
    return select(
        *(func.count().filter(text(counted)).label(name) for name, counted in COUNTED.items())
    ).where(
        c.tenant_id == tenant_id,
        c.deleted_at.is_(None),
        c.scheduled_at >= since,
        c.scheduled_at < until,
    )


def show_rate_window_query(
    tenant_id: str, since: datetime, until: datetime
) -> Select[*tuple[int, ...]]:
    """The counts of [since, until): the whole UTC days inside it from the daily rollup (a row
    per day and shard), the partial first and last day counted from the meetings
    (`show_rate_query`); the rollup is exact for every day, and `until` (now) is the only bound
    later than the last whole day, so a meeting whose time passes since its last write counts."""
    days = whole_days(since, until)
    if days is None:
        return show_rate_query(tenant_id, since, until)
    first, last = days
    d = meeting_show_rate_days.c
    from_rollup = select(*(func.sum(d[name]).label(name) for name in COUNTED)).where(
        d.tenant_id == tenant_id, d.day >= first, d.day <= last
    )
    parts = union_all(
        from_rollup,
        show_rate_query(tenant_id, since, midnight(first)),
        show_rate_query(tenant_id, midnight(last + DAY), until),
    ).subquery()
    return select(
        *(
            func.coalesce(func.sum(parts.c[name]), 0).cast(BigInteger).label(name)
            for name in COUNTED
        )
    )


def _rollup_difference(row: Any) -> RollupDifference:
    """A row of SHOW_RATE_DAYS.differences: tenant, day, then kept and recomputed per counter."""
    tenant_id, day, *pairs = row
    kept = {name: pairs[2 * i] for i, name in enumerate(COUNTED)}
    recomputed = {name: pairs[2 * i + 1] for i, name in enumerate(COUNTED)}
    return RollupDifference(
        tenant_id, day, AttendanceCounts(**kept), AttendanceCounts(**recomputed)
    )


class PendingEvents:
    """Booking events parked until the meeting they refer to appears."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def park(
        self, tenant_id: str, uid: str, event_id: str, payload: dict[str, Any], now: datetime
    ) -> None:
        await self.session.execute(
            insert(pending_booking_events).values(
                tenant_id=tenant_id, uid=uid, event_id=event_id, payload=payload, received_at=now
            )
        )

    async def take(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, dict[str, Any]]]:
        """Removes and returns (event id, payload) parked for these uids, oldest first."""
        wanted = list(dict.fromkeys(pairs))
        if not wanted:
            return []
        t = pending_booking_events
        rows = await self.session.execute(
            delete(t)
            .where(tuple_(t.c.tenant_id, t.c.uid).in_(wanted))
            .returning(t.c.id, t.c.event_id, t.c.payload)
        )
        return [
            (event_id, payload) for _, event_id, payload in sorted(rows.all(), key=lambda r: r[0])
        ]


class PendingAttributions:
    """MeetingAttributed events whose meeting is not stored (yet); see `insert_new`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def park(
        self,
        tenant_id: str,
        meeting_id: uuid.UUID,
        event_id: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        """Keeps the latest event per meeting: attribution publishes them keyed by meeting id,
        so the later one read is the later one published."""
        stmt = insert(pending_attributions).values(
            tenant_id=tenant_id,
            meeting_id=meeting_id,
            event_id=event_id,
            payload=payload,
            received_at=now,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[
                    pending_attributions.c.tenant_id,
                    pending_attributions.c.meeting_id,
                ],
                set_={
                    "event_id": stmt.excluded.event_id,
                    "payload": stmt.excluded.payload,
                    "received_at": stmt.excluded.received_at,
                },
            )
        )


class PendingNotifications:
    """The latest NotificationSent time of each meeting not stored (yet); see `insert_new`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def park(
        self, tenant_id: str, meeting_id: uuid.UUID, event_id: str, sent_at: datetime, now: datetime
    ) -> None:
        """One row per meeting holding the latest send (sends arrive in any order)."""
        t = pending_notifications
        stmt = insert(t).values(
            tenant_id=tenant_id,
            meeting_id=meeting_id,
            sent_at=sent_at,
            event_id=event_id,
            received_at=now,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[t.c.tenant_id, t.c.meeting_id],
                set_={
                    "sent_at": stmt.excluded.sent_at,
                    "event_id": stmt.excluded.event_id,
                    "received_at": stmt.excluded.received_at,
                },
                where=t.c.sent_at < stmt.excluded.sent_at,
            )
        )


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_pending(
        self, plans: dict[uuid.UUID, tuple[str, list[tuple[int, datetime]]]], now: datetime
    ) -> None:
        """Drops the pending reminders of these meetings and plans the given ones instead."""
        if not plans:
            return
        await self.session.execute(
            update(reminders)
            .where(reminders.c.meeting_id.in_(list(plans)), reminders.c.status == "pending")
            .values(status="cancelled")
        )
        rows = [
            {
                "id": new_id(),
                "tenant_id": tenant,
                "meeting_id": meeting_id,
                "offset_minutes": offset,
                "due_at": due,
                "created_at": now,
            }
            for meeting_id, (tenant, planned) in plans.items()
            for offset, due in planned
        ]
        if rows:
            # A reminder already sent for the same slot is not sent again; a cancelled one revives.
            stmt = insert(reminders)
            await self.session.execute(
                stmt.on_conflict_do_update(
                    constraint="uq_reminders_meeting_offset_due",
                    set_={"status": "pending"},
                    where=reminders.c.status == "cancelled",
                ),
                rows,
            )

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Any]:
        """Locks due reminders no other instance holds (SKIP LOCKED) and marks them sent."""
        due = (
            select(reminders.c.id)
            .where(reminders.c.status == "pending", reminders.c.due_at <= now)
            .order_by(reminders.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.execute(
            update(reminders)
            .where(reminders.c.id.in_(due.scalar_subquery()))
            .values(status="sent", sent_at=now)
            .returning(
                reminders.c.id,
                reminders.c.tenant_id,
                reminders.c.meeting_id,
                reminders.c.offset_minutes,
                reminders.c.due_at,
            )
        )
        return result.all()

    async def mark(self, ids: Sequence[uuid.UUID], status: str) -> None:
        if ids:
            await self.session.execute(
                update(reminders).where(reminders.c.id.in_(ids)).values(status=status)
            )

    async def for_meeting(self, meeting_id: uuid.UUID) -> Sequence[Any]:
        result = await self.session.execute(
            select(reminders)
            .where(reminders.c.meeting_id == meeting_id)
            .order_by(reminders.c.due_at)
        )
        return result.mappings().all()
