import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from dealflow_libs.auth import hash_api_key
from dealflow_libs.cloudevents import new_envelope
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.tenants import apply_tenant_changes
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import TopicProbe
from dealflow_schemas.bookings import BOOKINGS_TOPIC, BookingEvent
from dealflow_schemas.meetings import MEETINGS_TOPIC
from dealflow_schemas.tenants import TenantChanged
from meetings.config import MeetingsSettings
from meetings.db.tables import tenants
from meetings.main import build_app
from meetings.uow import MeetingsUnitOfWork


@dataclass(frozen=True)
class Tenant:
    id: str
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture(scope="session")
def meetings_settings(prepared_stack: dict[str, str]) -> MeetingsSettings:
    return MeetingsSettings(reminder_poll_seconds=0.2)


@pytest.fixture(scope="session")
async def sessions(meetings_settings: MeetingsSettings) -> AsyncIterator[object]:
    engine = create_engine(meetings_settings.own_database_url, pool_size=3)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def uow_factory(sessions) -> Callable[[], MeetingsUnitOfWork]:  # type: ignore[no-untyped-def]
    return lambda: MeetingsUnitOfWork(sessions)


@pytest.fixture(scope="session")
async def meetings_url(meetings_settings: MeetingsSettings) -> AsyncIterator[str]:
    async with serve(build_app(meetings_settings)) as url:
        yield url


@pytest.fixture
async def client(meetings_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=meetings_url, timeout=10) as http:
        yield http


@pytest.fixture
async def tenant(sessions) -> Tenant:  # type: ignore[no-untyped-def]
    created = Tenant(id=f"m-{uuid.uuid4().hex[:8]}", api_key=f"key-{uuid.uuid4().hex}")
    async with sessions() as session, session.begin():
        await apply_tenant_changes(
            session,
            tenants,
            [
                TenantChanged(
                    tenant_id=created.id,
                    name=created.id,
                    api_key_hashes=[hash_api_key(created.api_key)],
                    changed_at=datetime.now(UTC),
                )
            ],
        )
    return created


@pytest.fixture(scope="session")
async def producer(stack: Stack) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def publish(producer: AIOKafkaProducer):  # type: ignore[no-untyped-def]
    async def send(event: BookingEvent, *, event_id: uuid.UUID | None = None) -> str:
        envelope = new_envelope(
            event, source="test/ingest", tenant_id=event.tenant_id, event_id=event_id
        )
        await producer.send_and_wait(
            BOOKINGS_TOPIC,
            envelope.data,
            key=event.partition_key.encode(),
            headers=envelope.kafka_headers(),
        )
        return envelope.id

    return send


@pytest.fixture(scope="session")
async def meeting_events(stack: Stack, prepared_stack: dict[str, str]) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, MEETINGS_TOPIC) as probe:
        yield probe
