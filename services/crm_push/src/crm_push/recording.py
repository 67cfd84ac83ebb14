"""What a push attempt leaves behind, in one transaction each: the push's new state, its calls
in the push log, the ids learned, the state applied, and the result event when it ended."""

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from crm_push import metrics
from crm_push.domain.model import VERSIONED, Operation, Push, PushStatus
from crm_push.domain.retry import RetryPolicy, parks_connection
from crm_push.events import connection_changed, push_result, result_key
from crm_push.providers.transport import CallRecord, ProviderError
from crm_push.sync import Outcome
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs import tracing
from dealflow_libs.ids import new_id
from dealflow_schemas.crm import CRM_TOPIC, ConnectionStatus, PushTarget


def _publish_result(uow: CrmPushUnitOfWork, push: Push) -> None:
    provider = push.provider.value if push.provider else "none"
    metrics.PUSHES.labels(provider, push.status.value).inc()
    trail = {push.source_event_id: tracing.TraceContext(push.correlation_id, push.traceparent)}
    with tracing.caused(trail):
        uow.outbox.add(
            push_result(push), topic=CRM_TOPIC, key=result_key(push), tenant_id=push.tenant_id
        )


def _end(push: Push, status: PushStatus, now: datetime) -> None:
    push.status = status
    push.completed_at = now
    push.updated_at = now


async def superseded(uow: CrmPushUnitOfWork, push: Push, newer: Push | str) -> None:
    """An older state than the one the CRM already has: ends skipped, writes nothing."""
    now = datetime.now(UTC)
    async with uow:
        push.reason = f"superseded: a newer state was already pushed ({newer})"
        _end(push, PushStatus.SKIPPED, now)
        await uow.pushes.save_push_state(push)
        _publish_result(uow, push)
        await uow.commit()


async def succeeded(
    uow: CrmPushUnitOfWork, push: Push, outcome: Outcome, calls: Sequence[CallRecord]
) -> None:
    now = datetime.now(UTC)
    push.attempts += 1
    async with uow:
        push.ids = outcome.ids
        push.reason = outcome.skipped or outcome.reason
        push.error = push.error_code = None
        _end(push, PushStatus.SKIPPED if outcome.skipped else PushStatus.SUCCEEDED, now)
        await uow.pushes.save_push_state(push)
        await uow.pushes.add_calls(push, push.attempts, calls)
        if push.provider is not None:
            await uow.pushes.remember_ids(push.tenant_id, push.provider, outcome.learned, now)
        if push.operation in VERSIONED and not outcome.skipped:
            await uow.pushes.set_applied_version(
                push.tenant_id, push.target, push.entity_id, push.version, push.id
            )
        await _relink(uow, push, outcome.relink_meetings, now)
        _publish_result(uow, push)
        await uow.commit()


async def _relink(
    uow: CrmPushUnitOfWork, push: Push, meeting_ids: Sequence[str], now: datetime
) -> None:
    """A deal pushed after its meetings' activities: each of them is pushed again (its latest
    state), which links it to the deal."""
    for meeting_id in meeting_ids:
        latest = await uow.pushes.latest_push(
            push.tenant_id, PushTarget.CRM, meeting_id, Operation.SYNC_MEETING
        )
        if latest is None:
            continue
        again = Push(
            id=new_id(),
            tenant_id=latest.tenant_id,
            target=latest.target,
            provider=push.provider,
            entity=latest.entity,
            entity_id=latest.entity_id,
            meeting_id=latest.meeting_id,
            deal_id=push.deal_id,
            source_event_id=latest.source_event_id,
            source_event_type=latest.source_event_type,
            operation=latest.operation,
            correlation_id=latest.correlation_id,
            traceparent=latest.traceparent,
            payload=latest.payload,
            version=latest.version,
            status=PushStatus.PENDING,
            reason=f"linking to the deal of push {push.id}",
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
        )
        await uow.pushes.add_pushes([again])


async def failed(
    uow: CrmPushUnitOfWork,
    push: Push,
    error: ProviderError,
    calls: Sequence[CallRecord],
    policy: RetryPolicy,
    rng: random.Random,
) -> bool:
    """Records a failed attempt: retried later, parked, or (credentials refused) waiting for a
    reconnect with the connection marked `error`. Answers whether the connection was marked."""
    now = datetime.now(UTC)
    push.attempts += 1
    push.recover = True  # a create may have happened without its answer reaching us
    push.error, push.error_code = error.message, error.code or error.kind.value
    push.updated_at = now
    marked = False
    async with uow:
        if parks_connection(error):
            marked = await _mark_connection(uow, push, error, now)
            push.status = PushStatus.PENDING
            push.next_attempt_at = now
        elif policy.gives_up(push.attempts, error):
            push.reason = f"parked after {push.attempts} attempt(s): {error.kind.value}"
            _end(push, PushStatus.PARKED, now)
            _publish_result(uow, push)
        else:
            push.status = PushStatus.PENDING
            push.next_attempt_at = now + timedelta(seconds=policy.delay(push.attempts, error, rng))
        await uow.pushes.save_push_state(push)
        await uow.pushes.add_calls(push, push.attempts, calls)
        await uow.commit()
    return marked


async def broken(uow: CrmPushUnitOfWork, push: Push, error: Exception) -> None:
    """A push that cannot run at all (its stored event no longer reads, a bug): parked at once
    with the reason, so it neither blocks its entity nor spins."""
    now = datetime.now(UTC)
    async with uow:
        push.attempts += 1
        push.error, push.error_code = f"{type(error).__name__}: {error}"[:1000], "internal"
        push.reason = "parked: the push could not run"
        _end(push, PushStatus.PARKED, now)
        await uow.pushes.save_push_state(push)
        _publish_result(uow, push)
        await uow.commit()


async def _mark_connection(
    uow: CrmPushUnitOfWork, push: Push, error: ProviderError, now: datetime
) -> bool:
    """Marks the connection `error` (unless a refused token refresh did already); answers
    whether it is in error now, which stops its runner."""
    connection = await uow.pushes.connection(push.tenant_id, push.target, lock=True)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return False
    if connection.status == ConnectionStatus.ERROR:
        return True
    connection.status = ConnectionStatus.ERROR
    connection.status_reason = f"credentials refused: {error.message}"[:1000]
    connection.updated_at = now
    await uow.pushes.save_connection(connection)
    uow.outbox.add(
        connection_changed(connection, now),
        topic=CRM_TOPIC,
        key=connection.tenant_id,
        tenant_id=connection.tenant_id,
    )
    return True
