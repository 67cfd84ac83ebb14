"""Ingest's unit of work: deliveries, tenants and the outbox on one transaction."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.secretbox import SecretBox
from dealflow_libs.uow import UnitOfWork
from ingest import SERVICE
from ingest.db.repository import DeliveryRepository, TenantRepository
from ingest.db.tables import outbox


class IngestUnitOfWork(UnitOfWork):
    deliveries: DeliveryRepository
    tenants: TenantRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], secrets: SecretBox) -> None:
        super().__init__(sessions, outbox_table=outbox, source=f"dealflow/{SERVICE}")
        #: Seals webhook secrets before they are stored and opens them when they are read.
        self.secrets = secrets

    def on_enter(self) -> None:
        self.deliveries = DeliveryRepository(self.session)
        self.tenants = TenantRepository(self.session)
