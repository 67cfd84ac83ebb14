"""All SQL of crm_push. Methods take and return domain objects and never commit."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from crm_push.db.tables import applied_versions, connections, external_ids, push_calls, pushes
from crm_push.domain.model import Connection, CrmIds, Operation, Push, PushStatus
from crm_push.providers.base import Provider
from crm_push.providers.transport import CallRecord
from dealflow_libs.db import any_of
from dealflow_libs.pagination import keyset_page
from dealflow_schemas.crm import ConnectionStatus, PushEntity, PushTarget


def _connection(row: RowMapping) -> Connection:
    return Connection(
        tenant_id=row["tenant_id"],
        target=PushTarget(row["target"]),
        provider=Provider(row["provider"]),
        status=ConnectionStatus(row["status"]),
        status_reason=row["status_reason"],
        credentials=row["credentials"],
        token_expires_at=row["token_expires_at"],
        account_id=row["account_id"],
        config=dict(row["config"] or {}),
        connected_at=row["connected_at"],
        updated_at=row["updated_at"],
    )


def _push(row: RowMapping) -> Push:
    return Push(
        id=row["id"],
        seq=row["seq"],
        tenant_id=row["tenant_id"],
        target=PushTarget(row["target"]),
        provider=Provider(row["provider"]) if row["provider"] else None,
        entity=PushEntity(row["entity"]),
        entity_id=row["entity_id"],
        meeting_id=row["meeting_id"],
        deal_id=row["deal_id"],
        source_event_id=row["source_event_id"],
        source_event_type=row["source_event_type"],
        operation=Operation(row["operation"]),
        correlation_id=row["correlation_id"],
        traceparent=row["traceparent"],
        payload=row["payload"],
        version=row["version"],
        status=PushStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        recover=row["recover"],
        reason=row["reason"],
        error=row["error"],
        error_code=row["error_code"],
        ids=CrmIds(
            contact_id=row["crm_contact_id"],
            org_id=row["crm_org_id"],
            deal_id=row["crm_deal_id"],
            activity_id=row["crm_activity_id"],
            notion_page_id=row["notion_page_id"],
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        completed_at=row["completed_at"],
    )


def _push_values(push: Push) -> dict[str, Any]:
    return {
        "id": push.id,
        "tenant_id": push.tenant_id,
        "target": push.target.value,
        "provider": push.provider.value if push.provider else None,
        "entity": push.entity.value,
        "entity_id": push.entity_id,
        "meeting_id": push.meeting_id,
        "deal_id": push.deal_id,
        "source_event_id": push.source_event_id,
        "source_event_type": push.source_event_type,
        "operation": push.operation.value,
        "correlation_id": push.correlation_id,
        "traceparent": push.traceparent,
        "payload": push.payload,
        "version": push.version,
        **_push_state(push),
        "created_at": push.created_at,
    }


def _push_state(push: Push) -> dict[str, Any]:
    """The columns a push attempt changes."""
    return {
        "status": push.status.value,
        "attempts": push.attempts,
        "next_attempt_at": push.next_attempt_at,
        "recover": push.recover,
        "reason": push.reason,
        "error": push.error,
        "error_code": push.error_code,
        "crm_contact_id": push.ids.contact_id,
        "crm_org_id": push.ids.org_id,
        "crm_deal_id": push.ids.deal_id,
        "crm_activity_id": push.ids.activity_id,
        "notion_page_id": push.ids.notion_page_id,
        "updated_at": push.updated_at,
        "completed_at": push.completed_at,
    }


#: Error statuses that are answers, not failures, in the push log (lookups that found nothing,
#: creates that found the record existing).
ANSWERS = (404, 409)


@dataclass(frozen=True)
class ExternalId:
    external_id: str
    parent_id: str | None = None


@dataclass(frozen=True)
class PushFilter:
    status: PushStatus | None = None
    meeting_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    operation: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class PushRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- connections -----------------------------------------------------------------------

    async def connections_of(
        self, tenant_ids: Iterable[str]
    ) -> dict[tuple[str, PushTarget], Connection]:
        rows = await self.session.execute(
            select(connections).where(any_of(connections.c.tenant_id, set(tenant_ids)))
        )
        found = (_connection(r) for r in rows.mappings())
        return {(c.tenant_id, c.target): c for c in found}

    async def connection(
        self, tenant_id: str, target: PushTarget, *, lock: bool = False
    ) -> Connection | None:
        query = select(connections).where(
            connections.c.tenant_id == tenant_id, connections.c.target == target.value
        )
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _connection(row) if row else None

    async def connections_for_update(self) -> list[Connection]:
        rows = await self.session.execute(
            select(connections).order_by(connections.c.tenant_id).with_for_update()
        )
        return [_connection(r) for r in rows.mappings()]

    async def save_connection(self, connection: Connection) -> None:
        values = {
            "tenant_id": connection.tenant_id,
            "target": connection.target.value,
            "provider": connection.provider.value,
            "status": connection.status.value,
            "status_reason": connection.status_reason,
            "credentials": connection.credentials,
            "token_expires_at": connection.token_expires_at,
            "account_id": connection.account_id,
            "config": connection.config,
            "connected_at": connection.connected_at,
            "updated_at": connection.updated_at,
        }
        statement = insert(connections).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[connections.c.tenant_id, connections.c.target],
                set_={k: statement.excluded[k] for k in values if k not in ("tenant_id", "target")},
            )
        )

    # --- leases: one worker runs a connection's pushes at a time -----------------------------

    async def lease_due_connections(
        self, owner: str, now: datetime, lease: timedelta
    ) -> list[tuple[str, PushTarget, bool]]:
        """Leases every connected connection with due pushes that nobody else holds; answers
        (tenant, target, taken_over) where taken_over means another worker held it before
        (its running pushes are then pending again, `recover` set)."""
        due = exists().where(
            pushes.c.tenant_id == connections.c.tenant_id,
            pushes.c.target == connections.c.target,
            pushes.c.status.in_([PushStatus.PENDING.value, PushStatus.RUNNING.value]),
            pushes.c.next_attempt_at <= now,
        )
        rows = await self.session.execute(
            select(connections.c.tenant_id, connections.c.target, connections.c.lease_owner)
            .where(
                connections.c.status == ConnectionStatus.CONNECTED.value,
                or_(
                    connections.c.lease_until.is_(None),
                    connections.c.lease_until < now,
                    connections.c.lease_owner == owner,
                ),
                due,
            )
            .with_for_update(skip_locked=True)
        )
        leased = [(r.tenant_id, PushTarget(r.target), r.lease_owner != owner) for r in rows]
        for tenant_id, target, taken_over in leased:
            await self._set_lease(tenant_id, target, owner, now + lease)
            if taken_over:
                await self.session.execute(
                    update(pushes)
                    .where(
                        pushes.c.tenant_id == tenant_id,
                        pushes.c.target == target.value,
                        pushes.c.status == PushStatus.RUNNING.value,
                    )
                    .values(status=PushStatus.PENDING.value, recover=True)
                )
        return leased

    async def renew_lease(
        self, tenant_id: str, target: PushTarget, owner: str, until: datetime
    ) -> bool:
        result = await self.session.execute(
            update(connections)
            .where(
                connections.c.tenant_id == tenant_id,
                connections.c.target == target.value,
                connections.c.lease_owner == owner,
            )
            .values(lease_until=until)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_lease(self, tenant_id: str, target: PushTarget, owner: str) -> None:
        await self.session.execute(
            update(connections)
            .where(
                connections.c.tenant_id == tenant_id,
                connections.c.target == target.value,
                connections.c.lease_owner == owner,
            )
            .values(lease_owner=None, lease_until=None)
        )

    async def _set_lease(
        self, tenant_id: str, target: PushTarget, owner: str, until: datetime
    ) -> None:
        await self.session.execute(
            update(connections)
            .where(connections.c.tenant_id == tenant_id, connections.c.target == target.value)
            .values(lease_owner=owner, lease_until=until)
        )

    # --- pushes ------------------------------------------------------------------------------

    async def add_pushes(self, new: Sequence[Push]) -> None:
        if new:
            await self.session.execute(insert(pushes), [_push_values(p) for p in new])

    async def claim_due(
        self,
        tenant_id: str,
        target: PushTarget,
        now: datetime,
        limit: int,
    ) -> list[Push]:
        """Marks running and returns the due pushes that are first in line for their entity
        (no earlier push of the same entity pending or running), oldest first."""
        # First in line = the entity's lowest pending/running seq, read from the entity index
        # (ORDER BY seq LIMIT 1 per candidate): an anti-join let the planner scan every pending
        # push per candidate (300 ms with 1,000 pending).
        earlier = pushes.alias("earlier")
        head = (
            select(earlier.c.seq)
            .where(
                earlier.c.tenant_id == pushes.c.tenant_id,
                earlier.c.target == pushes.c.target,
                earlier.c.entity_id == pushes.c.entity_id,
                earlier.c.status.in_([PushStatus.PENDING.value, PushStatus.RUNNING.value]),
            )
            .order_by(earlier.c.seq)
            .limit(1)
            .scalar_subquery()
        )
        first_in_line = pushes.c.seq == head
        conditions = [
            pushes.c.tenant_id == tenant_id,
            pushes.c.target == target.value,
            pushes.c.status == PushStatus.PENDING.value,
            pushes.c.next_attempt_at <= now,
            first_in_line,
        ]
        chosen = (
            select(pushes.c.id)
            .where(and_(*conditions))
            .order_by(pushes.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            update(pushes)
            .where(pushes.c.id.in_(chosen))
            .values(status=PushStatus.RUNNING.value, updated_at=now)
            .returning(*pushes.c)
        )
        return sorted((_push(r) for r in rows.mappings()), key=lambda p: p.seq or 0)

    async def latest_push(
        self, tenant_id: str, target: PushTarget, entity_id: str, operation: Operation
    ) -> Push | None:
        """The entity's newest push of this operation (its latest state as an event gave it)."""
        row = (
            (
                await self.session.execute(
                    select(pushes)
                    .where(
                        pushes.c.tenant_id == tenant_id,
                        pushes.c.target == target.value,
                        pushes.c.entity_id == uuid.UUID(entity_id),
                        pushes.c.operation == operation.value,
                    )
                    .order_by(pushes.c.seq.desc())
                    .limit(1)
                )
            )
            .mappings()
            .first()
        )
        return _push(row) if row else None

    async def waiting_pushes(self, tenant_id: str, target: PushTarget) -> list[Push]:
        rows = await self.session.execute(
            select(pushes)
            .where(
                pushes.c.tenant_id == tenant_id,
                pushes.c.target == target.value,
                pushes.c.status.in_([PushStatus.PENDING.value, PushStatus.RUNNING.value]),
            )
            .order_by(pushes.c.seq)
            .with_for_update()
        )
        return [_push(r) for r in rows.mappings()]

    async def reset_running(self, tenant_id: str, target: PushTarget) -> int:
        """Pushes left running by a worker that stopped: pending again, `recover` set (their
        creates may have happened)."""
        result = await self.session.execute(
            update(pushes)
            .where(
                pushes.c.tenant_id == tenant_id,
                pushes.c.target == target.value,
                pushes.c.status == PushStatus.RUNNING.value,
            )
            .values(status=PushStatus.PENDING.value, recover=True)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def next_due_at(self, tenant_id: str, target: PushTarget) -> datetime | None:
        return await self.session.scalar(
            select(func.min(pushes.c.next_attempt_at)).where(
                pushes.c.tenant_id == tenant_id,
                pushes.c.target == target.value,
                pushes.c.status == PushStatus.PENDING.value,
            )
        )

    async def save_push_state(self, push: Push) -> None:
        await self.save_push_states([push])

    async def save_push_states(self, changed: Sequence[Push]) -> None:
        """One statement for many pushes (executemany)."""
        if changed:
            await self.session.execute(
                update(pushes).where(pushes.c.id == bindparam("push_id")),
                [{"push_id": p.id, **_push_state(p)} for p in changed],
            )

    async def push(self, tenant_id: str, push_id: uuid.UUID, *, lock: bool = False) -> Push | None:
        query = select(pushes).where(pushes.c.tenant_id == tenant_id, pushes.c.id == push_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _push(row) if row else None

    async def list_pushes(
        self,
        tenant_id: str,
        where: PushFilter,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Push]:
        """Newest first, keyset-paged on (created_at, id)."""
        rows = await self.session.execute(pushes_query(tenant_id, where, after, limit))
        return [_push(r) for r in rows.mappings()]

    async def parked(self, tenant_id: str | None, limit: int) -> list[Push]:
        query = select(pushes).where(pushes.c.status == PushStatus.PARKED.value)
        if tenant_id is not None:
            query = query.where(pushes.c.tenant_id == tenant_id)
        rows = await self.session.execute(query.order_by(pushes.c.seq).limit(limit))
        return [_push(r) for r in rows.mappings()]

    async def counts_by_status(self, tenant_id: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(pushes.c.status, func.count())
            .where(pushes.c.tenant_id == tenant_id)
            .group_by(pushes.c.status)
        )
        return {status: count for status, count in rows}

    # --- the push log: one row per HTTP call -------------------------------------------------

    async def add_calls(self, attempts: Iterable[tuple[Push, Sequence[CallRecord]]]) -> None:
        """The calls of push attempts (each numbered by its push's `attempts`)."""
        rows = [
            {
                "push_id": push.id,
                "tenant_id": push.tenant_id,
                "provider": push.provider.value,
                "meeting_id": push.meeting_id,
                "deal_id": push.deal_id,
                "attempt": push.attempts,
                "operation": c.operation,
                "method": c.method,
                "path": c.path,
                "request_body": c.request_body,
                "status": c.status,
                "response_body": c.response_body,
                "error_code": c.error_code,
                "error_message": c.error_message,
                "duration_ms": c.duration_ms,
                "crm_id": c.crm_id,
                "started_at": c.started_at,
            }
            for push, calls in attempts
            if push.provider is not None
            for c in calls
        ]
        if rows:
            await self.session.execute(insert(push_calls), rows)

    async def calls(self, tenant_id: str, **filters: Any) -> list[RowMapping]:
        """Push-log rows, newest first."""
        rows = await self.session.execute(calls_query(tenant_id, **filters))
        return list(rows.mappings())

    async def call(self, tenant_id: str, call_id: int) -> RowMapping | None:
        row = await self.session.execute(
            select(push_calls).where(
                push_calls.c.tenant_id == tenant_id, push_calls.c.id == call_id
            )
        )
        return row.mappings().first()

    # --- external ids and applied versions ---------------------------------------------------

    async def external_ids(
        self, tenant_id: str, provider: Provider, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], ExternalId]:
        wanted = set(keys)
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(external_ids).where(
                external_ids.c.tenant_id == tenant_id,
                external_ids.c.provider == provider.value,
                any_of(external_ids.c.local_key, {key for _, key in wanted}),
            )
        )
        found = {
            (r["entity"], r["local_key"]): ExternalId(r["external_id"], r["parent_id"])
            for r in rows.mappings()
        }
        return {k: v for k, v in found.items() if k in wanted}

    async def remember_ids(
        self,
        tenant_id: str,
        provider: Provider,
        ids: Mapping[tuple[str, str], ExternalId],
        now: datetime,
    ) -> None:
        if not ids:
            return
        statement = insert(external_ids).values(
            [
                {
                    "tenant_id": tenant_id,
                    "provider": provider.value,
                    "entity": entity,
                    "local_key": key,
                    "external_id": value.external_id,
                    "parent_id": value.parent_id,
                    "updated_at": now,
                }
                for (entity, key), value in ids.items()
            ]
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    external_ids.c.tenant_id,
                    external_ids.c.provider,
                    external_ids.c.entity,
                    external_ids.c.local_key,
                ],
                set_={
                    "external_id": statement.excluded.external_id,
                    "parent_id": statement.excluded.parent_id,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )

    async def forget_ids(self, tenant_id: str, provider: Provider) -> None:
        """A connection to another account of a CRM: the old ids mean nothing there."""
        await self.session.execute(
            external_ids.delete().where(
                external_ids.c.tenant_id == tenant_id, external_ids.c.provider == provider.value
            )
        )

    async def applied_versions(
        self, tenant_id: str, target: PushTarget, entity_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[datetime, uuid.UUID]]:
        """The state applied per entity (version, push), for those that have one."""
        wanted = set(entity_ids)
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(
                applied_versions.c.entity_id, applied_versions.c.version, applied_versions.c.push_id
            ).where(
                applied_versions.c.tenant_id == tenant_id,
                applied_versions.c.target == target.value,
                any_of(applied_versions.c.entity_id, wanted),
            )
        )
        return {r.entity_id: (r.version, r.push_id) for r in rows}

    async def set_applied_versions(self, applied: Iterable[Push]) -> None:
        """Records the states these pushes applied; never moves back (the newer is kept)."""
        newest: dict[tuple[str, str, uuid.UUID], Push] = {}
        for push in applied:
            key = (push.tenant_id, push.target.value, push.entity_id)
            if key not in newest or newest[key].version <= push.version:
                newest[key] = push
        if not newest:
            return
        statement = insert(applied_versions).values(
            [
                {
                    "tenant_id": tenant_id,
                    "target": target,
                    "entity_id": entity_id,
                    "version": push.version,
                    "push_id": push.id,
                }
                for (tenant_id, target, entity_id), push in newest.items()
            ]
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    applied_versions.c.tenant_id,
                    applied_versions.c.target,
                    applied_versions.c.entity_id,
                ],
                set_={"version": statement.excluded.version, "push_id": statement.excluded.push_id},
                where=applied_versions.c.version <= statement.excluded.version,
            )
        )


def pushes_query(
    tenant_id: str, where: PushFilter, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Select[Any]:
    """A page of a tenant's pushes, newest first."""
    c = pushes.c
    query = select(pushes).where(c.tenant_id == tenant_id)
    for column, value in (
        (c.status, where.status.value if where.status else None),
        (c.meeting_id, where.meeting_id),
        (c.deal_id, where.deal_id),
        (c.operation, where.operation),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(c.created_at >= where.since)
    if where.until is not None:
        query = query.where(c.created_at < where.until)
    return keyset_page(query, c.created_at, c.id, after, limit)


def calls_query(
    tenant_id: str,
    *,
    push_id: uuid.UUID | None = None,
    meeting_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
    operation: str | None = None,
    failed: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> Select[Any]:
    """A page of a tenant's push log, newest first (keyset on (started_at, id); every filter
    optional)."""
    query = select(push_calls).where(push_calls.c.tenant_id == tenant_id)
    for column, value in (
        (push_calls.c.push_id, push_id),
        (push_calls.c.meeting_id, meeting_id),
        (push_calls.c.deal_id, deal_id),
        (push_calls.c.operation, operation),
    ):
        if value is not None:
            query = query.where(column == value)
    # 404 and 409 are answers the adapters act on (not found: create; exists: use it).
    answered = push_calls.c.status.in_(ANSWERS)
    if failed is True:
        query = query.where(
            or_(push_calls.c.status.is_(None), and_(push_calls.c.status >= 400, ~answered))
        )
    elif failed is False:
        query = query.where(or_(push_calls.c.status < 400, answered))
    if since is not None:
        query = query.where(push_calls.c.started_at >= since)
    if until is not None:
        query = query.where(push_calls.c.started_at < until)
    return keyset_page(query, push_calls.c.started_at, push_calls.c.id, after, limit)
