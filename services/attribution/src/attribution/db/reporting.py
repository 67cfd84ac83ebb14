"""SQL of the reports: rates, runs as of an instant, and the funnel's meeting and deal states.
Nothing here commits."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Row,
    Select,
    Subquery,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert

from attribution.db.base import Repository
from attribution.db.tables import (
    DEAL_VALUE_SCALE,
    LEADS_IN_A_MEETING,
    LEADS_WITH_AN_ACCOUNT,
    attribution_runs,
    currency_rates,
    deal_states,
    leads,
    meeting_attendees,
    meeting_bookings,
    meeting_states,
    report_credits,
    report_daily,
    run_voids,
    touches,
)
from attribution.domain.compare import ComparedCredits
from attribution.domain.currency import CurrencyRate
from attribution.domain.funnel import (
    CANCELLED,
    LOST,
    WON,
    DealCounts,
    DealFact,
    DealValues,
    LeadCounts,
    LeadSeen,
    MeetingCounts,
    MeetingFact,
    MeetingState,
    ValuedDeals,
)
from attribution.domain.money import minor_unit_exponent, to_minor_units
from attribution.domain.recorded import RunTotals
from attribution.domain.reports import CreditTotal
from attribution.domain.run import ChannelCredit
from dealflow_libs.db import any_of


class ReportingRepository(Repository):
    async def put_rates(self, tenant_id: str, rates: Sequence[CurrencyRate], now: datetime) -> None:
        """Adds the rates, replacing a pair's rate of the same effective date."""
        if not rates:
            return
        statement = insert(currency_rates)
        # executemany: one VALUES list binds 6 parameters a rate (asyncpg takes 32,767)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=list(currency_rates.primary_key.columns),
                set_={"rate": statement.excluded.rate, "updated_at": now},
            ),
            [
                {
                    "tenant_id": tenant_id,
                    "base": r.base,
                    "quote": r.quote,
                    "effective_from": r.effective_from,
                    "rate": r.rate,
                    "updated_at": now,
                }
                for r in rates
            ],
        )

    async def rates(self, tenant_id: str) -> list[CurrencyRate]:
        c = currency_rates.c
        rows = await self.session.execute(
            select(c.base, c.quote, c.rate, c.effective_from)
            .where(c.tenant_id == tenant_id)
            .order_by(c.base, c.quote, c.effective_from)
        )
        return [CurrencyRate(base, quote, rate, day) for base, quote, rate, day in rows]

    async def run_totals(
        self,
        tenant_id: str,
        models: Sequence[str],
        *,
        since: datetime,
        until: datetime,
        as_of: datetime | None,
    ) -> list[RunTotals]:
        """Per deal and model, the run that counted at `as_of` (now when None): the latest one
        created by then and not voided by then, of deals won in [since, until]."""
        inner = _latest_runs(tenant_id, models, as_of)
        voided = run_voids.c.run_id == inner.c.run_id
        if as_of is not None:
            voided = and_(voided, run_voids.c.voided_at <= as_of)
        rows = await self.session.execute(
            select(
                inner.c.deal_id,
                inner.c.model,
                inner.c.value_minor,
                inner.c.currency,
                inner.c.conversion_at,
                inner.c.channels,
            )
            .outerjoin(run_voids, voided)
            .where(
                run_voids.c.run_id.is_(None),
                inner.c.conversion_at >= since,
                inner.c.conversion_at <= until,
            )
        )
        return [
            RunTotals.of(
                deal_id=str(deal_id),
                model=model,
                value_minor=value_minor,
                currency=currency,
                conversion_at=conversion_at,
                channels=channels,
            )
            for deal_id, model, value_minor, currency, conversion_at, channels in rows
        ]

    async def credit_totals(
        self, tenant_id: str, model: str, *, since: datetime, until: datetime, currency: str
    ) -> list[CreditTotal]:
        """The current runs' credits in `currency` of deals won in [since, until], summed per
        channel and weight denominator by the database: the UTC days wholly inside the window
        from report_daily, the partial days at its ends from report_credits (a channel and
        denominator can come twice; the caller adds them up)."""
        p = report_credits.c
        days = whole_days(since, until)
        scope = [*self._current(tenant_id, model, since, until), p.currency == currency]
        if days is None:
            queries = [_credits_summed(scope)]
        else:
            first, last = days
            outside = or_(
                p.conversion_at < _midnight(first), p.conversion_at >= _midnight(last + _DAY)
            )
            queries = [
                _credits_summed([*scope, outside]),
                _days_summed(tenant_id, model, currency, days),
            ]
        totals: list[CreditTotal] = []
        for query in queries:
            totals.extend(
                CreditTotal(channel, int(den), int(deals), int(value), int(numerator))
                for channel, den, deals, value, numerator in await self.session.execute(query)
            )
        return totals

    async def foreign_runs(
        self, tenant_id: str, model: str, *, since: datetime, until: datetime, currency: str
    ) -> list[RunTotals]:
        """The current runs of deals won in [since, until] in another currency than `currency`,
        each with its channels (in the stored order, by name) to convert one by one."""
        p, d = report_credits.c, report_daily.c
        # The model's other currencies, from the rollup (a few thousand rows at most): most
        # tenants have none, and then no credit is read at all.
        others = list(
            await self.session.scalars(
                select(d.currency)
                .distinct()
                .where(d.tenant_id == tenant_id, d.model == model, d.currency != currency)
            )
        )
        if not others:
            return []
        rows = await self.session.execute(
            select(report_credits)
            .where(*self._current(tenant_id, model, since, until), any_of(p.currency, others))
            # Code point order, as runs sort their channels (the split's tie order), whatever
            # the database's collation.
            .order_by(p.deal_id, p.channel.collate("C"))
        )
        return _runs_of(rows)

    async def compare_credits(
        self,
        tenant_id: str,
        models: Sequence[str],
        *,
        since: datetime,
        until: datetime,
        currency: str,
    ) -> ComparedCredits:
        """What the model comparison sums, from the current runs of deals won in [since, until]:
        per model the deals it has no run for; the deals with a run under every model agreeing
        on value, currency and close ("complete"), their credits in `currency` summed per model,
        channel and denominator by the database, and those in other currencies run by run."""
        p = report_credits.c
        scope = [
            p.tenant_id == tenant_id,
            any_of(p.model, models),
            p.conversion_at >= since,
            p.conversion_at <= until,
        ]
        d = _per_deal(scope, wanted=len(set(models))).c
        complete = and_(d.every_model, d.agree)
        total, compared, inconsistent, won_here = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count().filter(complete),
                    func.count().filter(and_(d.every_model, ~d.agree)),
                    func.coalesce(
                        func.sum(d.value_minor).filter(and_(complete, d.currency == currency)), 0
                    ),
                )
            )
        ).one()
        by_model = select(p.model, func.count(p.deal_id.distinct())).where(*scope)
        present: dict[str, int] = {
            model: count for model, count in await self.session.execute(by_model.group_by(p.model))
        }
        complete_ids = select(d.deal_id).where(complete)
        grouped = await self.session.execute(
            select(
                p.model,
                p.channel,
                p.weight_den,
                func.count(),
                func.sum(p.minor_units),
                func.sum(p.weight_num),
            )
            .where(*scope, p.currency == currency, p.deal_id.in_(complete_ids))
            .group_by(p.model, p.channel, p.weight_den)
        )
        foreign = await self.session.execute(
            select(report_credits)
            .where(*scope, p.currency != currency, p.deal_id.in_(complete_ids))
            .order_by(p.deal_id, p.model, p.channel.collate("C"))
        )
        return ComparedCredits(
            deals=int(compared),
            missing_runs={m: int(total) - int(present.get(m, 0)) for m in models},
            inconsistent_deals=int(inconsistent),
            won_here_minor=int(won_here),
            totals=[
                (model, CreditTotal(channel, int(den), deals, int(value), int(numerator)))
                for model, channel, den, deals, value, numerator in grouped
            ],
            foreign=_runs_of(foreign),
        )

    @staticmethod
    def _current(
        tenant_id: str, model: str, since: datetime, until: datetime
    ) -> list[ColumnElement[bool]]:
        p = report_credits.c
        return [
            p.tenant_id == tenant_id,
            p.model == model,
            p.conversion_at >= since,
            p.conversion_at <= until,
        ]

    async def save_meeting_states(self, states: Sequence[MeetingState]) -> None:
        """Keeps each meeting's latest state (one row per meeting in `states`); an event older
        than the stored state changes nothing."""
        if not states:
            return
        statement = insert(meeting_states)
        new = statement.excluded
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[meeting_states.c.meeting_id],
                set_={
                    "status": new.status,
                    "scheduled_at": new.scheduled_at,
                    "showed_up": new.showed_up,
                    "state_at": new.state_at,
                },
                where=meeting_states.c.state_at <= new.state_at,
            ),
            [
                {
                    "meeting_id": m.meeting_id,
                    "tenant_id": m.tenant_id,
                    "status": m.status,
                    "scheduled_at": m.scheduled_at,
                    "showed_up": m.showed_up,
                    "state_at": m.state_at,
                }
                for m in states
            ],
        )

    async def save_deal_states(self, states: Sequence[tuple[DealFact, datetime]]) -> None:
        """Keeps each deal's latest state (one row per deal in `states`, with its event's time);
        an event older than the stored state changes nothing."""
        if not states:
            return
        rows = [
            {
                "deal_id": d.deal_id,
                "tenant_id": d.tenant_id,
                "company_domain": d.company_domain,
                "primary_contact_email": d.primary_contact_email,
                "meeting_ids": list(d.meeting_ids),
                "status": d.status,
                "stage": d.stage,
                "value": d.value,
                "currency": d.currency,
                "created_at": d.created_at,
                "closed_at": d.closed_at,
                "state_at": state_at,
            }
            for d, state_at in states
        ]
        statement = insert(deal_states)
        new = statement.excluded
        columns = [c.name for c in deal_states.c if c.name not in ("deal_id", "tenant_id")]
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[deal_states.c.deal_id],
                set_={name: new[name] for name in columns},
                where=deal_states.c.state_at <= new.state_at,
            ),
            rows,
        )

    async def funnel_leads(
        self, tenant_id: str, since: datetime, until: datetime
    ) -> list[LeadSeen]:
        """The leads (the read model's: a person with a touch or a meeting) first seen or
        active in [since, until]: touched, or booking or attending a meeting booked, in it."""
        rows = await self.session.execute(funnel_leads_query(tenant_id, since, until))
        return [LeadSeen(email, first, bool(active)) for email, first, active in rows]

    async def funnel_meetings(self, tenant_id: str, since: datetime) -> list[MeetingFact]:
        """Meetings booked or scheduled since `since`, with who booked and who attended."""
        rows = await self.session.execute(funnel_meetings_query(tenant_id, since))
        return [
            MeetingFact(meeting_id, booked_at, frozenset(people or ()), scheduled_at, showed_up)
            for meeting_id, booked_at, people, scheduled_at, showed_up in rows
        ]

    async def cohort_leads(self, tenant_id: str, since: datetime, until: datetime) -> LeadCounts:
        """The cohort's lead counts from the leads rows' facts (index-only)."""
        total, with_meeting, won = (
            await self.session.execute(cohort_leads_query(tenant_id, since, until))
        ).one()
        return LeadCounts(total, with_meeting, won)

    async def cohort_meetings(
        self, tenant_id: str, since: datetime, until: datetime
    ) -> MeetingCounts:
        """The meetings a lead of the cohort booked or attends, counted by the database."""
        booked, showed, no_show = (
            await self.session.execute(cohort_meetings_query(tenant_id, since, until))
        ).one()
        return MeetingCounts(booked, showed, no_show)

    async def cohort_deals(
        self, tenant_id: str, since: datetime, until: datetime, *, currency: str
    ) -> tuple[DealCounts, DealValues, DealValues]:
        """The deals the cohort is followed to, counted by the database, and the values of the
        pipeline (all but cancelled) and of the won ones for `currency`: summed by the database
        where that is exact (deals in `currency` itself whose minor unit is at most a cent, so
        no rounding), otherwise one group per currency, rate date and value."""
        summed = currency if minor_unit_exponent(currency) >= DEAL_VALUE_SCALE else None
        rows = (
            await self.session.execute(cohort_deals_query(tenant_id, since, until, summed=summed))
        ).all()
        counts = DealCounts(
            created=sum(r.created for r in rows),
            won=sum(r.won for r in rows),
            lost=sum(r.lost for r in rows),
        )
        pipeline = _values(rows, summed, deals=lambda r: r.live, total=lambda r: r.live_value)
        won = _values(rows, summed, deals=lambda r: r.won, total=lambda r: r.won_value)
        return counts, pipeline, won

    async def funnel_deals(self, tenant_id: str, since: datetime) -> list[DealFact]:
        """Deals created or closed since `since`; their people are the primary contact and the
        attendees of their meetings."""
        d = deal_states.c
        rows = (
            await self.session.execute(
                select(deal_states).where(
                    d.tenant_id == tenant_id, or_(d.created_at >= since, d.closed_at >= since)
                )
            )
        ).all()
        meeting_ids = sorted({m for row in rows for m in row.meeting_ids})
        attendees: dict[uuid.UUID, list[str]] = {}
        if meeting_ids:
            b = meeting_bookings.c
            found = await self.session.execute(
                select(b.meeting_id, b.attendee_emails).where(
                    b.tenant_id == tenant_id, any_of(b.meeting_id, meeting_ids)
                )
            )
            attendees = {meeting_id: list(people) for meeting_id, people in found}
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
                attendees=frozenset(e for m in row.meeting_ids for e in attendees.get(m, ())),
            )
            for row in rows
        ]


def funnel_leads_query(tenant_id: str, since: datetime, until: datetime) -> CompoundSelect:
    """(email, first_seen_at, active) of the leads active in [since, until] (touched, or booking
    or attending a meeting booked, in it) and then those only first seen in it: each part starts
    from its window's index (a left join of every lead to the active ones read all the leads)."""
    t, a, b, lead = touches.c, meeting_attendees.c, meeting_bookings.c, leads.c
    touched = select(t.person_email.label("email")).where(
        t.tenant_id == tenant_id, t.occurred_at >= since, t.occurred_at <= until
    )
    met = (
        select(a.email)
        .join(meeting_bookings, b.meeting_id == a.meeting_id)
        .where(a.tenant_id == tenant_id, b.tenant_id == tenant_id)
        .where(b.booked_at >= since, b.booked_at <= until)
    )
    active = union(touched, met).cte("active")
    return union_all(
        select(lead.email, lead.first_seen_at, true())
        .join(active, active.c.email == lead.email)
        .where(lead.tenant_id == tenant_id),
        select(lead.email, lead.first_seen_at, false()).where(
            lead.tenant_id == tenant_id,
            lead.first_seen_at >= since,
            lead.first_seen_at <= until,
            ~exists().where(active.c.email == lead.email),
        ),
    )


def _in_cohort(tenant_id: str, since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    lead = leads.c
    return [lead.tenant_id == tenant_id, lead.first_seen_at >= since, lead.first_seen_at <= until]


def cohort_leads_query(tenant_id: str, since: datetime, until: datetime) -> Select[int, int, int]:
    """(leads, with a meeting, won since first seen) of the leads first seen in [since, until]:
    facts the unit of work keeps on each row, included in ix_leads_first_seen."""
    lead = leads.c
    return select(
        func.count(),
        func.count().filter(lead.meetings > 0),
        func.count().filter(lead.won_since_first_seen),
    ).where(*_in_cohort(tenant_id, since, until))


def cohort_meetings_query(
    tenant_id: str, since: datetime, until: datetime
) -> Select[int, int, int]:
    """(booked, showed, no-show) of the meetings a lead first seen in [since, until] booked or
    attends: their attendee rows (kept from the bookings by triggers, migration 0010) joined
    from the cohort's leads in a meeting (ix_leads_cohort_meetings, index-only)."""
    s, a, lead = meeting_states.c, meeting_attendees.c, leads.c
    # By the attendees' rows (equi-joins: a hash or index join), not `= ANY(attendee_emails)`,
    # which can only be tested pair by pair.
    theirs = (
        select(a.meeting_id)
        .join(leads, and_(lead.tenant_id == a.tenant_id, lead.email == a.email))
        .where(*_in_cohort(tenant_id, since, until), LEADS_IN_A_MEETING, a.tenant_id == tenant_id)
        .distinct()
        .subquery()
    )
    return select(
        func.count(),
        func.count().filter(s.showed_up.is_(True)),
        func.count().filter(s.showed_up.is_(False)),
    ).select_from(theirs.outerjoin(meeting_states, s.meeting_id == theirs.c.meeting_id))


def cohort_deals_query(
    tenant_id: str, since: datetime, until: datetime, *, summed: str | None
) -> Select[Any]:
    """The deals of a cohort lead's account (the row's deal_ids) created at or after that lead
    was first seen (`domain.funnel.followed`; all created since `since`), counted per currency,
    rate date (`domain.currency.rate_date`: the UTC day of the close, or of the creation while
    open) and value; those in the currency `summed` in one row (date and value None)."""
    d, lead = deal_states.c, leads.c
    # Each cohort lead's account unnested: joined to the deals by id (hashable), not an array
    # containment tested for every (deal, lead) pair.
    account = func.unnest(lead.deal_ids).column_valued("deal_id")
    followed = exists().where(
        *_in_cohort(tenant_id, since, until),
        LEADS_WITH_AN_ACCOUNT,
        account == d.deal_id,
        lead.first_seen_at <= d.created_at,
    )
    in_summed = d.currency == summed if summed is not None else false()
    day = cast(func.timezone("UTC", func.coalesce(d.closed_at, d.created_at)), Date)
    deals = (
        select(
            d.currency,
            case((in_summed, None), else_=day).label("on"),
            case((in_summed, None), else_=d.value).label("each"),
            d.value,
            d.status,
        )
        .where(d.tenant_id == tenant_id, d.created_at >= since, followed)
        .subquery()
    )
    c = deals.c
    live, won = c.status != CANCELLED, c.status == WON
    return select(
        c.currency,
        c.on,
        c.each,
        func.count().label("created"),
        func.count().filter(won).label("won"),
        func.count().filter(c.status == LOST).label("lost"),
        func.count().filter(live).label("live"),
        func.sum(c.value).filter(live).label("live_value"),
        func.sum(c.value).filter(won).label("won_value"),
    ).group_by(c.currency, c.on, c.each)


def _values(
    rows: Sequence[Row[Any]],
    summed: str | None,
    *,
    deals: Callable[[Row[Any]], int],
    total: Callable[[Row[Any]], Decimal | None],
) -> DealValues:
    """cohort_deals_query's rows as the values of some of their deals (`deals` of a row, their
    summed value `total`): the summed currency's (one row) in minor units, the others' groups."""
    summed_minor, groups = 0, []
    for row in rows:
        if row.currency == summed:
            summed_minor += to_minor_units(total(row) or Decimal(0), row.currency)
        elif deals(row):
            groups.append(ValuedDeals(row.currency, row.on, row.each, deals(row)))
    return DealValues(summed_minor, tuple(groups))


def funnel_meetings_query(tenant_id: str, since: datetime) -> CompoundSelect:
    """(meeting_id, booked_at, attendee_emails, scheduled_at, showed_up) of the meetings booked
    since `since`, then of those scheduled since it and not booked since it (or not booked at
    all): a booking and a state are one meeting, and each part starts from its own time index
    (a full join of the two tables read every meeting of every tenant)."""
    s, b = meeting_states.c, meeting_bookings.c
    return union_all(
        select(b.meeting_id, b.booked_at, b.attendee_emails, s.scheduled_at, s.showed_up)
        .select_from(meeting_bookings.outerjoin(meeting_states, s.meeting_id == b.meeting_id))
        .where(b.tenant_id == tenant_id, b.booked_at >= since),
        select(s.meeting_id, b.booked_at, b.attendee_emails, s.scheduled_at, s.showed_up)
        .select_from(meeting_states.outerjoin(meeting_bookings, b.meeting_id == s.meeting_id))
        .where(
            s.tenant_id == tenant_id,
            s.scheduled_at >= since,
            or_(b.meeting_id.is_(None), b.booked_at < since),
        ),
    )


def _latest_runs(tenant_id: str, models: Sequence[str], as_of: datetime | None) -> Subquery:
    """Per deal and model, the latest run created by `as_of` (None: any time), voided or not."""
    r = attribution_runs.c
    # Only the channels of each stored result: a report never reads its touches.
    latest = select(
        r.run_id,
        r.deal_id,
        r.model,
        r.value_minor,
        r.currency,
        r.conversion_at,
        r.result["channels"].label("channels"),
    ).where(r.tenant_id == tenant_id, any_of(r.model, models))
    if as_of is not None:
        latest = latest.where(r.created_at <= as_of)
    return (
        latest.order_by(r.deal_id, r.model, r.seq.desc())
        .ext(distinct_on(r.deal_id, r.model))
        .subquery()
    )


def _per_deal(scope: Sequence[ColumnElement[bool]], *, wanted: int) -> Subquery:
    """Per deal in scope: whether it has a run under each of the `wanted` models, and whether
    those runs agree on value, currency and close (then its value and currency)."""
    p = report_credits.c
    return (
        select(
            p.deal_id,
            (func.count(p.model.distinct()) == wanted).label("every_model"),
            and_(
                func.min(p.value_minor) == func.max(p.value_minor),
                func.min(p.currency) == func.max(p.currency),
                func.min(p.conversion_at) == func.max(p.conversion_at),
            ).label("agree"),
            func.min(p.value_minor).label("value_minor"),
            func.min(p.currency).label("currency"),
        )
        .where(*scope)
        .group_by(p.deal_id)
        .subquery()
    )


_DAY = timedelta(days=1)


def whole_days(since: datetime, until: datetime) -> tuple[date, date] | None:
    """The first and last UTC day wholly inside [since, until], None when there is none."""
    start, end = since.astimezone(UTC), until.astimezone(UTC)
    first = start.date() if start.timetz() == time(tzinfo=UTC) else start.date() + _DAY
    last = end.date() - _DAY  # the day `until` falls on ends after it (or at it, midnight)
    return (first, last) if first <= last else None


def _credits_summed(scope: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """report_credits in scope per channel and denominator: deals, cents, numerators."""
    p = report_credits.c
    return (
        select(
            p.channel, p.weight_den, func.count(), func.sum(p.minor_units), func.sum(p.weight_num)
        )
        .where(*scope)
        .group_by(p.channel, p.weight_den)
    )


def _days_summed(tenant_id: str, model: str, currency: str, days: tuple[date, date]) -> Select[Any]:
    """report_daily over the close days [first, last], the same sums as _credits_summed."""
    d = report_daily.c
    return (
        select(
            d.channel,
            d.weight_den,
            func.sum(d.deals),
            func.sum(d.minor_units),
            func.sum(d.weight_num),
        )
        .where(
            d.tenant_id == tenant_id,
            d.model == model,
            d.currency == currency,
            d.close_day >= days[0],
            d.close_day <= days[1],
        )
        .group_by(d.channel, d.weight_den)
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _runs_of(rows: Iterable[Row[Any]]) -> list[RunTotals]:
    """report_credits rows ordered by deal (and model), regrouped into one RunTotals per run."""
    runs: list[RunTotals] = []
    for _, run_rows in groupby(rows, key=lambda row: row.run_id):
        first, *rest = list(run_rows)
        channels = tuple(
            ChannelCredit(r.channel, r.minor_units, int(r.weight_num), int(r.weight_den), r.touches)
            for r in (first, *rest)
        )
        runs.append(
            RunTotals(
                str(first.deal_id),
                first.model,
                first.value_minor,
                first.currency,
                first.conversion_at,
                channels,
            )
        )
    return runs
