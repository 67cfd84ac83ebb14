"""What a push attempt leaves behind: the push's new state, its calls in the push log, the ids
learned, the state applied, and the result event when it ended.

An attempt's result is worked out here without the database (`succeeded`, `failed`,
`superseded`, `broken` change the push and answer a `Result`); `write_results` writes the
results of many attempts in one transaction (the worker's group commit). Credentials refused
(`credentials_refused`) are written at once, alone: they mark the connection and stop its runner.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crm_push import metrics
from crm_push.db.repository import ExternalId
from crm_push.domain.model import VERSIONED, Operation, Push, PushStatus
from crm_push.domain.retry import RetryPolicy
from crm_push.events import connection_changed, push_result, result_key
from crm_push.providers.base import Provider
from crm_push.providers.transport import CallRecord, ProviderError
from crm_push.sync import Key, Outcome
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs import tracing
from dealflow_libs.ids import new_id
from dealflow_schemas.crm import CRM_TOPIC, ConnectionStatus, PushTarget


@dataclass
class Result:
    """What one attempt writes: the push's state (always), and the rest when there is any."""

    push: Push
    calls: Sequence[CallRecord] = ()
    learned: dict[Key, ExternalId] = field(default_factory=dict)
    applied: bool = False
    """The push's state is now the entity's state in the CRM (its version is recorded)."""
    relink_meetings: Sequence[str] = ()
    publish: bool = False
    """The push ended: its result event goes out."""


async def write_results(uow: CrmPushUnitOfWork, results: Sequence[Result]) -> None:
    """Writes the results in one transaction, a statement per kind of row for all of them."""
    now = datetime.now(UTC)
    async with uow:
        await uow.pushes.save_push_states([r.push for r in results])
        await uow.pushes.add_calls((r.push, r.calls) for r in results if r.calls)
        learned: dict[tuple[str, Provider], dict[Key, ExternalId]] = {}
        for r in results:  # in the order they ended: a later push's id wins
            if r.learned and r.push.provider is not None:
                learned.setdefault((r.push.tenant_id, r.push.provider), {}).update(r.learned)
        for (tenant_id, provider), ids in learned.items():
            await uow.pushes.remember_ids(tenant_id, provider, ids, now)
        await uow.pushes.set_applied_versions(r.push for r in results if r.applied)
        for r in results:
            await _relink(uow, r.push, r.relink_meetings, now)
            if r.publish:
                _publish_result(uow, r.push)
        await uow.commit()


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


def superseded(push: Push, newer: Push | str) -> Result:
    """An older state than the one the CRM already has: ends skipped, writes nothing."""
    push.reason = f"superseded: a newer state was already pushed ({newer})"
    _end(push, PushStatus.SKIPPED, datetime.now(UTC))
    return Result(push, publish=True)


def succeeded(push: Push, outcome: Outcome, calls: Sequence[CallRecord]) -> Result:
    push.attempts += 1
    push.ids = outcome.ids
    push.reason = outcome.skipped or outcome.reason
    push.error = push.error_code = None
    _end(push, PushStatus.SKIPPED if outcome.skipped else PushStatus.SUCCEEDED, datetime.now(UTC))
    return Result(
        push,
        calls,
        learned=outcome.learned if push.provider is not None else {},
        applied=push.operation in VERSIONED and not outcome.skipped,
        relink_meetings=outcome.relink_meetings,
        publish=True,
    )


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


def _failed_attempt(push: Push, error: ProviderError, now: datetime) -> None:
    push.attempts += 1
    push.recover = True  # a create may have happened without its answer reaching us
    push.error, push.error_code = error.message, error.code or error.kind.value
    push.updated_at = now


def failed(
    push: Push,
    error: ProviderError,
    calls: Sequence[CallRecord],
    policy: RetryPolicy,
    rng: random.Random,
) -> Result:
    """A failed attempt the push itself answers for: retried later, or parked."""
    now = datetime.now(UTC)
    _failed_attempt(push, error, now)
    if policy.gives_up(push.attempts, error):
        push.reason = f"parked after {push.attempts} attempt(s): {error.kind.value}"
        _end(push, PushStatus.PARKED, now)
        return Result(push, calls, publish=True)
    push.status = PushStatus.PENDING
    push.next_attempt_at = now + timedelta(seconds=policy.delay(push.attempts, error, rng))
    return Result(push, calls)


async def credentials_refused(
    uow: CrmPushUnitOfWork, push: Push, error: ProviderError, calls: Sequence[CallRecord]
) -> bool:
    """The CRM refused the credentials: the push waits for a reconnect, the connection is
    marked `error`. Answers whether it is marked (its runner then stops)."""
    now = datetime.now(UTC)
    _failed_attempt(push, error, now)
    push.status = PushStatus.PENDING
    push.next_attempt_at = now
    async with uow:
        marked = await _mark_connection(uow, push, error, now)
        await uow.pushes.save_push_state(push)
        await uow.pushes.add_calls([(push, calls)])
        await uow.commit()
    return marked


def broken(push: Push, error: Exception) -> Result:
    """A push that cannot run at all (its stored event no longer reads, a bug): parked at once
    with the reason, so it neither blocks its entity nor spins."""
    push.attempts += 1
    return _parked_internal(push, "parked: the push could not run", error)


def unwritable(push: Push, error: Exception) -> Result:
    """An attempt whose result the database refused (one push's refused row never holds the
    others' in a group commit): parked with the reason instead, its calls and ids dropped."""
    return _parked_internal(push, "parked: its result could not be written", error)


def _parked_internal(push: Push, reason: str, error: Exception) -> Result:
    push.error, push.error_code = f"{type(error).__name__}: {error}"[:1000], "internal"
    push.reason = reason
    _end(push, PushStatus.PARKED, datetime.now(UTC))
    return Result(push, publish=True)


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
