"""Kafka subscribers of the attribution service: typed events in, one use case."""

from collections.abc import Callable, Sequence

from attribution import SERVICE
from attribution.deal_events import record_deal_events
from attribution.leads import record_tenant_changes
from attribution.uow import AttributionUnitOfWork
from attribution.use_cases import consume_touches, record_meeting_events
from dealflow_libs.consumer import Received
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas.attribution import TOUCHES_TOPIC, TouchSubmitted
from dealflow_schemas.deals import DEAL_EVENTS, DEALS_TOPIC, DealEvent
from dealflow_schemas.meetings import MEETING_EVENTS, MEETINGS_TOPIC, MeetingEvent
from dealflow_schemas.tenants import TENANTS_TOPIC, TenantChanged


def subscribe_touches(runtime: ServiceRuntime, uow: Callable[[str], AttributionUnitOfWork]) -> None:
    name = f"{SERVICE}-touches"

    async def handle(items: Sequence[Received[TouchSubmitted]]) -> None:
        await consume_touches(uow(name), [(i.id, i.event) for i in items])

    runtime.consume(
        name=name,
        topic=TOUCHES_TOPIC,
        events=[TouchSubmitted],
        handler=handle,
        description="Records touches sent by other systems (the Kafka form of POST /v1/touches).",
    )


def subscribe_meetings(
    runtime: ServiceRuntime, uow: Callable[[str], AttributionUnitOfWork]
) -> None:
    name = f"{SERVICE}-meetings"

    async def handle(items: Sequence[Received[MeetingEvent]]) -> None:
        await record_meeting_events(uow(name), [(i.id, i.event) for i in items])

    runtime.consume(
        name=name,
        topic=MEETINGS_TOPIC,
        events=MEETING_EVENTS,
        handler=handle,
        description="Turns each booking into a touch and publishes MeetingAttributed.",
    )


def subscribe_deals(runtime: ServiceRuntime, uow: Callable[[str], AttributionUnitOfWork]) -> None:
    name = f"{SERVICE}-deals"

    async def handle(items: Sequence[Received[DealEvent]]) -> None:
        await record_deal_events(uow(name), [(i.id, i.event) for i in items])

    runtime.consume(
        name=name,
        topic=DEALS_TOPIC,
        events=DEAL_EVENTS,
        handler=handle,
        description="Attributes won deals (one run per model), supersedes and voids runs.",
    )


def subscribe_tenants(runtime: ServiceRuntime, uow: Callable[[str], AttributionUnitOfWork]) -> None:
    """The tenant feed (as `dealflow_libs.tenant_feed`), with the leads a change of personal
    domains moves."""
    name = f"{SERVICE}-tenants"

    async def handle(items: Sequence[Received[TenantChanged]]) -> None:
        await record_tenant_changes(uow(name), [(i.id, i.event) for i in items])

    runtime.consume(
        name=name,
        topic=TENANTS_TOPIC,
        events=[TenantChanged],
        handler=handle,
        description="Keeps this service's copy of tenants (API keys, currency, personal domains) "
        "current; a change of personal domains derives the tenant's leads again.",
    )
