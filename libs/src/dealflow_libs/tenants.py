"""Each service's local copy of tenants, fed by `dealflow.tenants.v1` (ingest owns tenants).

The copy authenticates API keys (by SHA-256 digest) and holds the service's own per-tenant
settings in `settings`, which tenant events never overwrite.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.cache import SingleFlightCache
from dealflow_libs.uow import UnitOfWork
from dealflow_schemas.tenants import DEFAULT_CURRENCY, TenantChanged

#: Lookups are cached this long; a revoked key stops working within this window.
CACHE_SECONDS = 5.0


def tenants_table(metadata: MetaData) -> Table:
    return Table(
        "tenants",
        metadata,
        Column("tenant_id", Text, primary_key=True),
        Column("name", Text, nullable=False),
        Column("api_key_hashes", ARRAY(Text), nullable=False, server_default="{}"),
        Column("default_currency", Text, nullable=False, server_default=DEFAULT_CURRENCY),
        Column("disabled", Boolean, nullable=False, server_default="false"),
        Column("settings", JSONB, nullable=False, server_default="{}"),
        Column("changed_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def apply_tenant_changes(
    session: AsyncSession, table: Table, events: Sequence[TenantChanged]
) -> None:
    """Upserts tenants; an older change never overwrites a newer one (redelivery-safe)."""
    latest: dict[str, TenantChanged] = {}
    for event in events:
        current = latest.get(event.tenant_id)
        if current is None or event.changed_at >= current.changed_at:
            latest[event.tenant_id] = event
    if not latest:
        return
    rows = [
        {
            "tenant_id": e.tenant_id,
            "name": e.name,
            "api_key_hashes": e.api_key_hashes,
            "default_currency": e.default_currency,
            "disabled": e.disabled,
            "changed_at": e.changed_at,
        }
        for e in latest.values()
    ]
    stmt = insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.tenant_id],
        set_={
            "name": stmt.excluded.name,
            "api_key_hashes": stmt.excluded.api_key_hashes,
            "default_currency": stmt.excluded.default_currency,
            "disabled": stmt.excluded.disabled,
            "changed_at": stmt.excluded.changed_at,
            "updated_at": func.now(),
        },
        where=table.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt)


class TenantKeys:
    """API-key digest -> tenant id, cached briefly."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], table: Table) -> None:
        self._sessions = sessions
        self._table = table
        self._cache: SingleFlightCache[str | None] = SingleFlightCache(CACHE_SECONDS)

    async def tenant_for(self, key_hash: str) -> str | None:
        return await self._cache.get(key_hash, lambda: self._load(key_hash))

    async def _load(self, key_hash: str) -> str | None:
        t = self._table
        async with self._sessions() as session:
            tenant_id: str | None = await session.scalar(
                select(t.c.tenant_id).where(
                    t.c.api_key_hashes.contains([key_hash]), t.c.disabled.is_(False)
                )
            )
        return tenant_id


async def tenant_settings(session: AsyncSession, table: Table, tenant_id: str) -> dict[str, Any]:
    value = await session.scalar(select(table.c.settings).where(table.c.tenant_id == tenant_id))
    return dict(value or {})


async def tenant_settings_many(
    session: AsyncSession, table: Table, tenant_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    rows = await session.execute(
        select(table.c.tenant_id, table.c.settings).where(table.c.tenant_id.in_(tenant_ids))
    )
    return {tenant_id: dict(settings or {}) for tenant_id, settings in rows}


class UnknownTenant(Exception):
    pass


async def replace_tenant_settings(
    uow: UnitOfWork, table: Table, tenant_id: str, stored: dict[str, Any]
) -> None:
    """Use case shared by every service's `PUT /v1/settings`: the service's settings, replaced."""
    async with uow:
        if not await save_tenant_settings(uow.session, table, tenant_id, stored):
            raise UnknownTenant(f"unknown tenant '{tenant_id}'")
        await uow.commit()


async def read_tenant_settings(uow: UnitOfWork, table: Table, tenant_id: str) -> dict[str, Any]:
    async with uow:
        return await tenant_settings(uow.session, table, tenant_id)


async def save_tenant_settings(
    session: AsyncSession, table: Table, tenant_id: str, settings: dict[str, Any]
) -> bool:
    result = await session.execute(
        table.update()
        .where(table.c.tenant_id == tenant_id)
        .values(settings=settings, updated_at=func.now())
    )
    return bool(getattr(result, "rowcount", 0))
