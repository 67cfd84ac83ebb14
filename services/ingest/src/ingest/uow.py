"""Ingest's unit of work: deliveries, tenants and the outbox on one transaction."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.uow import UnitOfWork
from ingest import SERVICE
from ingest.db.repository import DeliveryRepository, TenantRepository
from ingest.db.tables import outbox


class IngestUnitOfWork(UnitOfWork):
    deliveries: DeliveryRepository
    tenants: TenantRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions, outbox_table=outbox, source=f"dealflow/{SERVICE}")

    def on_enter(self) -> None:
        self.deliveries = DeliveryRepository(self.session)
        self.tenants = TenantRepository(self.session)
