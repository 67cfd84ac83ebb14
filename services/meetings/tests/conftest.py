import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import TopicProbe, publish_event
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.bookings import BOOKINGS_TOPIC, BookingEvent
from dealflow_schemas.meetings import MEETINGS_TOPIC
from meetings.config import MeetingsSettings
from meetings.db.tables import tenants
from meetings.main import build_app
from meetings.uow import MeetingsUnitOfWork


@pytest.fixture(scope="session")
def meetings_settings(prepared_stack: dict[str, str]) -> MeetingsSettings:
    return MeetingsSettings(reminder_poll_seconds=0.2)


@pytest.fixture(scope="session")
async def sessions(meetings_settings: MeetingsSettings) -> AsyncIterator[object]:
    engine = create_engine(meetings_settings.own_database_url, pool_size=3)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def uow_factory(sessions) -> Callable[..., MeetingsUnitOfWork]:  # type: ignore[no-untyped-def]
    """`uow_factory()` claims as the bookings consumer; `uow_factory(name)` as consumer `name`."""
    return lambda consumer="meetings": MeetingsUnitOfWork(sessions, consumer)


# Per module, not per session: the app's consumer groups carry the real services' names, so it
# must leave them before tests/e2e starts those services, or it would take their records.
@pytest.fixture(scope="module")
async def meetings_url(meetings_settings: MeetingsSettings) -> AsyncIterator[str]:
    async with serve(build_app(meetings_settings)) as url:
        yield url


@pytest.fixture
async def client(meetings_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=meetings_url, timeout=10) as http:
        yield http


@pytest.fixture
async def tenant(sessions) -> TenantCredentials:  # type: ignore[no-untyped-def]
    return await seed_tenant(sessions, tenants, prefix="m")


@pytest.fixture
def publish(producer):  # type: ignore[no-untyped-def]
    async def send(event: BookingEvent, *, event_id: uuid.UUID | None = None) -> str:
        return await publish_event(
            producer, BOOKINGS_TOPIC, event, key=event.partition_key, event_id=event_id
        )

    return send


@pytest.fixture(scope="session")
async def meeting_events(stack: Stack, prepared_stack: dict[str, str]) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, MEETINGS_TOPIC) as probe:
        yield probe
