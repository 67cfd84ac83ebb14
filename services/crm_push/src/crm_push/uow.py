"""The crm_push unit of work."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_push import SERVICE
from crm_push.db.repository import PushRepository
from crm_push.db.tables import inbox, outbox, tenants
from dealflow_libs.tenants import TenantAwareUnitOfWork


class CrmPushUnitOfWork(TenantAwareUnitOfWork):
    pushes: PushRepository

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
        self.pushes = PushRepository(self.session)
