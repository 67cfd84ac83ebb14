"""notifications against the real stack (PostgreSQL, broker) and the Resend emulator over HTTP."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest

from dealflow_emulators import resend
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import TopicProbe, publish_event
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingEvent
from dealflow_schemas.notifications import NOTIFICATIONS_TOPIC
from notifications.config import NotificationsSettings
from notifications.db.tables import tenants
from notifications.main import build_app
from notifications.uow import NotificationsUnitOfWork

RESEND_KEY = resend.ResendConfig().api_keys[0]
Publish = Callable[[MeetingEvent], Awaitable[str]]


class ResendControl:
    def __init__(self, url: str) -> None:
        self.url = url

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=f"{self.url}/_emulator", timeout=10) as http:
            answer = await http.request(method, path, json=body)
            answer.raise_for_status()
            return answer.json() if answer.content else None

    async def emails(self) -> list[dict[str, Any]]:
        state = await self.call("GET", "/state")
        found: list[dict[str, Any]] = state["objects"]["emails"]
        return found


@pytest.fixture(scope="module")
async def resend_url() -> AsyncIterator[str]:
    async with serve(resend.build_app()) as url:
        yield url


@pytest.fixture
async def emulator(resend_url: str) -> ResendControl:
    control = ResendControl(resend_url)
    await control.call("POST", "/reset")
    await control.call("PATCH", "/config", {"rate_limit": None})
    return control


@pytest.fixture(scope="module")
def notify_settings(prepared_stack: dict[str, str], resend_url: str) -> NotificationsSettings:
    return NotificationsSettings(
        resend_api_base=resend_url,
        send_retry_base_seconds=0.05,
        dispatch_poll_seconds=0.1,
        sending_lease_seconds=5,
        provider_timeout_seconds=2,
    )


@pytest.fixture(scope="module")
async def sessions(notify_settings: NotificationsSettings) -> AsyncIterator[object]:
    engine = create_engine(notify_settings.own_database_url, pool_size=4)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def uow_factory(sessions) -> Callable[..., NotificationsUnitOfWork]:  # type: ignore[no-untyped-def]
    return lambda consumer="notifications": NotificationsUnitOfWork(sessions, consumer)


@pytest.fixture(scope="module")
async def notify_url(notify_settings: NotificationsSettings) -> AsyncIterator[str]:
    async with serve(build_app(notify_settings)) as url:
        yield url


@pytest.fixture
async def tenant(sessions) -> TenantCredentials:  # type: ignore[no-untyped-def]
    return await seed_tenant(sessions, tenants, prefix="ntf")


@pytest.fixture
async def api(notify_url: str, tenant: TenantCredentials) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=notify_url, headers=tenant.auth, timeout=15) as http:
        yield http


@pytest.fixture
async def configured(api: httpx.AsyncClient, emulator: ResendControl) -> httpx.AsyncClient:
    """The tenant sends through the Resend emulator with the demo sender table."""
    from notifications.domain.senders import DEMO_SENDERS

    senders = await api.put("/v1/settings/senders", json=DEMO_SENDERS.model_dump(mode="json"))
    assert senders.status_code == 200, senders.text
    transport = await api.put(
        "/v1/settings/transport",
        json={
            "kind": "resend",
            "api_key": RESEND_KEY,
            "webhook_secret": resend.ResendConfig().webhook_secret,
        },
    )
    assert transport.status_code == 200, transport.text
    assert RESEND_KEY not in transport.text
    return api


@pytest.fixture(scope="session")
async def notification_events(
    stack: Stack, prepared_stack: dict[str, str]
) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, NOTIFICATIONS_TOPIC) as probe:
        yield probe


@pytest.fixture
def publish(producer) -> Publish:  # type: ignore[no-untyped-def]
    async def send(event: MeetingEvent) -> str:
        return await publish_event(producer, MEETINGS_TOPIC, event, key=str(event.meeting_id))

    return send


def body_of(record: Any) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads(record.value) if record.value else {}
    return found
