"""SQL of the reports: rates, runs as of an instant, and the funnel's meeting and deal states.
Nothing here commits."""

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from itertools import groupby
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    FromClause,
    Numeric,
    Row,
    ScalarSelect,
    Select,
    Subquery,
    Table,
    Text,
    Update,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, array, insert
from sqlalchemy.dialects.postgresql import UUID as UUID_TYPE
from sqlalchemy.sql.elements import TextClause

from attribution.db.base import Repository
from attribution.db.credit_totals import bounds_summed, totals_parameters, totals_statement
from attribution.db.tables import (
    DEAL_VALUE_SCALE,
    LEADS_IN_A_MEETING,
    attribution_runs,
    currency_rates,
    deal_cohort_days,
    deal_days,
    deal_states,
    lead_days,
    leads,
    meeting_attendees,
    meeting_bookings,
    meeting_cohort_days,
    meeting_days,
    meeting_states,
    report_credits,
    report_deal_days,
    report_deals,
    run_voids,
    touches,
)
from attribution.domain.credit_bounds import CreditBounds
from attribution.domain.currency import CurrencyRate
from attribution.domain.funnel import (
    CANCELLED,
    LOST,
    WON,
    DealCounts,
    DealFact,
    DealValues,
    FunnelMode,
    LeadCounts,
    MeetingCounts,
    MeetingState,
    ValuedDeals,
)
from attribution.domain.money import minor_unit_exponent, to_minor_units
from attribution.domain.recorded import RunTotals
from attribution.domain.reports import CreditTotal
from attribution.domain.run import ChannelCredit
from dealflow_libs.db import any_of
from dealflow_libs.utc_days import DAY, midnight, whole_days


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
        inner = _latest_runs(tenant_id, models, as_of, since, until)
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
        self,
        tenant_id: str,
        models: Sequence[str],
        *,
        since: datetime,
        until: datetime,
        currency: str,
    ) -> dict[str, list[CreditTotal]]:
        """Per model, the current runs' credits in `currency` of deals won in [since, until],
        summed per channel by the database (credited deals as bounds; `db.credit_totals`; a
        channel can come several times, the caller adds them up)."""
        rows = await self.session.execute(
            totals_statement(), totals_parameters(tenant_id, models, currency, since, until)
        )
        found: dict[str, list[CreditTotal]] = {model: [] for model in models}
        for model, *total in rows:
            found[model] += _credit_totals([total])
        return found

    async def exact_credits(
        self,
        tenant_id: str,
        model: str,
        *,
        since: datetime,
        until: datetime,
        channels: Sequence[str],
    ) -> dict[str, Fraction]:
        """The exact sums of the weights `credit_totals` and `foreign_totals` bounded (every
        currency), for `channels` only: what a report needs when the bounds leave a channel's
        rounding undecided (rare)."""
        p = report_credits.c
        rows = await self.session.execute(
            select(p.channel, p.weight_den, func.sum(p.weight_num))
            .where(
                *self._current(tenant_id, model, since, until), any_of(p.channel, list(channels))
            )
            .group_by(p.channel, p.weight_den)
        )
        sums: dict[str, Fraction] = {}
        for channel, denominator, numerator in rows:
            weight = Fraction(int(numerator), int(denominator))
            sums[channel] = sums.get(channel, Fraction(0)) + weight
        return sums

    async def other_currencies(
        self, tenant_id: str, models: Sequence[str], currency: str
    ) -> dict[str, list[str]]:
        """Per model, its currencies other than `currency`, from the rollup: most tenants have
        none, and then no credit of another currency is read. A skip over pk_report_daily (one
        probe per model and currency the tenant has, a recursive query), not its rows (a row
        per day and channel)."""
        found: dict[str, list[str]] = {model: [] for model in models}
        for model, other in await self.session.execute(_MODEL_CURRENCIES, {"tenant": tenant_id}):
            if model in found and other != currency:
                found[model].append(other)
        return found

    async def foreign_days(
        self, tenant_id: str, model: str, *, since: datetime, until: datetime, others: list[str]
    ) -> list[tuple[str, date]]:
        """(currency, UTC close day) of the current runs in `others` won in [since, until]: the
        rates a report needs (ix_report_credits_currency, index-only)."""
        p = report_credits.c
        day = cast(func.timezone("UTC", p.conversion_at), Date)
        rows = await self.session.execute(
            select(p.currency, day)
            .distinct()
            .where(*self._current(tenant_id, model, since, until), any_of(p.currency, others))
        )
        return [(currency, on) for currency, on in rows]

    async def foreign_totals(
        self,
        tenant_id: str,
        model: str,
        *,
        since: datetime,
        until: datetime,
        others: list[str],
        factors: Mapping[tuple[str, date], Fraction],
    ) -> list[CreditTotal]:
        """The current runs in `others` won in [since, until], converted and summed per channel
        by the database, exactly as `domain.currency.in_currency` converts a run: its value times
        its close day's factor (`factors`, one minor unit's worth) rounded half to even, split
        over its channels in proportion to their minor units by largest remainder (ties to the
        earlier channel in code point order). test_report_daily checks both give the same."""
        p = report_credits.c
        keys = list(factors)
        factor = select(
            func.unnest(_array([c for c, _ in keys], Text)).label("currency"),
            func.unnest(_array([d for _, d in keys], Date)).label("day"),
            func.unnest(_array([Decimal(factors[k].numerator) for k in keys], Numeric)).label("n"),
            func.unnest(_array([Decimal(factors[k].denominator) for k in keys], Numeric)).label(
                "d"
            ),
        ).cte("factor")
        f = factor.c
        day = cast(func.timezone("UTC", p.conversion_at), Date)
        exact_value = cast(p.value_minor, Numeric) * f.n
        whole, rest = func.div(exact_value, f.d), func.mod(exact_value, f.d)
        half_even = case((rest * 2 > f.d, 1), (rest * 2 == f.d, func.mod(whole, 2)), else_=0)
        converted = (
            select(
                p.run_id,
                p.channel,
                cast(p.minor_units, Numeric).label("units"),
                p.weight_num,
                p.weight_den,
                (whole + half_even).label("total"),
                func.sum(p.minor_units).over(partition_by=p.run_id).label("units_sum"),
            )
            .select_from(report_credits.join(factor, and_(f.currency == p.currency, f.day == day)))
            .where(*self._current(tenant_id, model, since, until), any_of(p.currency, others))
            .cte("converted")
        )
        v = converted.c
        split = v.units_sum > 0  # all parts zero: nothing to split (`split_converted`)
        parts = select(
            v.run_id,
            v.channel,
            v.weight_num,
            v.weight_den,
            v.units_sum,
            v.total,
            case((split, func.div(v.total * v.units, v.units_sum)), else_=0).label("part"),
            case((split, func.mod(v.total * v.units, v.units_sum)), else_=0).label("rest"),
        ).cte("parts")
        t = parts.c
        ranked = select(
            t.channel,
            t.weight_num,
            t.weight_den,
            t.part,
            (t.units_sum > 0).label("split"),
            (t.total - func.sum(t.part).over(partition_by=t.run_id)).label("left_over"),
            func.row_number()
            .over(partition_by=t.run_id, order_by=(t.rest.desc(), t.channel.collate("C")))
            .label("place"),
        ).cte("ranked")
        k = ranked.c
        extra = case((and_(k.split, k.place <= k.left_over), 1), else_=0)
        rows = await self.session.execute(
            select(
                k.channel,
                func.count(),
                func.sum(k.part + extra),
                *bounds_summed(k.weight_num, k.weight_den),
            ).group_by(k.channel)
        )
        return _credit_totals(rows)

    async def compared_deals(
        self, tenant_id: str, models: Sequence[str], *, since: datetime, until: datetime
    ) -> int:
        """The deals closing in [since, until] whose current runs all agree and include one
        under every model in `models`: compared as they are. The whole days from
        report_deal_days, the partial days from ix_report_deals_close."""
        d, r = report_deals.c, report_deal_days.c
        wanted = list(models)
        days = whole_days(since, until)
        partial = select(func.count()).where(
            d.tenant_id == tenant_id,
            d.uniform,
            _partial_days(d.first_close, since, until, days),
            d.models.contains(wanted),
        )
        if days is None:
            return int(await self.session.scalar(partial) or 0)
        summed = select(_count_sum(r.deals)).where(
            r.tenant_id == tenant_id, r.day >= days[0], r.day <= days[1], r.models.contains(wanted)
        )
        return int(
            await self.session.scalar(select(partial.scalar_subquery() + summed.scalar_subquery()))
            or 0
        )

    async def uncompared_runs(
        self, tenant_id: str, models: Sequence[str], *, since: datetime, until: datetime
    ) -> list[RunTotals]:
        """Every current run under `models` closing in [since, until] of the other deals with
        one: those lacking a run under some model, and those whose runs disagree (few)."""
        d, p, r = report_deals.c, report_credits.c, report_deal_days.c
        wanted = list(models)
        days = whole_days(since, until)
        lacks = and_(d.models.overlap(wanted), ~d.models.contains(wanted))
        # The whole days' deals are read only when report_deal_days shows one lacking a model.
        if days is not None and not await self.session.scalar(
            select(
                exists().where(
                    r.tenant_id == tenant_id,
                    r.day >= days[0],
                    r.day <= days[1],
                    r.models.overlap(wanted),
                    ~r.models.contains(wanted),
                )
            )
        ):
            closing = _partial_days(d.first_close, since, until, days)
        else:
            closing = _within(d.first_close, since, until)
        lacking = and_(d.tenant_id == tenant_id, d.uniform, closing, lacks)
        mixed = and_(
            d.tenant_id == tenant_id,
            ~d.uniform,
            d.first_close <= until,
            d.last_close >= since,
        )
        deals = select(d.deal_id).where(or_(lacking, mixed))
        rows = await self.session.execute(
            select(report_credits)
            .where(
                p.tenant_id == tenant_id,
                p.deal_id.in_(deals),
                any_of(p.model, wanted),
                p.conversion_at >= since,
                p.conversion_at <= until,
            )
            # Code point order, as runs sort their channels (the split's tie order).
            .order_by(p.deal_id, p.model, p.channel.collate("C"))
        )
        return _runs_of(rows)

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

    async def refresh_deal_cohorts(self, deal_ids: Sequence[uuid.UUID]) -> None:
        """The deals' cohort facts from their account's leads (`refresh_cohort_seen`)."""
        await self.session.execute(refresh_cohort_seen(deal_ids))

    async def refresh_meeting_cohorts(self, tenant_id: str, emails: Sequence[str]) -> None:
        """The cohort facts of these people's meetings (`refresh_meeting_cohort_seen`)."""
        await self.session.execute(refresh_meeting_cohort_seen(tenant_id, emails))

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
        columns = [name for name in rows[0] if name not in ("deal_id", "tenant_id")]
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[deal_states.c.deal_id],
                set_={name: new[name] for name in columns},
                where=deal_states.c.state_at <= new.state_at,
            ),
            rows,
        )
        # A deal created, or its creation moved: its cohort fact from its account's leads.
        await self.refresh_deal_cohorts([d.deal_id for d, _ in states])

    async def cohort_seen_differences(
        self, tenant_id: str | None
    ) -> list[tuple[str, uuid.UUID, datetime | None, datetime | None]]:
        """(tenant, deal, kept, recomputed) for every deal (of a tenant, or of all) whose
        `cohort_seen_at` differs from what its account's leads give now."""
        d = deal_states.c
        deals_in = [_COHORT_DEALS.c.tenant_id == tenant_id] if tenant_id else []
        leads_in = [leads.c.tenant_id == tenant_id] if tenant_id else []
        seen = _cohort_seen(and_(true(), *deals_in), and_(true(), *leads_in))
        joined = deal_states.join(seen, seen.c.deal_id == d.deal_id)
        return await self._differences(
            joined, d.tenant_id, d.deal_id, d.cohort_seen_at, seen.c.seen
        )

    async def meeting_cohort_seen_differences(
        self, tenant_id: str | None
    ) -> list[tuple[str, uuid.UUID, datetime | None, datetime | None]]:
        """(tenant, meeting, kept, recomputed) for every booking (of a tenant, or of all) whose
        `cohort_seen_at` differs from what its people's leads give now."""
        b = meeting_bookings.c
        seen = _meeting_cohort_seen(
            _COHORT_MEETINGS.c.tenant_id == tenant_id if tenant_id else true()
        )
        joined = meeting_bookings.join(seen, seen.c.meeting_id == b.meeting_id)
        return await self._differences(
            joined, b.tenant_id, b.meeting_id, b.cohort_seen_at, seen.c.seen
        )

    async def attendance_differences(
        self, tenant_id: str | None
    ) -> list[tuple[str, uuid.UUID, bool | None, bool | None]]:
        """(tenant, meeting, kept, state's) for every booking (of a tenant, or of all) whose copy
        of its meeting's attendance differs from the meeting state's (None without one)."""
        b, s = meeting_bookings.c, meeting_states.c
        joined = meeting_bookings.outerjoin(meeting_states, s.meeting_id == b.meeting_id)
        tenant = b.tenant_id == tenant_id if tenant_id else true()
        return await self._differences(
            joined, b.tenant_id, b.meeting_id, b.showed_up, s.showed_up, tenant
        )

    async def _differences(
        self,
        rows: FromClause,
        tenant_id: ColumnElement[str],
        row_id: ColumnElement[uuid.UUID],
        kept: ColumnElement[Any],
        recomputed: ColumnElement[Any],
        *where: ColumnElement[bool],
    ) -> list[tuple[str, uuid.UUID, Any, Any]]:
        """(tenant, row, kept, recomputed) of `rows` where the two differ, in key order."""
        found = await self.session.execute(
            select(tenant_id, row_id, kept, recomputed)
            .select_from(rows)
            .where(kept.is_distinct_from(recomputed), *where)
            .order_by(tenant_id, row_id)
        )
        return [(tenant, row, old, new) for tenant, row, old, new in found]

    async def deal_day_differences(
        self, tenant_id: str | None, *, cohort: bool = False
    ) -> list[tuple[str, date, str, tuple[Any, ...] | None, tuple[Any, ...] | None]]:
        """(tenant, day, currency, kept, counted) of every deal_days (or deal_cohort_days) row
        that differs from the deal states counted again, in key order."""
        query = _DEAL_COHORT_DAY_DIFFERENCES if cohort else _DEAL_DAY_DIFFERENCES
        rows = await self.session.execute(query, {"tenant": tenant_id})
        return [
            (tenant, day, currency, _figures(kept), _figures(counted))
            for tenant, day, currency, kept, counted in rows
        ]

    async def report_deal_day_differences(
        self, tenant_id: str | None
    ) -> list[tuple[str, date, list[str], tuple[Any, ...] | None, tuple[Any, ...] | None]]:
        """(tenant, day, models, kept, counted) of every report_deal_days row that differs from
        report_deals counted again, in key order."""
        rows = await self.session.execute(_REPORT_DEAL_DAY_DIFFERENCES, {"tenant": tenant_id})
        return [
            (tenant, day, models, _figures(kept), _figures(counted))
            for tenant, day, models, kept, counted in rows
        ]

    async def meeting_day_differences(
        self, tenant_id: str | None, *, cohort: bool = False
    ) -> list[tuple[str, date, tuple[Any, ...] | None, tuple[Any, ...] | None]]:
        """(tenant, day, kept, counted) of every meeting_days (or meeting_cohort_days) row that
        differs from the bookings and meeting states counted again, in key order."""
        query = _MEETING_COHORT_DAY_DIFFERENCES if cohort else _MEETING_DAY_DIFFERENCES
        rows = await self.session.execute(query, {"tenant": tenant_id})
        return [
            (tenant, day, _figures(kept), _figures(counted)) for tenant, day, kept, counted in rows
        ]

    async def funnel_leads(
        self, tenant_id: str, mode: FunnelMode, since: datetime, until: datetime
    ) -> LeadCounts:
        """The funnel's lead counts from the leads rows' facts (index-only)."""
        query = cohort_leads_query if mode is FunnelMode.COHORT else period_leads_query
        total, with_meeting, won = (
            await self.session.execute(query(tenant_id, since, until))
        ).one()
        return LeadCounts(total, with_meeting, won)

    async def funnel_meetings(
        self, tenant_id: str, mode: FunnelMode, since: datetime, until: datetime
    ) -> MeetingCounts:
        """The funnel's meetings, counted by the database."""
        query = cohort_meetings_query if mode is FunnelMode.COHORT else period_meetings_query
        booked, showed, no_show = (await self.session.execute(query(tenant_id, since, until))).one()
        return MeetingCounts(booked, showed, no_show)

    async def funnel_deals(
        self, tenant_id: str, mode: FunnelMode, since: datetime, until: datetime, *, currency: str
    ) -> tuple[DealCounts, DealValues, DealValues]:
        """The funnel's deals counted by the database, and the values of the pipeline (all but
        cancelled) and of the won ones for `currency`: summed by the database where that is
        exact (deals in `currency` itself whose minor unit is at most a cent, so no rounding),
        otherwise one group per currency, rate date and value."""
        summed = currency if minor_unit_exponent(currency) >= DEAL_VALUE_SCALE else None
        cohort = mode is FunnelMode.COHORT
        days = whole_days(since, until)
        if days is None:
            query = cohort_deals_query if cohort else period_deals_query
            rows = (await self.session.execute(query(tenant_id, since, until, summed=summed))).all()
            return _deal_figures(rows, summed)
        # Over whole days: those from deal_days or deal_cohort_days (counts in every currency,
        # values in the summed one), the deals of other currencies there by their rows (values
        # only: one conversion each), the partial days at the window's ends (and the cohort's
        # facts after now) from the rows.
        first, last = days
        start, end = midnight(first), midnight(last + DAY)
        rollup = deal_cohort_days if cohort else deal_days
        by_currency = {
            row.currency: row
            for row in await self.session.execute(_deal_days_summed(rollup, tenant_id, days))
        }
        partial = await self.session.execute(
            cohort_deals_query(tenant_id, since, until, summed=summed, days=days)
            if cohort
            else partial_days_deals_query(tenant_id, since, until, days, summed=summed)
        )
        counts, pipeline, won = _deal_figures(partial.all(), summed)
        for row in by_currency.values():
            counts = DealCounts(
                counts.created + row.created, counts.won + row.won, counts.lost + row.lost
            )
        if summed is not None and summed in by_currency:
            pipeline = _plus(pipeline, to_minor_units(by_currency[summed].live_value, summed))
            won = _plus(won, to_minor_units(by_currency[summed].won_value, summed))
        others = sorted(c for c, r in by_currency.items() if c != summed and (r.live or r.won))
        if others:
            # Planned for its values: a generic plan cannot tell a rare currency from the
            # common one and would read the window's every deal by time (test_funnel_reads).
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            other_deals = other_currency_deals_query(tenant_id, others, start, end, cohort=cohort)
            rows = await self.session.execute(other_deals)
            _, other_pipeline, other_won = _deal_figures(rows.all(), summed)
            pipeline = _plus(pipeline, 0, other_pipeline.groups)
            won = _plus(won, 0, other_won.groups)
        return counts, pipeline, won


def _in_cohort(tenant_id: str, since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    lead = leads.c
    return [lead.tenant_id == tenant_id, lead.first_seen_at >= since, lead.first_seen_at <= until]


def cohort_leads_query(tenant_id: str, since: datetime, until: datetime) -> Select[int, int, int]:
    """(leads, with a meeting, won since first seen) of the leads first seen in [since, until]:
    facts the unit of work keeps on each row, included in ix_leads_first_seen. The whole UTC
    days summed from lead_days, the partial days from the rows."""
    lead = leads.c
    days = whole_days(since, until)
    counted = select(
        func.count().label("seen"),
        func.count().filter(lead.meetings > 0).label("seen_met"),
        func.count().filter(lead.won_since_first_seen).label("seen_won"),
    ).where(lead.tenant_id == tenant_id, _partial_days(lead.first_seen_at, since, until, days))
    if days is None:
        return counted
    return _plus_days(
        counted.subquery(), lead_days, tenant_id, days, ("seen", "seen_met", "seen_won")
    )


def cohort_meetings_query(
    tenant_id: str, since: datetime, until: datetime
) -> Select[int, int, int]:
    """(booked, showed, no-show) of the meetings one of whose people's leads (in a meeting) was
    first seen in [since, until]: there is one exactly when the latest of those first-seens,
    kept on the booking (`cohort_seen_at`, migration 0022), is in the window, an index range
    that includes the booking's copy of its attendance (whole UTC days summed from
    meeting_cohort_days); unless it is after the window's end (a lead first seen after now):
    those few are decided from their people's leads."""
    b, lead = meeting_bookings.c, leads.c
    # Bounded above (see _END_OF_TIME) so a generic plan reads it as the narrow range it is.
    after = and_(b.cohort_seen_at > until, b.cohort_seen_at <= _END_OF_TIME)
    # By the booking's own people (its attendee rows are made from them): probed by key for
    # each such booking, where a join on the attendee rows would be planned as one hashed pass
    # over every attendee of the tenant.
    attended = exists().where(
        lead.tenant_id == b.tenant_id,
        lead.email == any_(b.attendee_emails),
        LEADS_IN_A_MEETING,
        *_in_cohort(tenant_id, since, until),
    )
    days = whole_days(since, until)
    counted = select(
        func.count().label("booked"),
        func.count().filter(b.showed_up.is_(True)).label("showed"),
        func.count().filter(b.showed_up.is_(False)).label("no_show"),
    ).where(
        b.tenant_id == tenant_id,
        or_(_partial_days(b.cohort_seen_at, since, until, days), and_(after, attended)),
    )
    if days is None:
        return counted
    figures = ("booked", "showed", "no_show")
    return _plus_days(counted.subquery(), meeting_cohort_days, tenant_id, days, figures)


_COHORT_MEETINGS = meeting_bookings.alias("y")


def _meeting_cohort_seen(meetings: ColumnElement[bool]) -> Subquery:
    """(meeting_id, seen) for the bookings `meetings` (of the alias `y`): the latest first-seen
    of the leads in a meeting among their people (None without one)."""
    y, a, lead = _COHORT_MEETINGS.c, meeting_attendees.c, leads.c
    people = _COHORT_MEETINGS.outerjoin(meeting_attendees, a.meeting_id == y.meeting_id).outerjoin(
        leads, and_(lead.tenant_id == a.tenant_id, lead.email == a.email, LEADS_IN_A_MEETING)
    )
    return (
        select(y.meeting_id, func.max(lead.first_seen_at).label("seen"))
        .select_from(people)
        .where(meetings)
        .group_by(y.meeting_id)
        .subquery()
    )


def refresh_meeting_cohort_seen(tenant_id: str, emails: Sequence[str]) -> Update:
    """Sets `cohort_seen_at` of these people's meetings again from their people's leads: run by
    the unit of work that writes leads, after writing them."""
    a = meeting_attendees.c
    theirs = select(a.meeting_id).where(a.tenant_id == tenant_id, any_of(a.email, sorted(emails)))
    seen = _meeting_cohort_seen(_COHORT_MEETINGS.c.meeting_id.in_(theirs))
    b = meeting_bookings.c
    return (
        update(meeting_bookings)
        .where(b.meeting_id == seen.c.meeting_id, b.cohort_seen_at.is_distinct_from(seen.c.seen))
        .values(cohort_seen_at=seen.c.seen)
    )


_COHORT_DEALS = deal_states.alias("x")


def _cohort_seen(deals: ColumnElement[bool], accounts: ColumnElement[bool]) -> Subquery:
    """(deal_id, seen) for the deal states `deals` (of the alias `x`): the latest first-seen of
    their account's leads at or before their creation (None without one), from the leads
    `accounts` selects (each paired with every deal of its account)."""
    lead = leads.c
    account = func.unnest(lead.deal_ids).label("deal_id")
    reaching = select(lead.tenant_id, lead.first_seen_at, account).where(accounts).subquery()
    x = _COHORT_DEALS.c
    return (
        select(x.deal_id, func.max(reaching.c.first_seen_at).label("seen"))
        .outerjoin(
            reaching,
            and_(
                reaching.c.deal_id == x.deal_id,
                reaching.c.tenant_id == x.tenant_id,
                reaching.c.first_seen_at <= x.created_at,
            ),
        )
        .where(deals)
        .group_by(x.deal_id)
        .subquery()
    )


def refresh_cohort_seen(deal_ids: Sequence[uuid.UUID]) -> Update:
    """Sets `cohort_seen_at` of these deals again from their account's leads: run by the unit
    of work that writes leads or deal states, after writing them. The leads of all those
    accounts are found at once (ix_leads_deals, `&&`)."""
    ids = sorted(set(deal_ids))  # in key order: rows locked alike by concurrent writers
    seen = _cohort_seen(
        any_of(_COHORT_DEALS.c.deal_id, ids),
        leads.c.deal_ids.overlap(cast(ids, ARRAY(UUID_TYPE))),
    )
    d = deal_states.c
    return update(deal_states).where(d.deal_id == seen.c.deal_id).values(cohort_seen_at=seen.c.seen)


def cohort_deals_query(
    tenant_id: str,
    since: datetime,
    until: datetime,
    *,
    summed: str | None,
    days: tuple[date, date] | None = None,
) -> Select[Any]:
    """The deals of a cohort lead's account (the row's deal_ids) created at or after that lead
    was first seen (`domain.funnel.followed`; all created since `since`), grouped as
    `_deal_groups` does (each counted as created and, by its status, as won or lost).

    There is such a lead exactly when the latest first-seen of the account's leads up to the
    deal's creation, kept on the deal (`cohort_seen_at`, migration 0020), is in the window: an
    index range. Unless it is after the window's end (a deal created after now, with a lead first
    seen after now too): those few are decided from their account's leads (ix_leads_deals).
    With `days` (the window's whole UTC days), only the deals outside them: those inside are
    deal_cohort_days'."""
    d, lead = deal_states.c, leads.c
    in_window = _partial_days(d.cohort_seen_at, since, until, days)
    # Bounded above (see _END_OF_TIME) so a generic plan reads it as the narrow range it is.
    after = and_(d.cohort_seen_at > until, d.cohort_seen_at <= _END_OF_TIME)
    followed = exists().where(
        *_in_cohort(tenant_id, since, until),
        lead.deal_ids.contains(array([d.deal_id])),
        lead.first_seen_at <= d.created_at,
    )
    where = and_(
        d.tenant_id == tenant_id, d.created_at >= since, or_(in_window, and_(after, followed))
    )
    return _deal_groups(where, created=true(), closed=true(), summed=summed)


def _deal_groups(
    where: ColumnElement[bool],
    *,
    created: ColumnElement[bool],
    closed: ColumnElement[bool],
    summed: str | None,
) -> Select[Any]:
    """The deal states `where` holds, counted per currency, rate date
    (`domain.currency.rate_date`: the UTC day of the close, or of the creation while open) and
    value; those in the currency `summed` in one row (date and value None). `created` says
    which of them count as created (and, unless cancelled, as pipeline), `closed` which count as
    won or lost by their status."""
    d = deal_states.c
    in_summed = d.currency == summed if summed is not None else false()
    day = cast(func.timezone("UTC", func.coalesce(d.closed_at, d.created_at)), Date)
    deals = (
        select(
            d.currency,
            case((in_summed, None), else_=day).label("on"),
            case((in_summed, None), else_=d.value).label("each"),
            d.value,
            d.status,
            created.label("created"),
            closed.label("closed"),
        )
        .where(where)
        .subquery()
    )
    c = deals.c
    live = and_(c.created, c.status != CANCELLED)
    won = and_(c.closed, c.status == WON)
    return select(
        c.currency,
        c.on,
        c.each,
        func.count().filter(c.created).label("created"),
        func.count().filter(won).label("won"),
        func.count().filter(c.closed, c.status == LOST).label("lost"),
        func.count().filter(live).label("live"),
        func.sum(c.value).filter(live).label("live_value"),
        func.sum(c.value).filter(won).label("won_value"),
    ).group_by(c.currency, c.on, c.each)


def _within(
    column: ColumnElement[datetime], since: datetime, until: datetime
) -> ColumnElement[bool]:
    return and_(column >= since, column <= until)


def period_leads_query(tenant_id: str, since: datetime, until: datetime) -> Select[int, int, int]:
    """(leads active, with a meeting booked, won) in [since, until], a window ending now: a lead
    was active in it (touched, or booking or attending a meeting booked in it), booked in it or
    won in it (a won deal of its account closed in it) exactly when its latest such time, kept on
    its row, is in it. The window's whole UTC days are summed from lead_days (`domain.lead_days`),
    its partial days counted from the leads rows, each a narrow range of its own index. The few
    leads whose latest time is after `until` (a touch or booking dated ahead, a close to come)
    are decided from their rows (`_ahead`) and added."""
    lead = leads.c
    active_at, booked_at, won_at = lead.last_active_at, lead.last_booked_at, lead.last_won_at

    def counted(*where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).where(lead.tenant_id == tenant_id, *where).scalar_subquery()

    days = whole_days(since, until)
    if days is None:
        ahead = _ahead(tenant_id, since, until, rolled=None).c
        active = _within(active_at, since, until)
        return select(
            counted(active) + ahead.active,
            counted(_within(booked_at, since, until)) + ahead.booked,
            counted(_within(won_at, since, until), active) + ahead.won,
        )
    first, last = days
    start, end = midnight(first), midnight(last + DAY)
    days_summed = _days_summed(lead_days, tenant_id, days, ("active", "booked", "won"))
    leads_ahead = _ahead(tenant_id, since, until, rolled=(start, end))
    rolled, ahead = days_summed.c, leads_ahead.c

    def head(column: ColumnElement[datetime]) -> ColumnElement[bool]:
        return and_(column >= since, column < start)

    def tail(column: ColumnElement[datetime]) -> ColumnElement[bool]:
        return and_(column >= end, column <= until)

    # Won: both latest times in the window, i.e. the earlier at or after `since` and the later
    # at or before `until`. The days count leads by the earlier; those whose later is after
    # `until` are taken out (`_ahead` finds them), and the earlier in a partial day is counted
    # here: the won close first (then the activity anywhere in the window), or the activity
    # first (then the close in the rest of it), or both in the last partial day.
    won = (
        rolled.won
        + counted(head(won_at), _within(active_at, since, until))
        + counted(head(active_at), won_at >= start, won_at <= until)
        + counted(tail(won_at), tail(active_at))
        - ahead.rolled_won
    )
    return select(
        rolled.active + counted(head(active_at)) + counted(tail(active_at)) + ahead.active,
        rolled.booked + counted(head(booked_at)) + counted(tail(booked_at)) + ahead.booked,
        won + ahead.won,
    ).select_from(days_summed.join(leads_ahead, true()))  # one row each


# The latest a timestamp can be (Python's): "after now" is a range between two parameters, so a
# generic plan estimates it as narrow as it is (a few leads) and reads it by index, not a
# third of the tenant's leads as for an open-ended `> $n`.
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


def _ahead(
    tenant_id: str, since: datetime, until: datetime, *, rolled: tuple[datetime, datetime] | None
) -> Subquery:
    """Of the leads whose latest activity or won close is after `until`: those the window holds
    that `period_leads_query` does not count from the latest times alone, each decided from its
    touches (ix_touches_person), bookings (its attendee rows) and account's won deals; and, when
    lead_days is summed over [`rolled`), how many of them it counted as won (the earlier of
    their won close and activity in it: not won in the window, their later time being after
    it)."""
    t, a, b, d, lead = touches.c, meeting_attendees.c, meeting_bookings.c, deal_states.c, leads.c
    # The lead's key in the collation of the other tables' emails, so their indexes serve.
    email = lead.email.collate("default")
    touched = exists().where(
        t.tenant_id == tenant_id,
        t.person_email == email,
        _within(t.occurred_at, since, until),
    )
    met = exists().where(
        a.tenant_id == tenant_id,
        a.email == email,
        b.meeting_id == a.meeting_id,
        b.tenant_id == tenant_id,
        _within(b.booked_at, since, until),
    )
    # The account's deals one by one by key (unnested, as the cohort's), never every deal closed
    # in the window for each lead: the window is a range containing the close, which the close
    # time index cannot serve, so no plan starts from it.
    account = func.unnest(lead.deal_ids).column_valued("account_deal_id")
    closed = exists().where(
        d.deal_id == account,
        d.tenant_id == tenant_id,
        d.status == WON,
        func.tstzrange(since, until, "[]").op("@>")(d.closed_at),
    )

    def after(column: ColumnElement[datetime]) -> ColumnElement[bool]:
        # IS NOT NULL first: false, not null, for a lead without that time, so the probes of
        # its rows that follow are skipped.
        return and_(column.is_not(None), column > until, column <= _END_OF_TIME)

    active_in = _within(lead.last_active_at, since, until)
    won_in = _within(lead.last_won_at, since, until)
    active_ahead = and_(after(lead.last_active_at), or_(touched, met))
    won_ahead = and_(after(lead.last_won_at), closed)
    return (
        select(
            func.count().filter(active_ahead).label("active"),
            func.count().filter(after(lead.last_booked_at), met).label("booked"),
            func.count()
            .filter(or_(active_in, active_ahead), or_(won_in, won_ahead), ~and_(active_in, won_in))
            .label("won"),
            _rolled_won(rolled).label("rolled_won"),
        )
        .where(
            lead.tenant_id == tenant_id, or_(after(lead.last_active_at), after(lead.last_won_at))
        )
        .subquery()
    )


def _rolled_won(rolled: tuple[datetime, datetime] | None) -> ColumnElement[int]:
    lead = leads.c
    if rolled is None:
        return literal_column("0", BigInteger)
    earlier = func.least(lead.last_won_at, lead.last_active_at)
    return func.count().filter(
        lead.last_won_at.is_not(None), earlier >= rolled[0], earlier < rolled[1]
    )


def period_meetings_query(
    tenant_id: str, since: datetime, until: datetime
) -> Select[int, int, int]:
    """(booked, showed, no-show): the meetings booked in [since, until], and of those held in
    it (at their scheduled time, else at their booking) the ones that showed up or not. The
    window's whole UTC days from meeting_days; its partial days from ix_meeting_bookings_booked
    and ix_meeting_states_tenant (with showed_up) alone; the few states without a scheduled
    time joined to their booking over the whole window."""
    b, s = meeting_bookings.c, meeting_states.c
    days = whole_days(since, until)
    booked = (
        select(func.count())
        .where(b.tenant_id == tenant_id, _partial_days(b.booked_at, since, until, days))
        .scalar_subquery()
    )
    attended = and_(s.tenant_id == tenant_id, s.showed_up.is_not(None))
    held = union_all(
        select(s.showed_up).where(attended, _partial_days(s.scheduled_at, since, until, days)),
        select(s.showed_up)
        .join(meeting_bookings, b.meeting_id == s.meeting_id)
        .where(
            attended,
            s.scheduled_at.is_(None),
            b.tenant_id == tenant_id,
            _within(b.booked_at, since, until),
        ),
    ).subquery()
    counted = select(
        booked.label("booked"),
        func.count().filter(held.c.showed_up.is_(True)).label("showed"),
        func.count().filter(held.c.showed_up.is_(False)).label("no_show"),
    ).select_from(held)
    if days is None:
        return counted
    figures = ("booked", "showed", "no_show")
    return _plus_days(counted.subquery(), meeting_days, tenant_id, days, figures)


def period_deals_query(
    tenant_id: str, since: datetime, until: datetime, *, summed: str | None
) -> Select[Any]:
    """The deals created in [since, until] and those closed in it (won or lost by their current
    status), from ix_deal_states_created and ix_deal_states_closed, grouped as `_deal_groups`."""
    d = deal_states.c
    created, closed = _within(d.created_at, since, until), _within(d.closed_at, since, until)
    where = and_(d.tenant_id == tenant_id, or_(created, closed))
    return _deal_groups(where, created=created, closed=closed, summed=summed)


def _deal_days_summed(rollup: Table, tenant_id: str, days: tuple[date, date]) -> Select[Any]:
    """`rollup` (deal_days or deal_cohort_days) over the whole `days`, per currency."""
    first, last = days
    d = rollup.c
    return (
        select(
            d.currency,
            *(_count_sum(column).label(column.name) for column in (d.created, d.won, d.lost)),
            *(
                func.sum(column).label(column.name)
                for column in (d.live, d.live_value, d.won_value)
            ),
        )
        .where(d.tenant_id == tenant_id, d.day >= first, d.day <= last)
        .group_by(d.currency)
    )


def _days_summed(
    rollup: Table, tenant_id: str, days: tuple[date, date], figures: tuple[str, ...]
) -> Subquery:
    """One row: each of `figures` (counts) summed over `rollup`'s whole `days`, as bigint (a
    sum of bigints is numeric in PostgreSQL)."""
    r = rollup.c
    return (
        select(*(_count_sum(r[f]).label(f) for f in figures))
        .where(r.tenant_id == tenant_id, r.day >= days[0], r.day <= days[1])
        .subquery()
    )


def _count_sum(column: ColumnElement[Any]) -> ColumnElement[int]:
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _plus_days(
    counted: Subquery,
    rollup: Table,
    tenant_id: str,
    days: tuple[date, date],
    figures: tuple[str, ...],
) -> Select[Any]:
    """One row: each of `figures` of `counted` (one row) plus its sum over `rollup`'s whole
    `days`."""
    summed = _days_summed(rollup, tenant_id, days, figures)
    return select(*(counted.c[f] + summed.c[f] for f in figures)).select_from(
        counted.join(summed, true())  # one row each
    )


def _partial_days(
    column: ColumnElement[datetime],
    since: datetime,
    until: datetime,
    days: tuple[date, date] | None,
) -> ColumnElement[bool]:
    """`column` in [since, until] but not in the whole UTC `days` (`whole_days`; all of the
    window when None): two two-sided ranges, each narrow in any plan."""
    if days is None:
        return _within(column, since, until)
    start, end = midnight(days[0]), midnight(days[1] + DAY)
    return or_(and_(column >= since, column < start), and_(column >= end, column <= until))


def partial_days_deals_query(
    tenant_id: str,
    since: datetime,
    until: datetime,
    days: tuple[date, date],
    *,
    summed: str | None,
) -> Select[Any]:
    """The deals created or closed in the window's partial days (`_partial_days`), grouped as
    `_deal_groups`: four two-sided ranges of the time indexes."""
    d = deal_states.c
    created = _partial_days(d.created_at, since, until, days)
    closed = _partial_days(d.closed_at, since, until, days)
    where = and_(d.tenant_id == tenant_id, or_(created, closed))
    return _deal_groups(where, created=created, closed=closed, summed=summed)


def other_currency_deals_query(
    tenant_id: str, currencies: Sequence[str], start: datetime, end: datetime, *, cohort: bool
) -> Select[Any]:
    """The deals in `currencies` grouped by currency, rate date and value (`_deal_groups`):
    for the period those created or closed in [start, end) (ranges of
    ix_deal_states_currency_created and _closed), for the cohort those whose cohort fact is in
    it (ix_deal_states_currency_cohort)."""
    d = deal_states.c

    def within(column: ColumnElement[datetime]) -> ColumnElement[bool]:
        return and_(column >= start, column < end)

    of = and_(d.tenant_id == tenant_id, any_of(d.currency, currencies))
    if cohort:
        return _deal_groups(and_(of, within(d.cohort_seen_at)), created=true(), closed=true(),
                            summed=None)  # fmt: skip
    created, closed = within(d.created_at), within(d.closed_at)
    return _deal_groups(and_(of, or_(created, closed)), created=created, closed=closed, summed=None)


def _deal_figures(
    rows: Sequence[Row[Any]], summed: str | None
) -> tuple[DealCounts, DealValues, DealValues]:
    """`_deal_groups`' rows as the counts, and the values of the pipeline (all but cancelled)
    and of the won deals."""
    counts = DealCounts(
        created=sum(r.created for r in rows),
        won=sum(r.won for r in rows),
        lost=sum(r.lost for r in rows),
    )
    pipeline = _values(rows, summed, deals=lambda r: r.live, total=lambda r: r.live_value)
    won = _values(rows, summed, deals=lambda r: r.won, total=lambda r: r.won_value)
    return counts, pipeline, won


def _plus(values: DealValues, minor: int, groups: Sequence[ValuedDeals] = ()) -> DealValues:
    return DealValues(values.summed_minor + minor, (*values.groups, *groups))


def _values(
    rows: Sequence[Row[Any]],
    summed: str | None,
    *,
    deals: Callable[[Row[Any]], int],
    total: Callable[[Row[Any]], Decimal | None],
) -> DealValues:
    """`_deal_groups`' rows as the values of some of their deals (`deals` of a row, their
    summed value `total`): the summed currency's (one row) in minor units, the others' groups."""
    summed_minor, groups = 0, []
    for row in rows:
        if row.currency == summed:
            summed_minor += to_minor_units(total(row) or Decimal(0), row.currency)
        elif deals(row):
            groups.append(ValuedDeals(row.currency, row.on, row.each, deals(row)))
    return DealValues(summed_minor, tuple(groups))


def _latest_runs(
    tenant_id: str, models: Sequence[str], as_of: datetime | None, since: datetime, until: datetime
) -> Subquery:
    """Per deal and model with some run closing in [since, until], the latest run created by
    `as_of` (None: any time), voided or not. Its own close may lie outside the window (a later
    close date): the caller filters on it. The candidates come from ix_attribution_runs_closing,
    each one's latest run from ix_attribution_runs_deal (backwards, the first created by then),
    so history reads the window's deals, not every run of the tenant."""
    r = attribution_runs.c
    candidates = (
        select(r.deal_id, r.model)
        .where(
            r.tenant_id == tenant_id,
            any_of(r.model, models),
            r.conversion_at >= since,
            r.conversion_at <= until,
        )
        .distinct()
        .subquery("candidates")
    )
    runs = attribution_runs.alias("latest")
    k, c = candidates.c, runs.c
    # Only the channels of each stored result: a report never reads its touches.
    latest = select(
        c.run_id,
        c.deal_id,
        c.model,
        c.value_minor,
        c.currency,
        c.conversion_at,
        c.result["channels"].label("channels"),
    ).where(c.tenant_id == tenant_id, c.deal_id == k.deal_id, c.model == k.model)
    if as_of is not None:
        latest = latest.where(c.created_at <= as_of)
    picked = latest.order_by(c.seq.desc()).limit(1).lateral("latest_run")
    return select(*picked.c).select_from(candidates.join(picked, true())).subquery()


# deal_days' figures as deal_states give them (the rule migration 0025's triggers apply): each
# deal counted on the day it was created (live and its value unless cancelled) and on the day
# it closed (won with its value, or lost, by its status).
_DEAL_DAYS_COUNTED = """
    SELECT tenant_id, day, currency, sum(created) AS created, sum(live) AS live,
        sum(live_value) AS live_value, sum(won) AS won, sum(won_value) AS won_value,
        sum(lost) AS lost
    FROM (
        SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date AS day, currency, 1 AS created,
            (status <> 'cancelled')::int AS live,
            CASE WHEN status <> 'cancelled' THEN coalesce(value, 0) ELSE 0 END AS live_value,
            0 AS won, 0 AS won_value, 0 AS lost
        FROM deal_states WHERE CAST(:tenant AS text) IS NULL OR tenant_id = :tenant
        UNION ALL
        SELECT tenant_id, (closed_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 0,
            (status = 'won')::int, CASE WHEN status = 'won' THEN coalesce(value, 0) ELSE 0 END,
            (status = 'lost')::int
        FROM deal_states
        WHERE closed_at IS NOT NULL AND (CAST(:tenant AS text) IS NULL OR tenant_id = :tenant)
    ) parts
    GROUP BY tenant_id, day, currency
    HAVING sum(created) <> 0 OR sum(won) <> 0 OR sum(lost) <> 0
"""
# meeting_days' figures as the bookings and meeting states give them (migration 0026's rule).
_MEETING_DAYS_COUNTED = """
    SELECT tenant_id, day, sum(booked) AS booked, sum(showed) AS showed,
        sum(no_show) AS no_show
    FROM (
        SELECT tenant_id, (booked_at AT TIME ZONE 'UTC')::date AS day, 1 AS booked,
            0 AS showed, 0 AS no_show
        FROM meeting_bookings WHERE CAST(:tenant AS text) IS NULL OR tenant_id = :tenant
        UNION ALL
        SELECT tenant_id, (scheduled_at AT TIME ZONE 'UTC')::date, 0, (showed_up)::int,
            (NOT showed_up)::int
        FROM meeting_states
        WHERE scheduled_at IS NOT NULL AND showed_up IS NOT NULL
            AND (CAST(:tenant AS text) IS NULL OR tenant_id = :tenant)
    ) parts
    GROUP BY tenant_id, day
"""


def _day_differences(
    rollup: str, keys: tuple[str, ...], figures: tuple[str, ...], counted: str
) -> TextClause:
    """(keys..., kept figures, counted figures) of the `rollup` rows (of :tenant, or all when
    null) that differ from `counted` (the same grouped from the source rows), in key order."""
    on = " AND ".join(f"k.{key} = c.{key}" for key in keys)
    kept = ", ".join(f"k.{f}" for f in figures)
    found = ", ".join(f"c.{f}" for f in figures)
    return text(f"""
        SELECT {", ".join(f"coalesce(k.{key}, c.{key})" for key in keys)},
            CASE WHEN k.tenant_id IS NOT NULL THEN ARRAY[{kept}] END,
            CASE WHEN c.tenant_id IS NOT NULL THEN ARRAY[{found}] END
        FROM (SELECT * FROM {rollup}
              WHERE CAST(:tenant AS text) IS NULL OR tenant_id = :tenant) k
        FULL JOIN ({counted}) c ON {on}
        WHERE ({kept}) IS DISTINCT FROM ({found})
        ORDER BY {", ".join(str(n + 1) for n in range(len(keys)))}
    """)  # noqa: S608 - our own SQL constants


# report_deal_days' counts as report_deals gives them (migration 0027's rule).
_REPORT_DEAL_DAYS_COUNTED = """
    SELECT tenant_id, (first_close AT TIME ZONE 'UTC')::date AS day, models, count(*) AS deals
    FROM report_deals WHERE uniform AND (CAST(:tenant AS text) IS NULL OR tenant_id = :tenant)
    GROUP BY 1, 2, 3
"""
_REPORT_DEAL_DAY_DIFFERENCES = _day_differences(
    "report_deal_days", ("tenant_id", "day", "models"), ("deals",), _REPORT_DEAL_DAYS_COUNTED
)
_DEAL_DAY_DIFFERENCES = _day_differences(
    "deal_days",
    ("tenant_id", "day", "currency"),
    ("created", "live", "live_value", "won", "won_value", "lost"),
    _DEAL_DAYS_COUNTED,
)
# The cohort's rollups as their rows give them (migration 0028's rule): bookings and deals by
# the UTC day of their cohort fact.
_MEETING_COHORT_DAYS_COUNTED = """
    SELECT tenant_id, (cohort_seen_at AT TIME ZONE 'UTC')::date AS day, count(*) AS booked,
        count(*) FILTER (WHERE showed_up) AS showed,
        count(*) FILTER (WHERE NOT showed_up) AS no_show
    FROM meeting_bookings
    WHERE cohort_seen_at IS NOT NULL AND (CAST(:tenant AS text) IS NULL OR tenant_id = :tenant)
    GROUP BY 1, 2
"""
_DEAL_COHORT_DAYS_COUNTED = """
    SELECT tenant_id, (cohort_seen_at AT TIME ZONE 'UTC')::date AS day, currency,
        count(*) AS created, count(*) FILTER (WHERE status <> 'cancelled') AS live,
        coalesce(sum(value) FILTER (WHERE status <> 'cancelled'), 0) AS live_value,
        count(*) FILTER (WHERE status = 'won') AS won,
        coalesce(sum(value) FILTER (WHERE status = 'won'), 0) AS won_value,
        count(*) FILTER (WHERE status = 'lost') AS lost
    FROM deal_states
    WHERE cohort_seen_at IS NOT NULL AND (CAST(:tenant AS text) IS NULL OR tenant_id = :tenant)
    GROUP BY 1, 2, 3
"""
_MEETING_COHORT_DAY_DIFFERENCES = _day_differences(
    "meeting_cohort_days",
    ("tenant_id", "day"),
    ("booked", "showed", "no_show"),
    _MEETING_COHORT_DAYS_COUNTED,
)
_DEAL_COHORT_DAY_DIFFERENCES = _day_differences(
    "deal_cohort_days",
    ("tenant_id", "day", "currency"),
    ("created", "live", "live_value", "won", "won_value", "lost"),
    _DEAL_COHORT_DAYS_COUNTED,
)
_MEETING_DAY_DIFFERENCES = _day_differences(
    "meeting_days", ("tenant_id", "day"), ("booked", "showed", "no_show"), _MEETING_DAYS_COUNTED
)


def _figures(values: Sequence[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(values)


# Every (model, currency) of a tenant's rollup, each found by one probe of pk_report_daily.
_MODEL_CURRENCIES = text("""
    WITH RECURSIVE found(model, currency) AS (
        (SELECT model, currency FROM report_daily WHERE tenant_id = :tenant
         ORDER BY model, currency LIMIT 1)
        UNION ALL
        SELECT later.model, later.currency FROM found, LATERAL (
            SELECT model, currency FROM report_daily
            WHERE tenant_id = :tenant AND (model, currency) > (found.model, found.currency)
            ORDER BY model, currency LIMIT 1) later
    )
    SELECT model, currency FROM found
""")


def _array(values: list[Any], item: Any) -> ColumnElement[Any]:
    """A bound array parameter of `item`s (cast, so an empty one has its type)."""
    return cast(bindparam(None, values, type_=ARRAY(item)), ARRAY(item))


def _credit_totals(rows: Iterable[Sequence[Any]]) -> list[CreditTotal]:
    """(channel, deals, cents, Σ floors, inexact) rows of `bounds_summed` queries."""
    return [
        CreditTotal(channel, int(deals), int(value), CreditBounds(int(low), int(inexact)))
        for channel, deals, value, low, inexact in rows
    ]


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
