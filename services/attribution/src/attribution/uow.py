"""The attribution unit of work."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from attribution import SERVICE
from attribution.db.leads import LeadsRepository
from attribution.db.reporting import ReportingRepository
from attribution.db.repository import AttributionRepository
from attribution.db.tables import inbox, outbox, tenants
from dealflow_libs.tenants import TenantAwareUnitOfWork


class AttributionUnitOfWork(TenantAwareUnitOfWork):
    attribution: AttributionRepository
    reporting: ReportingRepository
    leads: LeadsRepository

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
        self.attribution = AttributionRepository(self.session)
        self.reporting = ReportingRepository(self.session)
        self.leads = LeadsRepository(self.session)
