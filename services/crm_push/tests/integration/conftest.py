"""crm_push against the real stack (PostgreSQL, broker) and the provider emulators over HTTP."""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import httpx
import orjson
import pytest

from crm_push.config import CrmPushSettings
from crm_push.db.tables import tenants
from crm_push.main import build_app
from crm_push.uow import CrmPushUnitOfWork
from dealflow_emulators import close, hubspot, notion, pipedrive
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import TopicProbe, publish_event
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC, MeetingAttributed
from dealflow_schemas.base import EventModel
from dealflow_schemas.crm import CRM_TOPIC, CrmPushed
from dealflow_schemas.deals import DEALS_TOPIC, DealEvent
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingEvent

from .support import Emulators, Publish, ResultsOf


@pytest.fixture(scope="module")
async def emulators() -> AsyncIterator[Emulators]:
    async with AsyncExitStack() as stack:
        urls = [
            await stack.enter_async_context(serve(module.build_app()))
            for module in (hubspot, pipedrive, close, notion)
        ]
        yield Emulators(*urls)


@pytest.fixture
async def fresh_emulators(emulators: Emulators) -> Emulators:
    for name in ("hubspot", "pipedrive", "close", "notion"):
        await emulators.post(name, "/reset")
    return emulators


#: Where OAuth callbacks may send the browser back to (the console).
CONSOLE_URL = "http://console.example:8080"


@pytest.fixture(scope="module")
def crm_settings(prepared_stack: dict[str, str], emulators: Emulators) -> CrmPushSettings:
    return CrmPushSettings(
        hubspot_api_base=emulators.hubspot,
        hubspot_authorize_url=f"{emulators.hubspot}/oauth/authorize",
        hubspot_client_id="dealflow-dev",
        hubspot_client_secret="dealflow-dev-secret",  # type: ignore[arg-type]
        pipedrive_api_base=emulators.pipedrive,
        close_api_base=emulators.close,
        notion_api_base=emulators.notion,
        push_retry_base_seconds=0.05,
        push_retry_cap_seconds=0.3,
        push_poll_seconds=0.2,
        breaker_cooldown_seconds=0.3,
        breaker_max_cooldown_seconds=1.0,
        provider_timeout_seconds=2.0,
        console_url=CONSOLE_URL,
    )


@pytest.fixture(scope="module")
async def sessions(crm_settings: CrmPushSettings) -> AsyncIterator[object]:
    engine = create_engine(crm_settings.own_database_url, pool_size=4)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def uow_factory(sessions) -> Callable[..., CrmPushUnitOfWork]:  # type: ignore[no-untyped-def]
    return lambda consumer="crm_push": CrmPushUnitOfWork(sessions, consumer)


# Per module: the app's consumer groups carry the real service's names, so it must leave them
# before tests/e2e starts the service, or it would take their records.
@pytest.fixture(scope="module")
async def crm_url(crm_settings: CrmPushSettings) -> AsyncIterator[str]:
    async with serve(build_app(crm_settings)) as url:
        yield url


@pytest.fixture
async def tenant(sessions) -> TenantCredentials:  # type: ignore[no-untyped-def]
    return await seed_tenant(sessions, tenants, prefix="crm")


@pytest.fixture
async def api(crm_url: str, tenant: TenantCredentials) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=crm_url, headers=tenant.auth, timeout=15) as http:
        yield http


@pytest.fixture(scope="session")
async def crm_results(stack: Stack, prepared_stack: dict[str, str]) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, CRM_TOPIC) as probe:
        yield probe


@pytest.fixture
def publish(producer) -> Publish:  # type: ignore[no-untyped-def]
    async def send(event: EventModel) -> str:
        if isinstance(event, MeetingEvent):
            return await publish_event(producer, MEETINGS_TOPIC, event, key=str(event.meeting_id))
        if isinstance(event, DealEvent):
            return await publish_event(producer, DEALS_TOPIC, event, key=str(event.deal_id))
        if isinstance(event, MeetingAttributed):
            return await publish_event(
                producer, ATTRIBUTION_TOPIC, event, key=str(event.meeting_id)
            )
        raise TypeError(type(event))

    return send


@pytest.fixture
def results_of(crm_results: TopicProbe) -> ResultsOf:
    """The push results caused by an event (waits for `count` of them)."""

    async def wait(event_id: str, count: int = 1, within: float = 20) -> list[CrmPushed]:
        records = await crm_results.wait_for(
            lambda r: (
                r.value is not None and orjson.loads(r.value).get("source_event_id") == event_id
            ),
            count=count,
            within=within,
        )
        return [CrmPushed.model_validate(orjson.loads(r.value)) for r in records]

    return wait
