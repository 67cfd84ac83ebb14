"""Rebuilding attribution from the topics into an empty database.

Reads `dealflow.tenants.v1`, `dealflow.touches.v1`, `dealflow.meetings.v1` and
`dealflow.deals.v1` from the beginning (up to their ends when the rebuild starts) and restores
what the consumers keep: tenants, touches, bookings (and their touches), the funnel's meeting
and deal states, closed deals. Nothing is computed or published while reading. Then each
tenant's runs are computed as `recompute_tenant` does, without publishing: a run's result and
input hash depend only on this state, so they equal the live current runs as of a live
recompute (run ids, `created_at` and the history of superseded or voided runs are not
reproduced). What no topic carries (a tenant's run settings, channel rule versions and currency
rates) is copied from a source database, normally the live one.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from attribution.attributing import Tally, tenant_terms
from attribution.deal_events import closed_deal, closes
from attribution.intake import booking_of, booking_touch, classified, recorded
from attribution.leads import rederive_leads
from attribution.recompute import BATCH_SIZE, recompute_steps, recompute_tenant
from attribution.reporting import record_deal_states, record_meeting_states
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.consumer import Subscription
from dealflow_libs.errors import PermanentError
from dealflow_libs.tenants import record_tenant_changes
from dealflow_schemas.attribution import TOUCHES_TOPIC, TouchSubmitted
from dealflow_schemas.base import EventModel
from dealflow_schemas.deals import DEAL_EVENTS, DEALS_TOPIC, DealEvent, DealReopened
from dealflow_schemas.meetings import MEETING_EVENTS, MEETINGS_TOPIC, MeetingBooked
from dealflow_schemas.tenants import TENANTS_TOPIC, TenantChanged

#: Records read per unit of work.
READ_BATCH = 1000
#: The consumer name its inbox claims are recorded under, per topic (as the live consumers').
CONSUMERS = {
    TENANTS_TOPIC: "attribution-tenants",
    TOUCHES_TOPIC: "attribution-touches",
    MEETINGS_TOPIC: "attribution-meetings",
    DEALS_TOPIC: "attribution-deals",
}

UnitOfWork = Callable[[str], AttributionUnitOfWork]
Deliveries = Sequence[tuple[str, Any]]


class Progress:
    """What a rebuild reports as it goes; the CLI draws bars from it."""

    def start(self, label: str, total: int) -> None:
        """A phase of `total` steps begins."""

    def advance(self, steps: int) -> None:
        """Steps of the current phase are done."""


class TargetNotEmpty(RuntimeError):
    pass


@dataclass
class TopicCount:
    records: int = 0
    skipped: int = 0  # not a valid event of the topic (the live consumer dead-letters these)


@dataclass
class RebuildSummary:
    topics: dict[str, TopicCount] = field(default_factory=dict)
    tenants: dict[str, Tally] = field(default_factory=dict)


async def restore_touches(uow: AttributionUnitOfWork, deliveries: Deliveries) -> None:
    now = datetime.now(UTC)
    async with uow:
        fresh = await uow.inbox.fresh(deliveries)
        terms = await tenant_terms(uow, {e.tenant_id for _, e in fresh})
        await uow.attribution.add_touches(
            [recorded(e.tenant_id, e, terms[e.tenant_id].rules, "kafka", now) for _, e in fresh]
        )
        await uow.commit()


async def restore_meetings(uow: AttributionUnitOfWork, deliveries: Deliveries) -> None:
    now = datetime.now(UTC)
    async with uow:
        fresh = await uow.inbox.fresh(deliveries)
        await record_meeting_states(uow, (e for _, e in fresh))
        booked = [e for _, e in fresh if isinstance(e, MeetingBooked)]
        terms = await tenant_terms(uow, {e.tenant_id for e in booked})
        for event in booked:
            booking = booking_of(event)
            if booking is None or not await uow.attribution.add_booking(booking):
                continue
            rules = terms[event.tenant_id].rules
            touch = booking_touch(event, booking)
            await uow.attribution.add_touches(
                [classified(event.tenant_id, touch, rules, "meeting", now)]
            )
        await uow.commit()


async def restore_deals(uow: AttributionUnitOfWork, deliveries: Deliveries) -> None:
    """Closed deals as their latest events describe them (no run yet), event by event."""
    async with uow:
        fresh: list[tuple[str, DealEvent]] = await uow.inbox.fresh(deliveries)
        await record_deal_states(uow, (e for _, e in fresh))
        for _, event in fresh:
            if isinstance(event, DealReopened):
                await uow.attribution.forget_closed_deal(event.tenant_id, event.deal_id)
                await uow.attribution.forget_journey(event.tenant_id, event.deal_id)
            elif closes(event):
                bookings = await uow.attribution.bookings(event.tenant_id, event.deal.meeting_ids)
                await uow.attribution.save_closed_deals([closed_deal(event, bookings)])
        await uow.commit()


async def restore_tenants(uow: AttributionUnitOfWork, deliveries: Deliveries) -> None:
    await record_tenant_changes(uow, deliveries)


Restore = Callable[[AttributionUnitOfWork, Deliveries], Awaitable[None]]
#: In this order: who the tenants are, then touches, then the bookings that link people to
#: meetings, then the deals that name their meetings.
TOPICS: list[tuple[str, tuple[type[EventModel], ...], Restore]] = [
    (TENANTS_TOPIC, (TenantChanged,), restore_tenants),
    (TOUCHES_TOPIC, (TouchSubmitted,), restore_touches),
    (MEETINGS_TOPIC, tuple(MEETING_EVENTS), restore_meetings),
    (DEALS_TOPIC, tuple(DEAL_EVENTS), restore_deals),
]


async def _noop(_: Sequence[Any]) -> None:
    return None


async def read_topic(
    bootstrap: str,
    topic: str,
    events: tuple[type[EventModel], ...],
    apply: Callable[[Deliveries], Awaitable[None]],
    *,
    tenant: str | None,
    progress: Progress,
) -> TopicCount:
    """Every record of `topic` from its beginning to where it ended when the reading began,
    checked as the live consumer checks it, handed to `apply` a batch at a time."""
    reader: Subscription[EventModel] = Subscription(
        group="attribution-rebuild", topic=topic, events=events, handler=_noop, description=""
    )
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    count = TopicCount()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        progress.start(topic, sum(ends[p] - starts[p] for p in partitions))
        await consumer.seek_to_beginning(*partitions)
        todo = {p for p in partitions if ends[p] > starts[p]}
        while todo:
            fetched = await consumer.getmany(*todo, timeout_ms=1000, max_records=READ_BATCH)
            batch: list[tuple[str, EventModel]] = []
            for part, records in fetched.items():
                for record in records:
                    if record.offset >= ends[part]:
                        continue
                    count.records += 1
                    try:
                        received = reader.read(record)
                    except (PermanentError, ValueError):
                        count.skipped += 1
                        continue
                    if tenant is None or getattr(received.event, "tenant_id", None) == tenant:
                        batch.append((received.id, received.event))
                progress.advance(len([r for r in records if r.offset < ends[part]]))
            if batch:
                await apply(batch)
            for part in list(todo):
                if await consumer.position(part) >= ends[part]:
                    todo.discard(part)
    finally:
        await consumer.stop()
    return count


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    found = consumer.partitions_for_topic(topic)
    if not found:
        await consumer._client.force_metadata_update()
        found = consumer.partitions_for_topic(topic)
    return set(found or ())


async def copy_configuration(
    source: Callable[[], AttributionUnitOfWork],
    target: Callable[[], AttributionUnitOfWork],
    tenants: Sequence[str],
) -> None:
    """What no topic carries, per tenant: run settings, channel rule versions, currency rates
    (and the tenant itself when the tenant feed did not name it)."""
    async with source() as src:
        rows = await src.attribution.tenant_rows(tenants)
        rules = {t: await src.attribution.rules_history(t) for t in tenants}
        rates = {t: await src.reporting.rates(t) for t in tenants}
    async with target() as dst:
        await dst.attribution.add_missing_tenants(rows)
        for row in rows:
            await dst.tenants.replace_settings(row["tenant_id"], row["settings"])
        for tenant_id in tenants:
            await dst.attribution.restore_rules(rules[tenant_id])
            if rates[tenant_id]:
                await dst.reporting.put_rates(tenant_id, rates[tenant_id], datetime.now(UTC))
        await dst.commit()


async def rebuild(
    target: UnitOfWork,
    *,
    bootstrap: str,
    source: Callable[[], AttributionUnitOfWork] | None,
    tenant: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> RebuildSummary:
    """Reads the topics into the (empty) target and computes every tenant's runs there."""
    progress = progress or Progress()
    async with target("attribution") as probe:
        if not await probe.attribution.is_empty():
            raise TargetNotEmpty("the target database already holds attribution data")
    summary = RebuildSummary()
    for topic, events, restore in TOPICS:

        async def apply(batch: Deliveries, restore: Restore = restore, topic: str = topic) -> None:
            await restore(target(CONSUMERS[topic]), batch)

        summary.topics[topic] = await read_topic(
            bootstrap, topic, events, apply, tenant=tenant, progress=progress
        )
    async with target("attribution") as work:
        tenants = [tenant] if tenant else await work.attribution.tenant_ids()
    if source is not None:
        await copy_configuration(source, lambda: target("attribution"), tenants)
    for tenant_id in tenants:  # leads, under the tenant's final profile (personal domains)
        await rederive_leads(target("attribution"), tenant_id)
    for tenant_id in tenants:
        steps = await recompute_steps(target("attribution"), tenant_id)
        progress.start(f"runs of {tenant_id}", steps)
        summary.tenants[tenant_id] = await recompute_tenant(
            lambda: target("attribution"),
            tenant_id,
            caused_by=f"rebuild:{uuid.uuid4()}",
            batch_size=batch_size,
            publish=False,
            progress=progress.advance,
        )
    return summary
