"""Each service's local copy of tenants, fed by `dealflow.tenants.v1` (ingest owns tenants).

The copy authenticates API keys (by SHA-256 digest) and holds the service's own per-tenant
settings in `settings`, which tenant events never overwrite.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from sqlalchemy import Boolean, Column, DateTime, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.cache import SingleFlightCache
from dealflow_libs.domains import EmailIdentity, identify
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
        Column("personal_domains", ARRAY(Text), nullable=False, server_default="{}"),
        Column("settings", JSONB, nullable=False, server_default="{}"),
        Column("changed_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


@dataclass(frozen=True)
class TenantProfile:
    """What a service knows of one tenant: what the feed says plus the service's own settings."""

    default_currency: str = DEFAULT_CURRENCY
    personal_domains: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def identify(self, email: str) -> EmailIdentity | None:
        """Who is behind `email` for this tenant: its personal domains apply, whoever asks."""
        return identify(email, extra_personal=self.personal_domains)


class TenantCopy:
    """Repository of a service's copy of tenants (every service but ingest). Never commits."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self._session = session
        self._table = table

    async def apply_changes(self, events: Sequence[TenantChanged]) -> None:
        """Upserts tenants; an older change never overwrites a newer one (any order is safe)."""
        latest: dict[str, TenantChanged] = {}
        for event in events:
            current = latest.get(event.tenant_id)
            if current is None or event.changed_at >= current.changed_at:
                latest[event.tenant_id] = event
        if not latest:
            return
        table = self._table
        stmt = insert(table).values([_feed_row(e) for e in latest.values()])
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.tenant_id],
            set_={
                **{column: stmt.excluded[column] for column in _FEED_COLUMNS},
                "updated_at": func.now(),
            },
            where=table.c.changed_at <= stmt.excluded.changed_at,
        )
        await self._session.execute(stmt)

    async def profiles(self, tenant_ids: Iterable[str]) -> dict[str, TenantProfile]:
        """A profile for every id asked for; a tenant not announced yet gets the defaults."""
        wanted = sorted(set(tenant_ids))
        t = self._table
        rows = await self._session.execute(
            select(t.c.tenant_id, t.c.default_currency, t.c.personal_domains, t.c.settings).where(
                t.c.tenant_id.in_(wanted)
            )
        )
        found = {
            tenant_id: TenantProfile(
                default_currency=currency,
                personal_domains=tuple(personal or ()),
                settings=dict(settings or {}),
            )
            for tenant_id, currency, personal, settings in rows
        }
        return {tenant_id: found.get(tenant_id, TenantProfile()) for tenant_id in wanted}

    async def settings(self, tenant_id: str) -> dict[str, Any]:
        return (await self.profiles([tenant_id]))[tenant_id].settings

    async def replace_settings(self, tenant_id: str, settings: dict[str, Any]) -> bool:
        """Replaces the service's settings of a tenant; False if the tenant is unknown."""
        t = self._table
        result = await self._session.execute(
            t.update()
            .where(t.c.tenant_id == tenant_id)
            .values(settings=settings, updated_at=func.now())
        )
        return bool(getattr(result, "rowcount", 0))

    async def seed_settings(self, tenant_id: str, settings: dict[str, Any]) -> bool:
        """Development data: the service's settings of a tenant the feed may not have announced
        yet (seeds run before the services that carry the feed). An unknown tenant gets a
        placeholder row, without API keys and changed at the epoch, that the feed's first change
        fills in (`apply_changes` never touches `settings`). Settings stored already, seeded or
        saved since, are kept. True if written."""
        t = self._table
        stmt = insert(t).values(
            tenant_id=tenant_id, name=tenant_id, settings=settings, changed_at=_NEVER_ANNOUNCED
        )
        result = await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=[t.c.tenant_id],
                set_={"settings": stmt.excluded.settings, "updated_at": func.now()},
                where=t.c.settings == {},  # never set: nothing of the developer's to keep
            )
        )
        return bool(getattr(result, "rowcount", 0))


#: `changed_at` of a placeholder row: any change the feed carries is newer.
_NEVER_ANNOUNCED = datetime(1970, 1, 1, tzinfo=UTC)

#: Columns the tenant feed owns; `settings` belongs to the service and is never overwritten.
_FEED_COLUMNS = (
    "name",
    "api_key_hashes",
    "default_currency",
    "disabled",
    "personal_domains",
    "changed_at",
)


def _feed_row(event: TenantChanged) -> dict[str, Any]:
    return {
        "tenant_id": event.tenant_id,
        "name": event.name,
        "api_key_hashes": event.api_key_hashes,
        "default_currency": event.default_currency,
        "disabled": event.disabled,
        "personal_domains": event.personal_domains,
        "changed_at": event.changed_at,
    }


class TenantAwareUnitOfWork(UnitOfWork):
    """The unit of work of a service that keeps a copy of tenants: adds `uow.tenants`."""

    tenants: TenantCopy

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, tenants_table: Table, **kwargs: Any
    ) -> None:
        super().__init__(sessions, **kwargs)
        self._tenants_table = tenants_table

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.tenants = TenantCopy(self.session, self._tenants_table)
        return self


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


class UnknownTenant(Exception):
    pass


async def record_tenant_changes(
    uow: TenantAwareUnitOfWork, deliveries: Sequence[tuple[str, TenantChanged]]
) -> int:
    """Use case of the tenant feed: applies each change at most once, like every consumer."""
    async with uow:
        todo = await uow.inbox.fresh(deliveries)
        await uow.tenants.apply_changes([event for _, event in todo])
        await uow.commit()
    return len(todo)


async def replace_tenant_settings(
    uow: TenantAwareUnitOfWork, tenant_id: str, stored: dict[str, Any]
) -> None:
    """Use case shared by every service's `PUT /v1/settings`: the service's settings, replaced."""
    async with uow:
        if not await uow.tenants.replace_settings(tenant_id, stored):
            raise UnknownTenant(f"unknown tenant '{tenant_id}'")
        await uow.commit()


async def read_tenant_settings(uow: TenantAwareUnitOfWork, tenant_id: str) -> dict[str, Any]:
    async with uow:
        return await uow.tenants.settings(tenant_id)
