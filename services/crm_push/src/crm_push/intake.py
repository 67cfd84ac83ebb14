"""Events in: each consumed meeting, deal or attribution event becomes pushes (one per connected
target), written with the inbox claim in one transaction. Nothing here talks to a CRM, so a CRM
outage never slows a consumer; the push worker (pushing.py) does the calls."""

from collections.abc import Sequence
from datetime import UTC, datetime

from crm_push.domain.model import Push, PushStatus
from crm_push.domain.planning import plan_pushes
from crm_push.events import push_result, result_key
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs import tracing
from dealflow_schemas.base import EventModel
from dealflow_schemas.crm import CRM_TOPIC


async def record_events(
    uow: CrmPushUnitOfWork, deliveries: Sequence[tuple[str, EventModel]]
) -> list[Push]:
    """Plans the pushes of every event not seen before; answers the pushes created."""
    now = datetime.now(UTC)
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        tenant_ids = {event.tenant_id for _, event in todo}  # type: ignore[attr-defined]
        connections = await uow.pushes.connections_of(tenant_ids)
        planned: list[Push] = []
        for event_id, event in todo:
            tenant_id: str = event.tenant_id  # type: ignore[attr-defined]
            mine = {target: c for (t, target), c in connections.items() if t == tenant_id}
            pushes = plan_pushes(event_id, event, mine, now)
            envelope = tracing.incoming(event_id)
            if envelope is not None:
                trail = tracing.trail_of(envelope)
                for push in pushes:
                    push.correlation_id, push.traceparent = trail.correlation_id, trail.traceparent
            planned.extend(pushes)
        await uow.pushes.add_pushes(planned)
        for push in planned:
            if push.status == PushStatus.SKIPPED:
                uow.outbox.add(
                    push_result(push),
                    topic=CRM_TOPIC,
                    key=result_key(push),
                    tenant_id=push.tenant_id,
                )
        await uow.commit()
    return planned
