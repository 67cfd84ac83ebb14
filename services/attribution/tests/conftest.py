from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from attribution.config import AttributionSettings
from attribution.db.tables import tenants
from attribution.main import build_app
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import TopicProbe
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC


@pytest.fixture(scope="session")
def attribution_settings(prepared_stack: dict[str, str]) -> AttributionSettings:
    return AttributionSettings()


@pytest.fixture(scope="session")
async def sessions(attribution_settings: AttributionSettings) -> AsyncIterator[object]:
    engine = create_engine(attribution_settings.own_database_url, pool_size=4)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def uow_factory(sessions) -> Callable[..., AttributionUnitOfWork]:  # type: ignore[no-untyped-def]
    return lambda consumer="attribution": AttributionUnitOfWork(sessions, consumer)


# Per module, not per session: the app's consumer groups carry the real service's names, so it
# must leave them before tests/e2e starts that service, or it would take its records.
@pytest.fixture(scope="module")
async def attribution_url(attribution_settings: AttributionSettings) -> AsyncIterator[str]:
    async with serve(build_app(attribution_settings)) as url:
        yield url


@pytest.fixture
async def client(attribution_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=attribution_url, timeout=10) as http:
        yield http


@pytest.fixture
async def tenant(sessions) -> TenantCredentials:  # type: ignore[no-untyped-def]
    return await seed_tenant(sessions, tenants, prefix="a")


@pytest.fixture(scope="session")
async def attribution_events(
    stack: Stack, prepared_stack: dict[str, str]
) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, ATTRIBUTION_TOPIC) as probe:
        yield probe
