"""What a rebuild checks and copies: whether anything is stored, the tenants' rows.
Nothing here commits."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import literal_column, select
from sqlalchemy.dialects.postgresql import insert

from attribution.db.base import Repository
from attribution.db.tables import attribution_runs, closed_deals, meeting_bookings, tenants, touches
from dealflow_libs.db import any_of


class StoredRepository(Repository):
    async def is_empty(self) -> bool:
        """Whether nothing attribution keeps is stored yet (a rebuild's target must be)."""
        for table in (touches, closed_deals, attribution_runs, meeting_bookings):
            if (
                await self.session.execute(select(literal_column("1")).select_from(table).limit(1))
            ).first():
                return False
        return True

    async def tenant_ids(self) -> list[str]:
        rows = await self.session.scalars(select(tenants.c.tenant_id).order_by(tenants.c.tenant_id))
        return list(rows)

    async def tenant_rows(self, tenant_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Tenants' rows as kept (the feed's columns and the service's settings)."""
        rows = await self.session.execute(
            select(tenants).where(any_of(tenants.c.tenant_id, tenant_ids))
        )
        return [dict(row._mapping) for row in rows]

    async def add_missing_tenants(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(
                insert(tenants).on_conflict_do_nothing(index_elements=[tenants.c.tenant_id]),
                list(rows),
            )
