"""All SQL of ingest. Nothing here commits: the unit of work does."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.db.tables import RawEvent, Tenant, delivery_keys, raw_events
from ingest.domain.deliveries import Assessment


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_keys(
        self, tenant_and_keys: Sequence[Assessment]
    ) -> dict[tuple[str, str], uuid.UUID]:
        """Records first deliveries; returns the event id that owns each key (new or earlier)."""
        rows = [
            {
                "tenant_id": a.delivery.tenant_id,
                "dedupe_key": a.dedupe_key,
                "event_id": a.event_id,
                "raw_event_id": a.raw_event_id,
            }
            for a in tenant_and_keys
        ]
        if not rows:
            return {}
        table = delivery_keys
        await self.session.execute(insert(table).on_conflict_do_nothing(), rows)
        pairs = [(r["tenant_id"], r["dedupe_key"]) for r in rows]
        owners = await self.session.execute(
            select(table.c.tenant_id, table.c.dedupe_key, table.c.event_id).where(
                tuple_(table.c.tenant_id, table.c.dedupe_key).in_(pairs)
            )
        )
        return {(t, k): e for t, k, e in owners}

    async def add_raw_events(self, assessments: Sequence[Assessment]) -> None:
        rows = [
            {
                "id": a.raw_event_id,
                "tenant_id": a.delivery.tenant_id,
                "provider": a.delivery.provider.value,
                "trigger": a.trigger,
                "verdict": a.verdict.value,
                "status_code": a.status_code,
                "error": a.error,
                "headers": a.delivery.stored_headers(),
                "body": a.delivery.body,
                "body_truncated": a.delivery.body_truncated,
                "dedupe_key": a.dedupe_key,
                "event_id": a.event_id,
                "replay_of": a.replay_of,
                "received_at": a.delivery.received_at,
            }
            for a in assessments
        ]
        await self.session.execute(insert(raw_events), rows)

    async def get(self, tenant_id: str, raw_event_id: uuid.UUID) -> RawEvent | None:
        return await self.session.scalar(
            select(RawEvent).where(RawEvent.tenant_id == tenant_id, RawEvent.id == raw_event_id)
        )

    async def list(
        self,
        tenant_id: str,
        *,
        provider: str | None,
        trigger: str | None,
        verdict: str | None,
        since: datetime | None,
        until: datetime | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[RawEvent]:
        query: Select[Any] = select(RawEvent).where(RawEvent.tenant_id == tenant_id)
        for column, value in (
            (RawEvent.provider, provider),
            (RawEvent.trigger, trigger),
            (RawEvent.verdict, verdict),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(RawEvent.received_at >= since)
        if until is not None:
            query = query.where(RawEvent.received_at < until)
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(
                    RawEvent.received_at < at,
                    and_(RawEvent.received_at == at, RawEvent.id < last_id),
                )
            )
        query = query.order_by(RawEvent.received_at.desc(), RawEvent.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()


class TenantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str) -> Tenant | None:
        return await self.session.get(Tenant, tenant_id)

    async def by_api_key_hash(self, key_hash: str) -> Tenant | None:
        return await self.session.scalar(
            select(Tenant).where(
                Tenant.api_key_hashes.contains([key_hash]), Tenant.disabled.is_(False)
            )
        )

    async def all(self) -> Sequence[Tenant]:
        return (await self.session.scalars(select(Tenant).order_by(Tenant.tenant_id))).all()

    def add(self, tenant: Tenant) -> None:
        self.session.add(tenant)

    async def touch(self, tenant_id: str, now: datetime) -> None:
        await self.session.execute(
            update(Tenant).where(Tenant.tenant_id == tenant_id).values(updated_at=now)
        )
