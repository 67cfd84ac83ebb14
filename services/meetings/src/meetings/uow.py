"""The meetings unit of work: meetings, reminders, parked events, attributions and notification
times, tenants, inbox and outbox."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.tenants import TenantAwareUnitOfWork
from meetings import SERVICE
from meetings.db.repository import (
    MeetingRepository,
    PendingAttributions,
    PendingEvents,
    PendingNotifications,
    ReminderRepository,
)
from meetings.db.tables import inbox, outbox, tenants


class MeetingsUnitOfWork(TenantAwareUnitOfWork):
    meetings: MeetingRepository
    reminders: ReminderRepository
    pending: PendingEvents
    pending_attributions: PendingAttributions
    pending_notifications: PendingNotifications

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
        self.meetings = MeetingRepository(self.session)
        self.reminders = ReminderRepository(self.session)
        self.pending = PendingEvents(self.session)
        self.pending_attributions = PendingAttributions(self.session)
        self.pending_notifications = PendingNotifications(self.session)
