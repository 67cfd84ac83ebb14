"""SQL of the leads read model: what a lead is derived from, the rows, the list and the
timeline. Nothing here commits. The `*_query` builders serve the async repository and the
migration that backfills the table alike."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.types import Text

from attribution.db.base import Repository
from attribution.db.tables import (
    deal_states,
    lead_days,
    leads,
    meeting_attendees,
    meeting_bookings,
    meeting_states,
    touches,
)
from attribution.domain.funnel import DealFact
from attribution.domain.lead_days import COUNTERS, DayCounts
from attribution.domain.leads import BookedMeeting, Lead, LeadStatus, TouchSummary
from dealflow_libs.db import any_of


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """What `GET /v1/leads` narrows to; None: no condition."""

    status: LeadStatus | None = None
    company_domain: str | None = None
    channel: str | None = None  # the first touch's
    first_seen_from: datetime | None = None
    first_seen_to: datetime | None = None
    email_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class LeadMeeting:
    """A meeting on a lead's timeline: the booking, and its latest state if one was recorded."""

    meeting_id: uuid.UUID
    booked_at: datetime
    booked_by: str
    attendees: tuple[str, ...]
    status: str | None
    scheduled_at: datetime | None
    showed_up: bool | None


def touch_summary_query(tenant_id: str, emails: Sequence[str] | None = None) -> Select[Any]:
    """Per person: touch count, first and last time, the first touch's channel."""
    t = touches.c
    sql = select(
        t.person_email,
        func.count(),
        func.min(t.occurred_at),
        func.max(t.occurred_at),
        literal_column("(array_agg(channel ORDER BY occurred_at, touch_id))[1]", Text),
    ).where(t.tenant_id == tenant_id)
    if emails is not None:
        sql = sql.where(any_of(t.person_email, emails))
    return sql.group_by(t.person_email)


def summaries_of(rows: Iterable[Sequence[Any]]) -> dict[str, TouchSummary]:
    return {email: TouchSummary(n, first, channel, last) for email, n, first, last, channel in rows}


def bookings_query(
    tenant_id: str, *, people: Sequence[str] = (), meeting_ids: Sequence[uuid.UUID] = ()
) -> Select[Any]:
    """Bookings that any of `people` booked or attends, and those of `meeting_ids`."""
    b = meeting_bookings.c
    sql = select(b.meeting_id, b.booked_at, b.attendee_emails).where(b.tenant_id == tenant_id)
    who: list[ColumnElement[bool]] = []
    if people:
        who.append(b.meeting_id.in_(_meetings_of(tenant_id, people)))
    if meeting_ids:
        who.append(any_of(b.meeting_id, meeting_ids))
    return sql.where(or_(*who)) if who else sql


def _meetings_of(tenant_id: str, people: Sequence[str]) -> Select[Any]:
    """The meetings any of `people` booked or attends (meeting_attendees, by index)."""
    a = meeting_attendees.c
    return select(a.meeting_id).where(a.tenant_id == tenant_id, any_of(a.email, people))


def booked_meetings(rows: Iterable[Sequence[Any]]) -> list[BookedMeeting]:
    # The booker is among `attendee_emails` (intake.booking_of puts them there).
    return [BookedMeeting(m, at, frozenset(people)) for m, at, people in rows]


def deals_query(
    tenant_id: str,
    *,
    companies: Sequence[str] = (),
    people: Sequence[str] = (),
    meeting_ids: Sequence[uuid.UUID] = (),
    deal_ids: Sequence[uuid.UUID] = (),
    everything: bool = False,
) -> Select[Any]:
    """Deal states that may reach these people: of their companies, naming one of them as
    primary contact, linking one of their meetings, or the given deals."""
    d = deal_states.c
    # The columns a DealFact holds (`deal_facts`), named: migration 0009 runs this on the
    # schema of its time, without the columns added since.
    facts = (d.deal_id, d.tenant_id, d.company_domain, d.primary_contact_email, d.meeting_ids,
             d.status, d.stage, d.value, d.currency, d.created_at, d.closed_at)  # fmt: skip
    sql = select(*facts).where(d.tenant_id == tenant_id)
    if everything:
        return sql
    who: list[ColumnElement[bool]] = []
    if companies:
        who.append(any_of(d.company_domain, companies))
    if people:
        who.append(any_of(d.primary_contact_email, people))
    if meeting_ids:
        who.append(d.meeting_ids.overlap(sorted(set(meeting_ids))))
    if deal_ids:
        who.append(any_of(d.deal_id, deal_ids))
    return sql.where(or_(*who)) if who else sql.where(literal_column("false"))


def deal_facts(rows: Iterable[Row[Any]]) -> list[DealFact]:
    return [
        DealFact(
            deal_id=row.deal_id,
            tenant_id=row.tenant_id,
            company_domain=row.company_domain,
            primary_contact_email=row.primary_contact_email,
            meeting_ids=tuple(row.meeting_ids),
            status=row.status,
            stage=row.stage,
            value=row.value,
            currency=row.currency,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )
        for row in rows
    ]


_ADD_LEAD_DAYS = text(f"""
    INSERT INTO lead_days AS d (tenant_id, day, {", ".join(COUNTERS)})
    SELECT :tenant, day, {", ".join(COUNTERS)}
    FROM unnest(CAST(:days AS date[]), {", ".join(f"CAST(:{c} AS bigint[])" for c in COUNTERS)})
        AS delta(day, {", ".join(COUNTERS)})
    ORDER BY day
    ON CONFLICT (tenant_id, day) DO UPDATE SET
        {", ".join(f"{c} = d.{c} + excluded.{c}" for c in COUNTERS)}
""")  # noqa: S608 - our own SQL constants
_EMPTY_LEAD_DAYS = text(f"""
    DELETE FROM lead_days WHERE tenant_id = :tenant AND day = ANY(CAST(:days AS date[]))
        AND {" AND ".join(f"{c} = 0" for c in COUNTERS)}
""")  # noqa: S608 - our own SQL constants


def lead_rows(tenant_id: str, found: Iterable[Lead], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": tenant_id,
            "email": lead.email,
            "company_domain": lead.company_domain,
            "status": lead.status.value,
            "first_seen_at": lead.first_seen_at,
            "first_touch_at": lead.first_touch_at,
            "first_touch_channel": lead.first_touch_channel,
            "last_touch_at": lead.last_touch_at,
            "touches": lead.touches,
            "meetings": lead.meetings,
            "deal_ids": list(lead.deal_ids),
            "won_since_first_seen": lead.won_since_first_seen,
            "last_active_at": lead.last_active_at,
            "last_booked_at": lead.last_booked_at,
            "last_won_at": lead.last_won_at,
            "updated_at": now,
        }
        for lead in found
    ]


class LeadsRepository(Repository):
    async def lock(self, tenant_id: str) -> None:
        """Serialises the transactions that rewrite a tenant's leads until commit: the later
        one reads what the earlier committed (its touches, bookings or deal states), so the
        last row written is derived from everything (no lost update between consumers)."""
        key = func.hashtext(literal_column("'attribution-leads:'", Text) + tenant_id)
        await self.session.execute(select(func.pg_advisory_xact_lock(key)))

    async def members(
        self, tenant_id: str, *, deal_ids: Sequence[uuid.UUID], companies: Sequence[str]
    ) -> set[str]:
        """Leads the deals reached when last derived, and the leads at these companies."""
        c = leads.c
        who: list[ColumnElement[bool]] = []
        if deal_ids:
            who.append(c.deal_ids.overlap(sorted(set(deal_ids))))
        if companies:
            who.append(any_of(c.company_domain, companies))
        if not who:
            return set()
        rows = await self.session.scalars(
            select(c.email).where(c.tenant_id == tenant_id, or_(*who))
        )
        return set(rows)

    async def everything(
        self, tenant_id: str
    ) -> tuple[dict[str, TouchSummary], list[BookedMeeting], list[DealFact]]:
        """All a tenant's leads are derived from: touches, bookings, deal states."""
        summaries = summaries_of(await self.session.execute(touch_summary_query(tenant_id)))
        bookings = booked_meetings(await self.session.execute(bookings_query(tenant_id)))
        deals = deal_facts(await self.session.execute(deals_query(tenant_id, everything=True)))
        return summaries, bookings, deals

    async def touch_summaries(
        self, tenant_id: str, emails: Sequence[str]
    ) -> dict[str, TouchSummary]:
        if not emails:
            return {}
        return summaries_of(await self.session.execute(touch_summary_query(tenant_id, emails)))

    async def bookings(
        self, tenant_id: str, *, people: Sequence[str] = (), meeting_ids: Sequence[uuid.UUID] = ()
    ) -> list[BookedMeeting]:
        if not people and not meeting_ids:
            return []
        sql = bookings_query(tenant_id, people=people, meeting_ids=meeting_ids)
        return booked_meetings(await self.session.execute(sql))

    async def deals(
        self,
        tenant_id: str,
        *,
        companies: Sequence[str] = (),
        people: Sequence[str] = (),
        meeting_ids: Sequence[uuid.UUID] = (),
        deal_ids: Sequence[uuid.UUID] = (),
    ) -> list[DealFact]:
        sql = deals_query(
            tenant_id,
            companies=companies,
            people=people,
            meeting_ids=meeting_ids,
            deal_ids=deal_ids,
        )
        return deal_facts(await self.session.execute(sql))

    async def tenant_ids(self) -> list[str]:
        """Every tenant with leads."""
        rows = await self.session.scalars(select(leads.c.tenant_id).distinct())
        return sorted(rows)

    async def stored(self, tenant_id: str, emails: Sequence[str] | None = None) -> dict[str, Lead]:
        """The rows of these leads (every lead of the tenant when None)."""
        c = leads.c
        sql = select(leads).where(c.tenant_id == tenant_id)
        if emails is not None:
            sql = sql.where(any_of(c.email, emails))
        rows = await self.session.execute(sql)
        return {row.email: _lead(row) for row in rows}

    async def save(self, tenant_id: str, found: Sequence[Lead], now: datetime) -> None:
        """Writes these leads' rows (inserted or replaced whole)."""
        if not found:
            return
        statement = insert(leads)
        columns = [c.name for c in leads.c if c.name not in ("tenant_id", "email")]
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[leads.c.tenant_id, leads.c.email],
                set_={name: statement.excluded[name] for name in columns},
            ),
            lead_rows(tenant_id, found, now),
        )

    async def add_lead_days(self, tenant_id: str, deltas: Mapping[date, DayCounts]) -> None:
        """Adds per-day deltas to `lead_days` (in day order, so concurrent writers would lock
        rows in the same order; the leads lock serialises them anyway); a day left at zero
        is removed."""
        if not deltas:
            return
        days = sorted(deltas)
        columns = {name: [deltas[d][i] for d in days] for i, name in enumerate(COUNTERS)}
        await self.session.execute(_ADD_LEAD_DAYS, {"tenant": tenant_id, "days": days, **columns})
        await self.session.execute(_EMPTY_LEAD_DAYS, {"tenant": tenant_id, "days": days})

    async def lead_days(self, tenant_id: str) -> dict[date, DayCounts]:
        d = lead_days.c
        rows = await self.session.execute(
            select(d.day, *(d[c] for c in COUNTERS)).where(d.tenant_id == tenant_id)
        )
        return {
            day: (int(a), int(b), int(w), int(s), int(m), int(n)) for day, a, b, w, s, m, n in rows
        }

    async def forget(self, tenant_id: str, emails: Sequence[str]) -> None:
        if emails:
            c = leads.c
            await self.session.execute(
                delete(leads).where(c.tenant_id == tenant_id, any_of(c.email, emails))
            )

    async def page(
        self, tenant_id: str, where: LeadFilter, *, after: str | None, limit: int
    ) -> list[Lead]:
        """`limit` leads matching `where` after the email `after`, in email (byte) order."""
        c = leads.c
        sql = select(leads).where(c.tenant_id == tenant_id)
        if where.status is not None:
            sql = sql.where(c.status == where.status.value)
        if where.company_domain is not None:
            sql = sql.where(c.company_domain == where.company_domain)
        if where.channel is not None:
            sql = sql.where(c.first_touch_channel == where.channel)
        if where.first_seen_from is not None:
            sql = sql.where(c.first_seen_at >= where.first_seen_from)
        if where.first_seen_to is not None:
            sql = sql.where(c.first_seen_at <= where.first_seen_to)
        if where.email_prefix:
            sql = sql.where(c.email.startswith(where.email_prefix, autoescape=True))
        if after is not None:
            sql = sql.where(c.email > after)
        rows = await self.session.execute(sql.order_by(c.email).limit(limit))
        return [_lead(row) for row in rows]

    async def get(self, tenant_id: str, email: str) -> Lead | None:
        found = await self.stored(tenant_id, [email])
        return found.get(email)

    async def meetings_of(self, tenant_id: str, email: str) -> list[LeadMeeting]:
        """The meetings the person booked or attends, oldest booking first."""
        b, s = meeting_bookings.c, meeting_states.c
        rows = await self.session.execute(
            select(
                b.meeting_id,
                b.booked_at,
                b.person_email,
                b.attendee_emails,
                s.status,
                s.scheduled_at,
                s.showed_up,
            )
            .outerjoin(
                meeting_states, and_(s.meeting_id == b.meeting_id, s.tenant_id == b.tenant_id)
            )
            .where(b.tenant_id == tenant_id, b.meeting_id.in_(_meetings_of(tenant_id, [email])))
            .order_by(b.booked_at, b.meeting_id)
        )
        return [
            LeadMeeting(m, at, by, tuple(people), status, scheduled, showed)
            for m, at, by, people, status, scheduled, showed in rows
        ]


def _lead(row: Row[Any]) -> Lead:
    return Lead(
        email=row.email,
        company_domain=row.company_domain,
        status=LeadStatus(row.status),
        first_seen_at=row.first_seen_at,
        first_touch_at=row.first_touch_at,
        first_touch_channel=row.first_touch_channel,
        last_touch_at=row.last_touch_at,
        touches=row.touches,
        meetings=row.meetings,
        deal_ids=tuple(row.deal_ids),
        won_since_first_seen=row.won_since_first_seen,
        last_active_at=row.last_active_at,
        last_booked_at=row.last_booked_at,
        last_won_at=row.last_won_at,
    )
