"""Deal events in, runs out: the use case behind the `dealflow.deals.v1` consumer."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from attribution.attributing import Tally, attribute_closed, tenant_terms
from attribution.domain.deal_runs import ClosedDeal
from attribution.domain.money import to_minor_units
from attribution.domain.recorded import Booking
from attribution.domain.weighting import Milestones
from attribution.events import deal_attribution_voided
from attribution.leads import refresh_deals
from attribution.reporting import record_deal_states
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.domains import person_key
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC
from dealflow_schemas.deals import (
    DealEvent,
    DealLost,
    DealReopened,
    DealStatus,
    DealValueChanged,
    DealWon,
)

Delivery = tuple[str, DealEvent]


def closes(event: DealEvent) -> bool:
    """Whether the event leaves the deal closed with facts to record: won, lost, or a value
    change of a won deal."""
    if isinstance(event, DealWon | DealLost):
        return True
    return isinstance(event, DealValueChanged) and event.deal.status is DealStatus.WON


def closed_deal(event: DealEvent, bookings: Sequence[Booking]) -> ClosedDeal:
    """The deal as the event describes it, with its meetings' attendees and primary contact as
    linked people and its first booking as the lead's creation."""
    deal = event.deal
    mine = [b for b in bookings if b.meeting_id in set(deal.meeting_ids)]
    linked = {e for b in mine for e in b.attendee_emails}
    if deal.primary_contact_email:
        linked.add(deal.primary_contact_email)
    closed_at = deal.closed_at or event.occurred_at
    return ClosedDeal(
        tenant_id=event.tenant_id,
        deal_id=event.deal_id,
        won=deal.status is DealStatus.WON,
        company_domain=deal.company.domain or None,
        linked_emails=tuple(sorted({person_key(e) for e in linked})),
        value_minor=to_minor_units(deal.value, deal.currency) if deal.value is not None else 0,
        currency=deal.currency,
        closed_at=closed_at,
        milestones=Milestones(
            lead_created_at=min((b.booked_at for b in mine), default=None),
            deal_created_at=deal.created_at,
            won_at=closed_at,
        ),
    )


def segments(deliveries: Sequence[Delivery]) -> list[list[Delivery]]:
    """The batch cut where order matters: a segment holds each deal at most once, and a reopen
    stands alone, so batching a segment gives what applying its events one by one would."""
    cut: list[list[Delivery]] = []
    current: list[Delivery] = []
    seen: set[uuid.UUID] = set()
    for delivery in deliveries:
        event = delivery[1]
        if isinstance(event, DealReopened) or event.deal_id in seen:
            if current:
                cut.append(current)
            current, seen = [], set()
        if isinstance(event, DealReopened):
            cut.append([delivery])
            continue
        current.append(delivery)
        seen.add(event.deal_id)
    if current:
        cut.append(current)
    return cut


async def record_deal_events(uow: AttributionUnitOfWork, deliveries: Sequence[Delivery]) -> Tally:
    """Won: one run per enabled model. Value changed while won: new runs superseding the
    current ones (a model whose inputs did not change keeps its run). Reopened: the current
    runs are voided. Won and lost deals' channel paths train the Markov model. A batch costs a
    few queries per segment, whatever its size (see `attributing`). Every deal event updates
    the deal's state for the funnel."""
    now = datetime.now(UTC)
    tally = Tally()
    async with uow:
        fresh = await uow.inbox.fresh(deliveries)
        await record_deal_states(uow, (e for _, e in fresh))
        terms = await tenant_terms(uow, {e.tenant_id for _, e in fresh})
        await uow.attribution.lock_runs(
            *{e.tenant_id for _, e in fresh if closes(e) or isinstance(e, DealReopened)}
        )
        for segment in segments(fresh):
            if isinstance(segment[0][1], DealReopened):
                event_id, event = segment[0]
                assert isinstance(event, DealReopened)
                await _void_runs(uow, event, event_id, now)
                continue
            closing = [(i, e) for i, e in segment if closes(e)]
            for tenant_id in sorted({e.tenant_id for _, e in closing}):
                ours = [(i, e) for i, e in closing if e.tenant_id == tenant_id]
                meeting_ids = sorted({m for _, e in ours for m in e.deal.meeting_ids})
                bookings = await uow.attribution.bookings(tenant_id, meeting_ids)
                deals = [closed_deal(e, bookings) for _, e in ours]
                await uow.attribution.save_closed_deals(deals)
                tally += await attribute_closed(
                    uow,
                    terms[tenant_id],
                    deals,
                    caused_by={e.deal_id: i for i, e in ours},
                    now=now,
                )
        await refresh_deals(uow, deals_by_tenant(e for _, e in fresh))
        await uow.commit()
    return tally


def deals_by_tenant(events: Iterable[DealEvent]) -> dict[str, set[uuid.UUID]]:
    found: dict[str, set[uuid.UUID]] = {}
    for event in events:
        found.setdefault(event.tenant_id, set()).add(event.deal_id)
    return found


async def _void_runs(
    uow: AttributionUnitOfWork, event: DealReopened, event_id: str, now: datetime
) -> None:
    await uow.attribution.lock_runs(event.tenant_id)
    latest = await uow.attribution.latest_runs(event.tenant_id, event.deal_id)
    current = sorted(run.run_id for run in latest.values() if not run.voided)
    await uow.attribution.forget_journey(event.tenant_id, event.deal_id)
    await uow.attribution.forget_closed_deal(event.tenant_id, event.deal_id)
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
