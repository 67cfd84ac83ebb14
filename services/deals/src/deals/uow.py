"""The deals unit of work."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.tenants import TenantAwareUnitOfWork
from deals import SERVICE
from deals.db.repository import DealRepository
from deals.db.tables import inbox, outbox, tenants


class DealsUnitOfWork(TenantAwareUnitOfWork):
    deals: DealRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], consumer: str = SERVICE) -> None:
        super().__init__(
            sessions,
            outbox_table=outbox,
            inbox_table=inbox,
            tenants_table=tenants,
            source=f"dealflow/{SERVICE}",
            consumer=consumer,
        )

    def on_enter(self) -> None:
        self.deals = DealRepository(self.session)
