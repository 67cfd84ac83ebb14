"""Deals use cases: each opens one unit of work, applies domain rules, commits once."""

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from dealflow_libs.domains import EmailIdentity
from dealflow_libs.money import cents_or_none
from dealflow_libs.tenants import TenantProfile
from dealflow_schemas.attribution import MeetingAttributed
from dealflow_schemas.deals import CLOSED_STAGES, DEALS_TOPIC, DealStage, LostReason
from dealflow_schemas.meetings import MeetingEvent
from deals.domain.analytics import LostMonthDifference, SummaryDifference
from deals.domain.deal import Deal, Transition
from deals.domain.journeys import MeetingJourney, journeys_of_deals
from deals.domain.pipeline import Ledger, apply_meeting_event, open_deal
from deals.domain.settings import DealSettings
from deals.events import deal_event
from deals.uow import DealsUnitOfWork


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


class UnknownStage(Exception):
    pass


def _settings(profiles: dict[str, TenantProfile]) -> dict[str, DealSettings]:
    return {t: DealSettings.from_stored(p.settings) for t, p in profiles.items()}


async def _tenant_settings(uow: DealsUnitOfWork, tenant_id: str) -> DealSettings:
    return _settings(await uow.tenants.profiles([tenant_id]))[tenant_id]


def _history_row(deal: Deal, transition: Transition, now: datetime) -> dict[str, Any]:
    return {
        "deal_id": deal.id,
        "tenant_id": deal.tenant_id,
        "kind": transition.kind.value,
        "from_stage": transition.from_stage.value if transition.from_stage else None,
        "to_stage": transition.to_stage.value if transition.to_stage else None,
        "from_status": transition.from_status.value if transition.from_status else None,
        "to_status": transition.to_status.value if transition.to_status else None,
        "changed_by": transition.by,
        "reason": transition.reason,
        "changed_at": now,
    }


async def _publish(uow: DealsUnitOfWork, ledger: Ledger, now: datetime) -> None:
    """History rows and one outbox event per transition, with full deal and company state."""
    companies = {c.id: c for c in ledger.companies.values()}
    missing = {d.company_id for d, *_ in ledger.transitions} - set(companies)
    companies.update(await uow.deals.companies_by_id(missing))
    await uow.deals.add_history(
        [_history_row(d, t, now) for d, t, *_ in ledger.transitions if t.moves]
    )
    for deal, transition, meeting_id, caused_by in ledger.transitions:
        meeting = ledger.meetings.get(meeting_id) if meeting_id else None
        event = deal_event(
            deal,
            companies[deal.company_id],
            transition,
            meeting=meeting,
            caused_by=caused_by,
            now=now,
        )
        uow.outbox.add(
            event,
            topic=DEALS_TOPIC,
            key=str(deal.id),
            tenant_id=deal.tenant_id,
            subject=str(deal.id),
        )


async def record_meeting_events(
    uow: DealsUnitOfWork, deliveries: Sequence[tuple[str, MeetingEvent]]
) -> int:
    """Applies a batch of meeting events (each at most once) to companies and deals."""
    now = datetime.now(UTC)
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        if not todo:
            return 0
        company_keys = {
            (ev.tenant_id, ev.meeting.company_domain)
            for _, ev in todo
            if ev.meeting.company_domain and not ev.meeting.is_personal_email
        }
        await uow.deals.lock_companies(company_keys)
        profiles = await uow.tenants.profiles(ev.tenant_id for _, ev in todo)
        ledger = await uow.deals.load_ledger(company_keys, {ev.meeting_id for _, ev in todo})
        ledger.currencies = {t: p.default_currency for t, p in profiles.items()}
        settings = _settings(profiles)
        for event_id, event in todo:
            apply_meeting_event(
                ledger, event, settings=settings[event.tenant_id], now=now, caused_by=event_id
            )
        await uow.deals.insert_new([*ledger.new_companies, *ledger.new_meetings, *ledger.new_deals])
        await uow.flush()
        await uow.deals.upsert_people(
            [
                {
                    "tenant_id": t,
                    "email": e,
                    "name": n,
                    "company_id": c,
                    "last_meeting_id": m,
                    "first_seen_at": now,
                    "updated_at": now,
                }
                for (t, e), (n, c, m) in ledger.people.items()
            ]
        )
        await uow.deals.add_activities(
            [
                {"deal_id": a.deal.id, "kind": a.kind, "detail": a.detail, "at": a.at}
                for a in ledger.activities
            ]
        )
        await _publish(uow, ledger, now)
        await uow.commit()
    return len(todo)


async def record_journeys(
    uow: DealsUnitOfWork, deliveries: Sequence[tuple[str, MeetingAttributed]]
) -> int:
    """Keeps each meeting's journey (each event at most once), whether or not deals knows the
    meeting yet: deal reads find it through the deal's source meeting (domain.journeys)."""
    now = datetime.now(UTC)
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        latest = {(e.tenant_id, e.meeting_id): e for _, e in todo}  # one row per key and batch
        await uow.deals.save_journeys(
            [
                {
                    "tenant_id": e.tenant_id,
                    "meeting_id": e.meeting_id,
                    "touches_before_booking": e.touches_before_booking,
                    "days_to_booking": e.days_to_booking,
                    "first_touch_channel": e.first_touch_channel,
                    "converting_activity_id": e.converting_activity_id,
                    "converting_channel": e.converting_channel,
                    "booked_at": e.booked_at,
                    "received_at": now,
                }
                for e in latest.values()
            ]
        )
        await uow.commit()
    return len(todo)


async def journeys_of(
    uow: DealsUnitOfWork, deals: Sequence[Deal]
) -> dict[uuid.UUID, MeetingJourney]:
    """deal id -> the journey its analytics show (read inside the caller's unit of work)."""
    return journeys_of_deals(deals, await uow.deals.journey_links(d.id for d in deals))


# -- commands on one deal ---------------------------------------------------------------------


async def _on_deal(
    uow: DealsUnitOfWork,
    tenant_id: str,
    deal_id: uuid.UUID,
    act: Callable[[Deal, DealSettings, datetime], list[Transition]],
) -> Deal:
    now = datetime.now(UTC)
    async with uow:
        deal = await uow.deals.get(tenant_id, deal_id, for_update=True)
        if deal is None:
            raise NotFound(f"no deal {deal_id}")
        settings = await _tenant_settings(uow, tenant_id)
        ledger = Ledger(deals={deal.id: deal})
        for transition in act(deal, settings, now):
            ledger.record(transition, deal, None, None)
        await uow.flush()
        await _publish(uow, ledger, now)
        await uow.commit()
    return deal


def _some(transition: Transition | None) -> list[Transition]:
    return [transition] if transition else []


async def move_stage(
    uow: DealsUnitOfWork,
    tenant_id: str,
    deal_id: uuid.UUID,
    *,
    stage: DealStage,
    by: str | None,
    reason: str | None,
) -> Deal:
    return await _on_deal(
        uow,
        tenant_id,
        deal_id,
        lambda d, s, now: _some(d.move_to(stage, settings=s, by=by, reason=reason, now=now)),
    )


async def win_deal(
    uow: DealsUnitOfWork,
    tenant_id: str,
    deal_id: uuid.UUID,
    *,
    value: Decimal | None,
    by: str | None,
) -> Deal:
    value = cents_or_none(value)
    return await _on_deal(
        uow, tenant_id, deal_id, lambda d, s, now: [d.win(value=value, settings=s, by=by, now=now)]
    )


async def lose_deal(
    uow: DealsUnitOfWork,
    tenant_id: str,
    deal_id: uuid.UUID,
    *,
    reason: LostReason,
    notes: str | None,
    by: str | None,
) -> Deal:
    return await _on_deal(
        uow,
        tenant_id,
        deal_id,
        lambda d, s, now: [d.lose(reason=reason, notes=notes, settings=s, by=by, now=now)],
    )


async def reopen_deal(
    uow: DealsUnitOfWork,
    tenant_id: str,
    deal_id: uuid.UUID,
    *,
    stage: DealStage | None,
    by: str | None,
    reason: str | None,
) -> Deal:
    def act(deal: Deal, settings: DealSettings, now: datetime) -> list[Transition]:
        return [deal.reopen(stage=stage, settings=settings, by=by, reason=reason, now=now)]

    try:
        return await _on_deal(uow, tenant_id, deal_id, act)
    except IntegrityError as exc:
        if "uq_deals_one_active_per_company" in str(exc):
            raise Conflict(
                "the company already has an active deal; close it before reopening this one"
            ) from exc
        raise


async def edit_deal(
    uow: DealsUnitOfWork,
    tenant_id: str,
    deal_id: uuid.UUID,
    *,
    changes: dict[str, Any],
    by: str | None,
) -> Deal:
    if "value" in changes:
        changes = {**changes, "value": cents_or_none(changes["value"])}
    return await _on_deal(
        uow, tenant_id, deal_id, lambda d, s, now: d.edit(changes, by=by, now=now)
    )


# -- external CRM updates ---------------------------------------------------------------------


async def sync_external_deal(
    uow: DealsUnitOfWork,
    tenant_id: str,
    *,
    crm: str,
    external_id: str,
    stage_name: str,
    value: Decimal | None,
    contact_email: str | None,
    name: str | None,
    by: str,
) -> tuple[Deal, bool]:
    """Upserts a deal from a CRM update through the tenant's stage mapping; (deal, created)."""
    now = datetime.now(UTC)
    value = cents_or_none(value)
    async with uow:
        profile = (await uow.tenants.profiles([tenant_id]))[tenant_id]
        settings = DealSettings.from_stored(profile.settings)
        stage = settings.crm_stage(crm, stage_name)
        if stage is None:
            known = ", ".join(settings.crm_stage_names(crm))
            raise UnknownStage(
                f"{crm} stage '{stage_name}' has no mapping; "
                f"add crm_stage_mappings.{crm}['{stage_name}'] "
                f"in PUT /v1/settings (mapped now: {known})"
            )
        deal = await uow.deals.by_external_id(tenant_id, crm, external_id)
        ledger = Ledger()
        created = False
        if deal is None:
            ledger.currencies = {tenant_id: profile.default_currency}
            identity = profile.identify(contact_email) if contact_email else None
            deal, created = await _deal_for_contact(
                uow, ledger, tenant_id, identity, stage, settings, name, now, by
            )
        deal.external_ids = {**deal.external_ids, crm: external_id}
        ledger.add_deal(deal)
        if not created:
            _apply_external(ledger, deal, stage, value, settings, now, by)
        elif value is not None:
            deal.value = value
        await uow.deals.insert_new([*ledger.new_companies, *ledger.new_deals])
        await uow.flush()
        await _publish(uow, ledger, now)
        await uow.commit()
    return deal, created


async def _deal_for_contact(
    uow: DealsUnitOfWork,
    ledger: Ledger,
    tenant_id: str,
    identity: EmailIdentity | None,
    stage: DealStage,
    settings: DealSettings,
    name: str | None,
    now: datetime,
    by: str,
) -> tuple[Deal, bool]:
    """The company's active deal, or a new one; the contact must be a business address by the
    tenant's own list of personal domains (the rule meetings applies to attendees)."""
    if identity is None or identity.company_domain is None:
        raise NotFound(
            "no deal with this external id, and no business contact_email to create one from"
        )
    domain = identity.company_domain
    await uow.deals.lock_companies([(tenant_id, domain)])
    stored = await uow.deals.company_by_domain(tenant_id, domain)
    if stored is not None:
        ledger.companies[(tenant_id, domain)] = stored
    company = ledger.company(tenant_id, domain, now)
    existing = None if stored is None else await uow.deals.active_for_company(company.id)
    if existing is not None:
        return existing, False
    # A deal is created open; a CRM stage that closes it is applied as a second step.
    open_stage = stage if stage not in CLOSED_STAGES else DealStage.QUALIFICATION
    deal = open_deal(
        ledger,
        company,
        stage=open_stage,
        settings=settings,
        now=now,
        by=by,
        name=name,
        primary_contact_email=identity.email,
    )
    if open_stage is not stage:
        _apply_external(ledger, deal, stage, None, settings, now, by)
    return deal, True


def _apply_external(
    ledger: Ledger,
    deal: Deal,
    stage: DealStage,
    value: Decimal | None,
    settings: DealSettings,
    now: datetime,
    by: str,
) -> None:
    """The CRM is the source of truth for its deals: it may move them anywhere, even back."""
    if value is not None and value != deal.value:
        for transition in deal.edit({"value": value}, by=by, now=now):
            ledger.record(transition, deal, None, None)
    if stage is deal.stage:
        return
    if not deal.is_active:
        ledger.record(
            deal.reopen(stage=None, settings=settings, by=by, reason="reopened in CRM", now=now),
            deal,
            None,
            None,
        )
    if stage is DealStage.CLOSED_WON:
        ledger.record(
            deal.win(value=value or deal.value or Decimal(0), settings=settings, by=by, now=now),
            deal,
            None,
            None,
        )
    elif stage is DealStage.CLOSED_LOST:
        ledger.record(
            deal.lose(
                reason=LostReason.OTHER,
                notes="closed lost in CRM",
                settings=settings,
                by=by,
                now=now,
            ),
            deal,
            None,
            None,
        )
    elif stage is not deal.stage:
        ledger.record(
            deal.move_to(stage, settings=settings, by=by, reason="CRM sync", now=now),
            deal,
            None,
            None,
        )


# -- read models ------------------------------------------------------------------------------


async def summary_differences(
    uow: DealsUnitOfWork, tenant_id: str | None = None
) -> Sequence[SummaryDifference | LostMonthDifference]:
    """Where the maintained read models (pipeline summaries, lost-deal months) differ from a
    full recompute from the deals (one tenant's, or every tenant's): empty unless something
    wrote deals around the triggers."""
    async with uow:
        return [
            *await uow.deals.summary_differences(tenant_id),
            *await uow.deals.lost_month_differences(tenant_id),
        ]
