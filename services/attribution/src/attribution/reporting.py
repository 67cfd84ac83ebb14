"""Report use cases: rates, the channel report, model comparison, the funnel, runs as of an
instant. Each reads in one unit of work; amounts are converted to one currency or refused."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Literal, TypeVar
from uuid import UUID

from attribution.domain.compare import (
    Comparison,
    compare_models,
    compare_summed,
    take_out_uncompared,
)
from attribution.domain.currency import CurrencyRate, RateTable, convert_runs, day_factors
from attribution.domain.funnel import (
    DealFact,
    FunnelMode,
    MeetingState,
    converted_totals,
    funnel_counts,
)
from attribution.domain.recorded import StoredRun
from attribution.domain.reports import ChannelRow, ChannelSums, FunnelCounts, channel_report
from attribution.uow import AttributionUnitOfWork
from dealflow_schemas.deals import DealEvent
from dealflow_schemas.meetings import MeetingEvent


@dataclass(frozen=True, slots=True)
class Window:
    """[since, until] in UTC; until is the as-of instant, or now."""

    since: datetime
    until: datetime

    @classmethod
    def last(cls, days: int, as_of: datetime | None) -> "Window":
        until = as_of or datetime.now(UTC)
        return cls(until - timedelta(days=days), until)


@dataclass(frozen=True, slots=True)
class ChannelsReport:
    currency: str
    window: Window
    rows: list[ChannelRow]


@dataclass(frozen=True, slots=True)
class CompareReport:
    currency: str
    window: Window
    comparison: Comparison


@dataclass(frozen=True, slots=True)
class FunnelReport:
    currency: str
    window: Window
    counts: FunnelCounts
    pipeline_minor: int
    won_minor: int


async def put_currency_rates(
    uow: AttributionUnitOfWork, tenant_id: str, rates: Sequence[CurrencyRate]
) -> list[CurrencyRate]:
    """Adds or replaces the tenant's rates (per pair and effective date); the whole table."""
    latest = {(r.base, r.quote, r.effective_from): r for r in rates}  # one pair-day twice: last
    async with uow:
        await uow.reporting.put_rates(tenant_id, list(latest.values()), datetime.now(UTC))
        table = await uow.reporting.rates(tenant_id)
        await uow.commit()
    return table


async def currency_rates(uow: AttributionUnitOfWork, tenant_id: str) -> list[CurrencyRate]:
    async with uow:
        return await uow.reporting.rates(tenant_id)


async def _report_currency(
    uow: AttributionUnitOfWork, tenant_id: str, currency: str | None
) -> tuple[str, RateTable]:
    """The currency asked for (else the tenant's default) and the tenant's rates."""
    if currency is None:
        currency = (await uow.tenants.profiles([tenant_id]))[tenant_id].default_currency
    return currency, RateTable(await uow.reporting.rates(tenant_id))


async def channels_report(
    uow: AttributionUnitOfWork,
    tenant_id: str,
    *,
    model: str,
    days: int,
    currency: str | None,
    as_of: datetime | None = None,
) -> ChannelsReport:
    """Per channel over the runs that counted at `as_of` (now by default) of deals won in the
    `days` before it, each converted to one currency at its close date."""
    window = Window.last(days, as_of)
    async with uow:
        currency, table = await _report_currency(uow, tenant_id, currency)
        if as_of is not None:  # history: the runs that counted then, read one by one
            runs = await uow.reporting.run_totals(
                tenant_id, [model], since=window.since, until=window.until, as_of=as_of
            )
            rows = channel_report(convert_runs(runs, currency, table))
            return ChannelsReport(currency, window, rows)
        sums = (await current_sums(uow, tenant_id, [model], window, currency, table))[model]
        await settle_channels(uow, sums, tenant_id, model, window)
    return ChannelsReport(currency, window, sums.rows())


async def current_sums(
    uow: AttributionUnitOfWork,
    tenant_id: str,
    models: Sequence[str],
    window: Window,
    currency: str,
    table: RateTable,
) -> dict[str, ChannelSums]:
    """Per model and channel, the current runs under the model of deals won in the window, in
    `currency`: summed by the database, the deals in other currencies converted there deal by
    deal as `convert_runs` does (so every path gives the same figures). `settle_channels`
    before `rows`, once the caller has added or taken out what it needs."""
    since, until = window.since, window.until
    totals = await uow.reporting.credit_totals(
        tenant_id, models, since=since, until=until, currency=currency
    )
    other_currencies = await uow.reporting.other_currencies(tenant_id, models, currency)
    found = {}
    for model in models:
        if others := other_currencies[model]:
            closes = await uow.reporting.foreign_days(
                tenant_id, model, since=since, until=until, others=others
            )
            totals[model] += await uow.reporting.foreign_totals(
                tenant_id,
                model,
                since=since,
                until=until,
                others=others,
                factors=day_factors(closes, currency, table),
            )
        found[model] = sums = ChannelSums()
        for total in totals[model]:
            sums.add_total(total)
    return found


async def settle_channels(
    uow: AttributionUnitOfWork,
    sums: ChannelSums,
    tenant_id: str,
    model: str,
    window: Window,
) -> None:
    """Gives `sums` (`current_sums`) the exact credit of each channel whose figures its bounds
    leave undecided (a sum within 10^-18 per deal of a rounding tie: rare over many deals,
    common over a few simple fractions), read from the window's credits summed exactly."""
    if unsettled := sums.unsettled():
        exact = await uow.reporting.exact_credits(
            tenant_id, model, since=window.since, until=window.until, channels=unsettled
        )
        for channel in unsettled:
            sums.settle(channel, exact.get(channel, Fraction(0)))


async def compare_report(
    uow: AttributionUnitOfWork,
    tenant_id: str,
    *,
    models: Sequence[str],
    days: int,
    currency: str | None,
    as_of: datetime | None = None,
) -> CompareReport:
    """Channel x model over the deals every model attributed (see `compare_models`)."""
    window = Window.last(days, as_of)
    since, until = window.since, window.until
    async with uow:
        currency, table = await _report_currency(uow, tenant_id, currency)
        if as_of is not None:
            runs = await uow.reporting.run_totals(
                tenant_id, models, since=since, until=until, as_of=as_of
            )
            converted = convert_runs(runs, currency, table)
            return CompareReport(currency, window, compare_models(converted, models))
        # Now: each model's totals as the channel report sums them, less the deals that cannot
        # be compared (`compare_summed`): few, found by report_deals.
        sums = await current_sums(uow, tenant_id, models, window, currency, table)
        complete = await uow.reporting.compared_deals(tenant_id, models, since=since, until=until)
        others = await uow.reporting.uncompared_runs(tenant_id, models, since=since, until=until)
        rest = take_out_uncompared(models, sums, convert_runs(others, currency, table))
        for model in models:
            await settle_channels(uow, sums[model], tenant_id, model, window)
    return CompareReport(currency, window, compare_summed(models, sums, complete, rest))


async def funnel_report(
    uow: AttributionUnitOfWork,
    tenant_id: str,
    *,
    days: int,
    mode: FunnelMode,
    currency: str | None,
) -> FunnelReport:
    """Leads, meetings and deals of the last `days` days, by period or by cohort: counted (and
    the deals' values grouped) by the database from the leads rows' facts and the window's
    meetings and deals; the groups converted here."""
    window = Window.last(days, None)
    since, until = window.since, window.until
    async with uow:
        currency, table = await _report_currency(uow, tenant_id, currency)
        leads = await uow.reporting.funnel_leads(tenant_id, mode, since, until)
        meetings = await uow.reporting.funnel_meetings(tenant_id, mode, since, until)
        deals, *values = await uow.reporting.funnel_deals(
            tenant_id, mode, since, until, currency=currency
        )
    pipeline, won = converted_totals(values, currency, table)
    return FunnelReport(currency, window, funnel_counts(leads, meetings, deals), pipeline, won)


async def deal_attribution(
    uow: AttributionUnitOfWork,
    tenant_id: str,
    deal_id: uuid.UUID,
    model: str,
    as_of: datetime | None = None,
) -> StoredRun | None:
    """The deal's run under `model` that counted at `as_of` (now by default), if any."""
    async with uow:
        return await uow.attribution.current_run(tenant_id, deal_id, model, as_of=as_of)


_Event = TypeVar("_Event", MeetingEvent, DealEvent)


def _latest(events: Iterable[_Event], key: Callable[[_Event], UUID]) -> list[_Event]:
    """Each aggregate's latest event of a batch (by occurred_at, later delivery on a tie)."""
    latest: dict[UUID, _Event] = {}
    for event in events:
        kept = latest.get(key(event))
        if kept is None or event.occurred_at >= kept.occurred_at:
            latest[key(event)] = event
    return list(latest.values())


async def record_meeting_states(uow: AttributionUnitOfWork, events: Iterable[MeetingEvent]) -> None:
    """The meetings' states for the funnel (inside the consumer's unit of work, one statement)."""
    await uow.reporting.save_meeting_states(
        [
            MeetingState(
                meeting_id=event.meeting_id,
                tenant_id=event.tenant_id,
                status=event.meeting.status.value,
                scheduled_at=event.meeting.scheduled_at,
                showed_up=event.meeting.showed_up,
                state_at=event.occurred_at,
            )
            for event in _latest(events, lambda e: e.meeting_id)
        ]
    )


async def record_deal_states(uow: AttributionUnitOfWork, events: Iterable[DealEvent]) -> None:
    """The deals' states for the funnel (inside the consumer's unit of work, one statement)."""
    await uow.reporting.save_deal_states(
        [(_deal_fact(event), event.occurred_at) for event in _latest(events, lambda e: e.deal_id)]
    )


def _deal_fact(event: DealEvent) -> DealFact:
    deal = event.deal
    return DealFact(
        deal_id=deal.deal_id,
        tenant_id=event.tenant_id,
        company_domain=deal.company.domain or None,
        primary_contact_email=deal.primary_contact_email,
        meeting_ids=tuple(deal.meeting_ids),
        status=deal.status.value,
        stage=deal.stage.value,
        value=deal.value,
        currency=deal.currency,
        created_at=deal.created_at,
        closed_at=deal.closed_at,
    )


@dataclass(frozen=True, slots=True)
class CohortDifference:
    """A deal or booking whose kept cohort fact (`cohort_seen_at`; a booking's `showed_up`, its
    copy of the meeting state's) is not what the rows give now."""

    tenant_id: str
    row: Literal["deal", "meeting"]
    row_id: UUID
    fact: Literal["cohort_seen_at", "showed_up"]
    kept: datetime | bool | None
    recomputed: datetime | bool | None


async def cohort_differences(
    uow: AttributionUnitOfWork, tenant_id: str | None = None
) -> list[CohortDifference]:
    """Every deal and booking (of one tenant, or of all) whose cohort facts drifted."""
    async with uow:
        deals = await uow.reporting.cohort_seen_differences(tenant_id)
        meetings = await uow.reporting.meeting_cohort_seen_differences(tenant_id)
        attendance = await uow.reporting.attendance_differences(tenant_id)
    return [
        *(CohortDifference(t, "deal", i, "cohort_seen_at", old, new) for t, i, old, new in deals),
        *(
            CohortDifference(t, "meeting", i, "cohort_seen_at", old, new)
            for t, i, old, new in meetings
        ),
        *(
            CohortDifference(t, "meeting", i, "showed_up", old, new)
            for t, i, old, new in attendance
        ),
    ]


@dataclass(frozen=True, slots=True)
class RollupDifference:
    """A row of a trigger-kept rollup (`deal_days`, `meeting_days`, `report_deal_days`) whose
    figures are not what its source rows give (None: no such row)."""

    tenant_id: str
    rollup: str
    key: str
    kept: tuple[object, ...] | None
    recomputed: tuple[object, ...] | None


async def rollup_differences(
    uow: AttributionUnitOfWork, tenant_id: str | None = None
) -> list[RollupDifference]:
    """Every row of the funnel's and the comparison's trigger-kept rollups (deal_days,
    meeting_days and their cohort twins, report_deal_days; of one tenant, or of all) that
    differs from the rows it counts."""
    found: list[RollupDifference] = []
    async with uow:
        for cohort, prefix in ((False, ""), (True, "_cohort")):
            deals = await uow.reporting.deal_day_differences(tenant_id, cohort=cohort)
            found += [
                RollupDifference(tenant, f"deal{prefix}_days", f"{day} {currency}", kept, counted)
                for tenant, day, currency, kept, counted in deals
            ]
            meetings = await uow.reporting.meeting_day_differences(tenant_id, cohort=cohort)
            found += [
                RollupDifference(tenant, f"meeting{prefix}_days", str(day), kept, counted)
                for tenant, day, kept, counted in meetings
            ]
        compared = await uow.reporting.report_deal_day_differences(tenant_id)
    return [
        *(
            RollupDifference(tenant, "report_deal_days", f"{day} {','.join(models)}", kept, got)
            for tenant, day, models, kept, got in compared
        ),
        *found,
    ]
