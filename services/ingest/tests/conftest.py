import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import TopicProbe
from dealflow_schemas.bookings import BOOKINGS_TOPIC
from ingest.config import IngestSettings
from ingest.main import build_app
from ingest.uow import IngestUnitOfWork
from ingest.use_cases import save_tenant


@dataclass(frozen=True)
class TestTenant:
    id: str
    calcom_secret: str
    calendly_secret: str
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture(scope="session")
def ingest_settings(prepared_stack: dict[str, str]) -> IngestSettings:
    return IngestSettings(tenant_cache_seconds=0.0)


@pytest.fixture(scope="session")
async def ingest_url(ingest_settings: IngestSettings) -> AsyncIterator[str]:
    async with serve(build_app(ingest_settings)) as url:
        yield url


@pytest.fixture(scope="session")
async def uow_factory(ingest_settings: IngestSettings) -> AsyncIterator[object]:
    engine = create_engine(ingest_settings.own_database_url, pool_size=2)
    sessions = session_factory(engine)
    box = ingest_settings.secret_box()
    yield lambda: IngestUnitOfWork(sessions, box)
    await engine.dispose()


@pytest.fixture
async def tenant(uow_factory) -> TestTenant:  # type: ignore[no-untyped-def]
    suffix = uuid.uuid4().hex[:8]
    created = TestTenant(
        id=f"t-{suffix}",
        calcom_secret=f"cal-{suffix}",
        calendly_secret=f"cly-{suffix}",
        api_key=f"key-{suffix}",
    )
    await save_tenant(
        uow_factory(),
        tenant_id=created.id,
        name=f"Tenant {suffix}",
        calcom_secret=created.calcom_secret,
        calendly_secret=created.calendly_secret,
        api_key=created.api_key,
    )
    return created


@pytest.fixture
async def client(ingest_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=ingest_url, timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
async def bookings(stack: Stack, prepared_stack: dict[str, str]) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, BOOKINGS_TOPIC) as probe:
        yield probe
