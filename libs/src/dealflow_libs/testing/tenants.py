"""Put a tenant straight into a service's local tenant copy (as the tenant feed would)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.auth import hash_api_key
from dealflow_libs.tenants import TenantCopy
from dealflow_schemas.tenants import DEFAULT_CURRENCY, TenantChanged


@dataclass(frozen=True)
class TenantCredentials:
    id: str
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def seed_tenant(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    *,
    prefix: str = "t",
    currency: str = DEFAULT_CURRENCY,
    personal_domains: Sequence[str] = (),
) -> TenantCredentials:
    tenant = TenantCredentials(
        id=f"{prefix}-{uuid.uuid4().hex[:8]}", api_key=f"key-{uuid.uuid4().hex}"
    )
    event = TenantChanged(
        tenant_id=tenant.id,
        name=tenant.id,
        api_key_hashes=[hash_api_key(tenant.api_key)],
        default_currency=currency,
        personal_domains=list(personal_domains),
        changed_at=datetime.now(UTC),
    )
    async with sessions() as session, session.begin():
        await TenantCopy(session, table).apply_changes([event])
    return tenant
