from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import TopicProbe, publish_event
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.deals import DEALS_TOPIC
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingEvent
from deals.config import DealsSettings
from deals.db.tables import tenants
from deals.main import build_app
from deals.uow import DealsUnitOfWork


@pytest.fixture(scope="session")
def deals_settings(prepared_stack: dict[str, str]) -> DealsSettings:
    return DealsSettings()


@pytest.fixture(scope="session")
async def sessions(deals_settings: DealsSettings) -> AsyncIterator[object]:
    engine = create_engine(deals_settings.own_database_url, pool_size=4)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def uow_factory(sessions) -> Callable[..., DealsUnitOfWork]:  # type: ignore[no-untyped-def]
    """`uow_factory()` claims as the meetings consumer; `uow_factory(name)` as consumer `name`."""
    return lambda consumer="deals": DealsUnitOfWork(sessions, consumer)


# Per module, not per session: the app's consumer groups carry the real services' names, so it
# must leave them before tests/e2e starts those services, or it would take their records.
@pytest.fixture(scope="module")
async def deals_url(deals_settings: DealsSettings) -> AsyncIterator[str]:
    async with serve(build_app(deals_settings)) as url:
        yield url


@pytest.fixture
async def client(deals_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=deals_url, timeout=10) as http:
        yield http


@pytest.fixture
async def tenant(sessions) -> TenantCredentials:  # type: ignore[no-untyped-def]
    return await seed_tenant(sessions, tenants, prefix="d", currency="EUR")


@pytest.fixture
def publish(producer):  # type: ignore[no-untyped-def]
    async def send(event: MeetingEvent) -> str:
        return await publish_event(producer, MEETINGS_TOPIC, event, key=str(event.meeting_id))

    return send


@pytest.fixture(scope="session")
async def deal_events(stack: Stack, prepared_stack: dict[str, str]) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, DEALS_TOPIC) as probe:
        yield probe
