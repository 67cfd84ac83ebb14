"""Attribution use cases: each opens one unit of work, applies domain rules, commits once."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from attribution.domain.account import account_touches
from attribution.domain.booking import journey_to_booking
from attribution.domain.deal_runs import DealFacts, channel_path, deal_runs, enabled_models
from attribution.domain.money import to_minor_units
from attribution.domain.recorded import Booking, Lead, RecordedTouch, StoredRun
from attribution.domain.reports import ChannelRow, channel_report
from attribution.domain.settings import RunSettings
from attribution.domain.touches import Touch
from attribution.domain.weighting import Milestones
from attribution.events import deal_attributed, deal_attribution_voided, meeting_attributed
from attribution.intake import booking_of, booking_touch, classified, recorded, rules_for
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.tenants import TenantProfile
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC, TouchIn, TouchSubmitted
from dealflow_schemas.deals import (
    DealEvent,
    DealLost,
    DealReopened,
    DealStatus,
    DealValueChanged,
    DealWon,
)
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
                timeline,
                booking_touch_id=booking.touch_id,
                booked_at=booking.booked_at,
                window=RunSettings.from_stored(profiles[event.tenant_id].settings).window,
            )
            uow.outbox.add(
                meeting_attributed(booking, journey, rules.version, event_id),
                topic=ATTRIBUTION_TOPIC,
                key=str(booking.meeting_id),
                tenant_id=booking.tenant_id,
                subject=str(booking.meeting_id),
            )
        await uow.commit()


async def record_deal_events(
    uow: AttributionUnitOfWork, deliveries: Sequence[tuple[str, DealEvent]]
) -> None:
    """Won: one run per enabled model. Value changed while won: new runs superseding the
    current ones (a model whose inputs did not change keeps its run). Reopened: the current
    runs are voided. Won and lost deals' channel paths train the Markov model."""
    now = datetime.now(UTC)
    async with uow:
        fresh = await uow.inbox.fresh(deliveries)
        profiles = await uow.tenants.profiles({e.tenant_id for _, e in fresh})
        for event_id, event in fresh:
            profile = profiles[event.tenant_id]
            if isinstance(event, DealReopened):
                await _void_runs(uow, event, event_id, now)
            elif isinstance(event, DealLost):
                touches, _ = await _deal_touches(uow, event, profile)
                await _record_journey(uow, event, profile, touches, converted=False)
            elif isinstance(event, DealWon) or (
                isinstance(event, DealValueChanged) and event.deal.status is DealStatus.WON
            ):
                await _attribute(uow, event, event_id, profile, now)
        await uow.commit()


def _closed_at(event: DealEvent) -> datetime:
    return event.deal.closed_at or event.occurred_at


async def _deal_touches(
    uow: AttributionUnitOfWork, event: DealEvent, profile: TenantProfile
) -> tuple[list[Touch], list[Booking]]:
    """The account journey: everyone at the deal's company, plus its meetings' attendees and
    its primary contact (a personal address joins only that way)."""
    deal = event.deal
    bookings = await uow.attribution.bookings(event.tenant_id, deal.meeting_ids)
    linked = {e for b in bookings for e in b.attendee_emails}
    if deal.primary_contact_email:
        linked.add(deal.primary_contact_email.strip().lower())
    domain = deal.company.domain or None
    candidates = await uow.attribution.account_candidates(event.tenant_id, domain, sorted(linked))
    touches = account_touches(
        (r.touch for r in candidates),
        company_domain=domain,
        linked_emails=linked,
        personal_domains=profile.personal_domains,
    )
    return touches, bookings


async def _record_journey(
    uow: AttributionUnitOfWork,
    event: DealEvent,
    profile: TenantProfile,
    touches: Sequence[Touch],
    *,
    converted: bool,
) -> None:
    """The deal's channel path by the tenant's window: training data of markov and shapley."""
    window = RunSettings.from_stored(profile.settings).window
    path = channel_path(touches, rules_for(profile.settings), _closed_at(event), window)
    await uow.attribution.save_journey(
        event.tenant_id, event.deal_id, path, converted, _closed_at(event)
    )


async def _attribute(
    uow: AttributionUnitOfWork,
    event: DealEvent,
    event_id: str,
    profile: TenantProfile,
    now: datetime,
) -> None:
    deal, tenant_id = event.deal, event.tenant_id
    touches, bookings = await _deal_touches(uow, event, profile)
    await _record_journey(uow, event, profile, touches, converted=True)
    closed_at = _closed_at(event)
    facts = DealFacts(
        deal_id=str(deal.deal_id),
        value_minor=to_minor_units(deal.value, deal.currency) if deal.value is not None else 0,
        currency=deal.currency,
        conversion_at=closed_at,
        milestones=Milestones(
            lead_created_at=min((b.booked_at for b in bookings), default=None),
            deal_created_at=deal.created_at,
            won_at=closed_at,
        ),
    )
    settings = RunSettings.from_stored(profile.settings)
    journeys = await uow.attribution.journeys(tenant_id) if settings.needs_training else []
    models = enabled_models(settings, journeys)
    latest = await uow.attribution.latest_runs(tenant_id, deal.deal_id)
    rules = rules_for(profile.settings)
    for run in deal_runs(facts, touches, rules, models, settings.window):
        before = latest.get(run.model.value)
        current = before if before is not None and not before.voided else None
        if current is not None and current.input_hash == run.input_hash:
            continue  # the same inputs give the same run: nothing to supersede
        run_id = uuid.uuid4()
        supersedes = current.run_id if current else None
        await uow.attribution.add_run(
            tenant_id, run_id, run, supersedes=supersedes, caused_by=event_id, now=now
        )
        uow.outbox.add(
            deal_attributed(
                tenant_id, run_id, run, supersedes=supersedes, computed_at=now, caused_by=event_id
            ),
            topic=ATTRIBUTION_TOPIC,
            key=str(deal.deal_id),
            tenant_id=tenant_id,
            subject=str(deal.deal_id),
        )


async def _void_runs(
    uow: AttributionUnitOfWork, event: DealReopened, event_id: str, now: datetime
) -> None:
    latest = await uow.attribution.latest_runs(event.tenant_id, event.deal_id)
    current = sorted(run.run_id for run in latest.values() if not run.voided)
    await uow.attribution.forget_journey(event.tenant_id, event.deal_id)
    if not current:
        return
    reason = f"deal reopened from {event.from_status.value}"
    await uow.attribution.void_runs(
        event.tenant_id, current, reason=reason, caused_by=event_id, now=now
    )
    uow.outbox.add(
        deal_attribution_voided(
            event.tenant_id,
            event.deal_id,
            current,
            reason=reason,
            voided_at=now,
            caused_by=event_id,
        ),
        topic=ATTRIBUTION_TOPIC,
        key=str(event.deal_id),
        tenant_id=event.tenant_id,
        subject=str(event.deal_id),
    )


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


async def deal_attribution(
    uow: AttributionUnitOfWork, tenant_id: str, deal_id: uuid.UUID, model: str
) -> StoredRun | None:
    async with uow:
        return await uow.attribution.current_run(tenant_id, deal_id, model)


async def channels_report(
    uow: AttributionUnitOfWork, tenant_id: str, model: str, days: int, currency: str | None
) -> tuple[str, list[ChannelRow]]:
    """Per channel over the current runs of deals won in the last `days` days, in one currency
    (the tenant's own unless asked): the currency and the rows."""
    since = datetime.now(UTC) - timedelta(days=days)
    async with uow:
        if currency is None:
            currency = (await uow.tenants.profiles([tenant_id]))[tenant_id].default_currency
        totals = await uow.attribution.current_totals(tenant_id, model, since, currency)
    return currency, channel_report(totals)
