"""The deals unit of work."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.uow import UnitOfWork
from deals import SERVICE
from deals.db.repository import DealRepository
from deals.db.tables import inbox, outbox


class DealsUnitOfWork(UnitOfWork):
    deals: DealRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(
            sessions,
            outbox_table=outbox,
            inbox_table=inbox,
            source=f"dealflow/{SERVICE}",
            consumer=SERVICE,
        )

    def on_enter(self) -> None:
        self.deals = DealRepository(self.session)
