"""The leads read model, kept current inside the unit of work of the events that change it.

After touches, bookings or deal events are recorded, the people they may concern are derived
again from what is recorded (`domain.leads.derive_leads`) and the rows that changed are written:
order-independent and idempotent, so a redelivery or a late event settles on the same rows.
Every path that records these facts (the consumers, `POST /v1/touches`) calls in here; a rebuild
and a change of the tenant's personal domains derive every lead of the tenant again.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from attribution.db.leads import LeadFilter, LeadMeeting
from attribution.domain.account import email_domain
from attribution.domain.funnel import DealFact
from attribution.domain.lead_days import DayCounts, lead_day_deltas, lead_day_totals
from attribution.domain.leads import Lead, derive_leads, tenant_leads
from attribution.domain.recorded import RecordedTouch
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.domains import person_key
from dealflow_schemas.tenants import TenantChanged


async def refresh_people(uow: AttributionUnitOfWork, people: Mapping[str, Iterable[str]]) -> None:
    """The leads of these people (per tenant), derived again. Called last in a unit of work:
    it takes each tenant's leads lock (sorted), after any other lock the transaction takes."""
    for tenant_id in sorted(people):
        await _refresh(uow, tenant_id, set(people[tenant_id]))


async def refresh_deals(
    uow: AttributionUnitOfWork, deals: Mapping[str, Iterable[uuid.UUID]]
) -> None:
    """After deal states changed: the leads the deals reach now (their company's leads, primary
    contact, meetings' attendees) and those they reached before (a meeting moved away, a
    company corrected), derived again."""
    for tenant_id in sorted(deals):
        await uow.leads.lock(tenant_id)
        ids = sorted(set(deals[tenant_id]))
        facts = await uow.leads.deals(tenant_id, deal_ids=ids)
        companies = sorted({d.company_domain for d in facts if d.company_domain})
        people = await uow.leads.members(tenant_id, deal_ids=ids, companies=companies)
        people |= {p for d in facts for p in d.people}
        meeting_ids = sorted({m for d in facts for m in d.meeting_ids})
        for booking in await uow.leads.bookings(tenant_id, meeting_ids=meeting_ids):
            people |= booking.people
        await _refresh(uow, tenant_id, people)


async def _refresh(uow: AttributionUnitOfWork, tenant_id: str, people: set[str]) -> None:
    if not people:
        return
    await uow.leads.lock(tenant_id)
    emails = sorted(people)
    profile = (await uow.tenants.profiles([tenant_id]))[tenant_id]
    summaries = await uow.leads.touch_summaries(tenant_id, emails)
    bookings = await uow.leads.bookings(tenant_id, people=emails)
    deals = await uow.leads.deals(
        tenant_id,
        # By registrable domain (a superset: the account rule applies personal domains).
        companies=sorted({d for e in emails if (d := email_domain(e))}),
        people=emails,
        meeting_ids=sorted({b.meeting_id for b in bookings}),
    )
    derived = derive_leads(
        emails,
        touches=summaries,
        bookings=bookings,
        deals=deals,
        personal_domains=profile.personal_domains,
    )
    await _write(uow, tenant_id, derived, await uow.leads.stored(tenant_id, emails))


async def _rederive_tenant(uow: AttributionUnitOfWork, tenant_id: str) -> None:
    """Every lead of the tenant derived again from everything it recorded."""
    await uow.leads.lock(tenant_id)
    derived, stored = await _recomputed(uow, tenant_id)
    await _write(uow, tenant_id, derived, stored)


async def _recomputed(
    uow: AttributionUnitOfWork, tenant_id: str
) -> tuple[dict[str, Lead | None], dict[str, Lead]]:
    """Every lead of the tenant as everything it recorded derives it (None: a stored row that
    is no lead), and the rows stored."""
    profile = (await uow.tenants.profiles([tenant_id]))[tenant_id]
    summaries, bookings, deals = await uow.leads.everything(tenant_id)
    found = tenant_leads(
        touches=summaries,
        bookings=bookings,
        deals=deals,
        personal_domains=profile.personal_domains,
    )
    stored = await uow.leads.stored(tenant_id)
    derived: dict[str, Lead | None] = dict.fromkeys(stored)
    derived.update((lead.email, lead) for lead in found)
    return derived, stored


@dataclass(frozen=True, slots=True)
class LeadDifference:
    """A lead whose kept row is not what a recompute derives (None: no row, or no lead)."""

    tenant_id: str
    email: str
    kept: Lead | None
    recomputed: Lead | None


@dataclass(frozen=True, slots=True)
class LeadDayDifference:
    """A day of `lead_days` whose kept counters are not what the leads rows give."""

    tenant_id: str
    day: date
    kept: DayCounts | None
    recomputed: DayCounts | None


async def lead_differences(
    uow: AttributionUnitOfWork, tenant_id: str | None = None
) -> list[LeadDifference | LeadDayDifference]:
    """Every lead row (with the funnel's cohort and period facts on it) that differs from a
    recompute from the touches, bookings and deal states, and every day of `lead_days` that
    differs from the leads rows, in one tenant or every tenant with leads."""
    found: list[LeadDifference | LeadDayDifference] = []
    async with uow:
        for tenant in [tenant_id] if tenant_id else await uow.leads.tenant_ids():
            derived, stored = await _recomputed(uow, tenant)
            found += [
                LeadDifference(tenant, email, stored.get(email), lead)
                for email, lead in sorted(derived.items())
                if stored.get(email) != lead
            ]
            kept, counted = await uow.leads.lead_days(tenant), lead_day_totals(stored.values())
            found += [
                LeadDayDifference(tenant, day, kept.get(day), counted.get(day))
                for day in sorted(kept.keys() | counted.keys())
                if kept.get(day) != counted.get(day)
            ]
    return found


async def _write(
    uow: AttributionUnitOfWork,
    tenant_id: str,
    derived: Mapping[str, Lead | None],
    stored: Mapping[str, Lead],
) -> None:
    """Rows that changed are written, leads no longer derived are removed."""
    changed = [lead for e, lead in derived.items() if lead is not None and stored.get(e) != lead]
    await uow.leads.save(tenant_id, changed, datetime.now(UTC))
    gone = [e for e, lead in derived.items() if lead is None and e in stored]
    await uow.leads.forget(tenant_id, gone)
    moved: list[tuple[Lead | None, Lead | None]] = [(stored.get(x.email), x) for x in changed]
    moved += [(stored[e], None) for e in gone]
    await uow.leads.add_lead_days(tenant_id, lead_day_deltas(moved))
    # The deals and meetings whose cohort facts may have moved: of the accounts of the leads that
    # came, went, or changed first-seen or account, and the meetings of those that came, went,
    # or changed first-seen or meetings (most changes are a touch more: nothing to do).
    accounts = {d for e in gone for d in stored[e].deal_ids}
    people = set(gone)
    for lead in changed:
        before = stored.get(lead.email)
        if before is None:
            accounts.update(lead.deal_ids)
            people.add(lead.email)
            continue
        if (before.first_seen_at, before.deal_ids) != (lead.first_seen_at, lead.deal_ids):
            accounts.update(lead.deal_ids, before.deal_ids)
        if (before.first_seen_at, before.meetings) != (lead.first_seen_at, lead.meetings):
            people.add(lead.email)
    if accounts:
        await uow.reporting.refresh_deal_cohorts(sorted(accounts))
    if people:
        await uow.reporting.refresh_meeting_cohorts(tenant_id, sorted(people))


async def rederive_leads(uow: AttributionUnitOfWork, tenant_id: str) -> None:
    """A tenant's leads derived again from what is recorded (a rebuild's last step)."""
    async with uow:
        await _rederive_tenant(uow, tenant_id)
        await uow.commit()


async def record_tenant_changes(
    uow: AttributionUnitOfWork, deliveries: Sequence[tuple[str, TenantChanged]]
) -> None:
    """The tenant feed, each change applied once (as `dealflow_libs.tenants` does); a tenant
    whose personal domains changed has every lead derived again in the same unit of work, so
    companies and accounts follow the list."""
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        ids = {event.tenant_id for _, event in todo}
        before = await uow.tenants.profiles(ids)
        await uow.tenants.apply_changes([event for _, event in todo])
        after = await uow.tenants.profiles(ids)
        for tenant_id in sorted(ids):
            if before[tenant_id].personal_domains != after[tenant_id].personal_domains:
                await _rederive_tenant(uow, tenant_id)
        await uow.commit()


@dataclass(frozen=True, slots=True)
class LeadTimeline:
    """One lead and what it is made of: touches, meetings and the account's deals."""

    lead: Lead
    touches: list[RecordedTouch]
    meetings: list[LeadMeeting]
    deals: list[DealFact]


async def list_leads(
    uow: AttributionUnitOfWork, tenant_id: str, where: LeadFilter, *, after: str | None, limit: int
) -> list[Lead]:
    async with uow:
        return await uow.leads.page(tenant_id, where, after=after, limit=limit)


async def lead_timeline(
    uow: AttributionUnitOfWork, tenant_id: str, email: str
) -> LeadTimeline | None:
    """The lead of `email` (any spelling of it) and its timeline; None for no such lead."""
    key = person_key(email)
    async with uow:
        lead = await uow.leads.get(tenant_id, key)
        if lead is None:
            return None
        touches = await uow.attribution.timeline(tenant_id, key)
        meetings = await uow.leads.meetings_of(tenant_id, key)
        deals = await uow.leads.deals(tenant_id, deal_ids=lead.deal_ids) if lead.deal_ids else []
    return LeadTimeline(lead, touches, meetings, deals)
