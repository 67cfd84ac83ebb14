"""All SQL of ingest. Nothing here commits: the unit of work does."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, and_, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.db.tables import RawEvent, Tenant, delivery_keys, raw_events
from ingest.domain.deliveries import Assessment


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, assessments: Sequence[Assessment]
    ) -> list[tuple[bool, uuid.UUID | None]]:
        """Stores a batch of deliveries in one statement and claims the accepted ones' dedupe keys.

        Returns, per delivery, (won, owner): `won` is True for an accepted delivery that claimed
        its key (publish it); otherwise `owner` is the event id that holds the key already
        (None when that holder was not committed yet as the statement began: ask `owners`).
        Accepted deliveries that lost are stored as duplicates.
        """
        columns = dict(
            zip(_RECORD_COLUMNS, zip(*(_raw_row(a) for a in assessments), strict=True), strict=True)
        )
        rows = await self.session.execute(
            _RECORD_SQL, {name: list(values) for name, values in columns.items()}
        )
        return [(won, owner) for won, owner in rows]

    async def owners(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], uuid.UUID]:
        table = delivery_keys
        found = await self.session.execute(
            select(table.c.tenant_id, table.c.dedupe_key, table.c.event_id).where(
                tuple_(table.c.tenant_id, table.c.dedupe_key).in_(list(keys))
            )
        )
        return {(t, k): e for t, k, e in found}

    async def set_event_ids(self, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> None:
        for raw_event_id, event_id in pairs:
            await self.session.execute(
                update(raw_events).where(raw_events.c.id == raw_event_id).values(event_id=event_id)
            )

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


def _raw_row(a: Assessment) -> tuple[Any, ...]:
    return (
        a.raw_event_id, a.delivery.tenant_id, a.delivery.provider.value, a.trigger, a.verdict.value,
        a.status_code, a.error, orjson.dumps(a.delivery.stored_headers()).decode(), a.delivery.body,
        a.delivery.body_truncated, a.dedupe_key, a.event_id, a.replay_of, a.delivery.received_at,
    )  # fmt: skip


# One round trip per batch: unnest the batch, claim the accepted deliveries' keys, store every
# delivery (losers of the claim as duplicates pointing at the owner), report who won.
_RECORD_COLUMNS = (
    "id",
    "tenant_id",
    "provider",
    "trigger",
    "verdict",
    "status_code",
    "error",
    "headers",
    "body",
    "body_truncated",
    "dedupe_key",
    "event_id",
    "replay_of",
    "received_at",
)
_RECORD_SQL = text("""
WITH input AS (
    SELECT * FROM unnest(
        CAST(:id AS uuid[]),
        CAST(:tenant_id AS text[]),
        CAST(:provider AS text[]),
        CAST(:trigger AS text[]),
        CAST(:verdict AS text[]),
        CAST(:status_code AS int[]),
        CAST(:error AS text[]),
        CAST(:headers AS jsonb[]),
        CAST(:body AS bytea[]),
        CAST(:body_truncated AS bool[]),
        CAST(:dedupe_key AS text[]),
        CAST(:event_id AS uuid[]),
        CAST(:replay_of AS uuid[]),
        CAST(:received_at AS timestamptz[])
    ) WITH ORDINALITY AS i(id, tenant_id, provider, trigger, verdict, status_code, error, headers,
                           body, body_truncated, dedupe_key, event_id, replay_of, received_at, n)
), claimed AS (
    INSERT INTO delivery_keys (tenant_id, dedupe_key, event_id, raw_event_id)
    SELECT tenant_id, dedupe_key, event_id, id FROM input WHERE verdict = 'accepted' ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, dedupe_key, event_id, raw_event_id
), decided AS (
    SELECT i.*, c.raw_event_id IS NOT NULL AS won,
           COALESCE(c2.event_id, k.event_id) AS owner
    FROM input i
    LEFT JOIN claimed c ON c.raw_event_id = i.id
    LEFT JOIN claimed c2 ON c2.tenant_id = i.tenant_id AND c2.dedupe_key = i.dedupe_key
    LEFT JOIN delivery_keys k ON k.tenant_id = i.tenant_id AND k.dedupe_key = i.dedupe_key
), stored AS (
    INSERT INTO raw_events (id, tenant_id, provider, trigger, verdict, status_code, error, headers,
                            body, body_truncated, dedupe_key, event_id, replay_of, received_at)
    SELECT id, tenant_id, provider, trigger,
           CASE WHEN verdict = 'accepted' AND NOT won THEN 'duplicate' ELSE verdict END,
           CASE WHEN verdict = 'accepted' AND NOT won THEN 200 ELSE status_code END,
           error, headers, body, body_truncated, dedupe_key,
           CASE WHEN verdict = 'accepted' AND NOT won THEN owner ELSE event_id END,
           replay_of, received_at
    FROM decided
)
SELECT won, owner FROM decided ORDER BY n
""")
