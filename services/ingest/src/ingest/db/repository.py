"""All SQL of ingest. Nothing here commits: the unit of work does."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from dealflow_libs.pagination import keyset_page
from dealflow_schemas.bounded import ID, NAME, TEXT
from ingest.db.tables import RawEvent, Tenant, raw_events
from ingest.domain.deliveries import Assessment, KeyClaim, KeyHolder, audit_text


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, claims: Sequence[KeyClaim]) -> dict[tuple[str, str], KeyHolder]:
        """Claims dedupe keys for accepted deliveries; returns every key's holder.

        A key already held (or claimed by a transaction that commits while this one waits) keeps
        its holder; the caller compares the holder's raw event id with its own to know who won.
        Keys go in sorted order so two concurrent batches never wait for each other in a cycle.
        """
        if not claims:
            return {}
        ordered = sorted(claims, key=lambda c: (c.tenant_id, c.dedupe_key))
        rows = await self.session.execute(
            _CLAIM_SQL,
            {
                "tenant_id": [c.tenant_id for c in ordered],
                "dedupe_key": [c.dedupe_key for c in ordered],
                "event_id": [c.event_id for c in ordered],
                "raw_event_id": [c.raw_event_id for c in ordered],
            },
        )
        return {(t, k): KeyHolder(event_id, raw_id) for t, k, event_id, raw_id in rows}

    async def store(self, assessments: Sequence[Assessment]) -> None:
        """Stores deliveries as they were finally judged, in one statement."""
        columns = zip(*(_raw_row(a) for a in assessments), strict=True)
        await self.session.execute(
            _STORE_SQL,
            {name: list(values) for name, values in zip(_STORE_COLUMNS, columns, strict=True)},
        )

    async def get(self, tenant_id: str, raw_event_id: uuid.UUID) -> RawEvent | None:
        return await self.session.scalar(
            select(RawEvent).where(RawEvent.tenant_id == tenant_id, RawEvent.id == raw_event_id)
        )

    async def list(self, tenant_id: str, **filters: Any) -> Sequence[RawEvent]:
        return (await self.session.scalars(list_query(tenant_id, **filters))).all()


def list_query(
    tenant_id: str,
    *,
    provider: str | None,
    trigger: str | None,
    verdict: str | None,
    since: datetime | None,
    until: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    event_ids: Sequence[uuid.UUID] | None = None,
) -> Select[Any]:
    """A page of a tenant's deliveries, newest first (every filter optional)."""
    c = raw_events.c
    # A page is summaries: the body and headers (most of a row) stay on disk.
    query: Select[Any] = (
        select(RawEvent)
        .options(defer(RawEvent.body), defer(RawEvent.headers))
        .where(c.tenant_id == tenant_id)
    )
    for column, value in ((c.provider, provider), (c.trigger, trigger), (c.verdict, verdict)):
        if value is not None:
            query = query.where(column == value)
    if event_ids:
        # The deliveries of these events (ix_raw_events_event_id).
        query = query.where(c.event_id.in_(event_ids))
    if since is not None:
        query = query.where(c.received_at >= since)
    if until is not None:
        query = query.where(c.received_at < until)
    return keyset_page(query, c.received_at, c.id, after, limit)


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

    async def all_for_update(self) -> Sequence[Tenant]:
        query = select(Tenant).order_by(Tenant.tenant_id).with_for_update()
        return (await self.session.scalars(query)).all()

    def add(self, tenant: Tenant) -> None:
        self.session.add(tenant)


def _raw_row(a: Assessment) -> tuple[Any, ...]:
    delivery = a.delivery
    return (
        a.raw_event_id,
        audit_text(delivery.tenant_id, ID),
        delivery.provider.value,
        audit_text(a.trigger, NAME),
        a.verdict.value,
        a.status_code,
        audit_text(a.error, TEXT) if a.error is not None else None,
        orjson.dumps(delivery.stored_headers()).decode(),
        delivery.body,
        delivery.body_truncated,
        a.dedupe_key,
        a.event_id,
        a.replay_of,
        delivery.received_at,
    )


_CLAIM_SQL = text("""
INSERT INTO delivery_keys AS k (tenant_id, dedupe_key, event_id, raw_event_id)
SELECT * FROM unnest(
    CAST(:tenant_id AS text[]),
    CAST(:dedupe_key AS text[]),
    CAST(:event_id AS uuid[]),
    CAST(:raw_event_id AS uuid[])
)
ON CONFLICT (tenant_id, dedupe_key) DO UPDATE SET event_id = k.event_id
RETURNING k.tenant_id, k.dedupe_key, k.event_id, k.raw_event_id
""")
# DO UPDATE (a no-op) rather than DO NOTHING: it returns the holder of a key that was already
# taken, including one committed while this statement waited for it, in the same round trip.

_STORE_COLUMNS = (
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
_STORE_SQL = text("""
INSERT INTO raw_events (id, tenant_id, provider, trigger, verdict, status_code, error, headers,
                        body, body_truncated, dedupe_key, event_id, replay_of, received_at)
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
)
""")
