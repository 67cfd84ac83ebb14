"""The notifications unit of work."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.tenants import TenantAwareUnitOfWork
from notifications import SERVICE
from notifications.db.repository import NotificationRepository
from notifications.db.tables import inbox, outbox, tenants


class NotificationsUnitOfWork(TenantAwareUnitOfWork):
    notifications: NotificationRepository

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
        self.notifications = NotificationRepository(self.session)
