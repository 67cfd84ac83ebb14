"""The provider emulators over real HTTP, one per module, reset before every test."""

from collections.abc import AsyncIterator

import httpx
import pytest

from crm_push.providers.hubspot import HubSpotAdapter, hubspot_http
from crm_push.providers.notion import NotionTargetAdapter, notion_http
from crm_push.providers.transport import ProviderHttp, StaticAuth
from dealflow_emulators import hubspot as hubspot_emulator
from dealflow_emulators import notion as notion_emulator
from dealflow_emulators.notion.records import CONTACTS_DATABASE_ID
from dealflow_libs.testing.http import serve

from .emulated import CLIENT_TIMEOUT

HUBSPOT_TOKEN = hubspot_emulator.HubSpotConfig().api_keys[0]
NOTION_TOKEN = notion_emulator.NotionConfig().api_keys[0]


@pytest.fixture(scope="module")
async def hubspot_url() -> AsyncIterator[str]:
    async with serve(hubspot_emulator.build_app()) as url:
        yield url


@pytest.fixture
async def hubspot_control(hubspot_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The emulator's `/_emulator` side, the emulator fresh for the test."""
    async with httpx.AsyncClient(base_url=f"{hubspot_url}/_emulator", timeout=10) as http:
        (await http.post("/reset")).raise_for_status()
        yield http


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as http:
        yield http


@pytest.fixture
def hubspot_transport(
    hubspot_url: str, hubspot_control: httpx.AsyncClient, client: httpx.AsyncClient
) -> ProviderHttp:
    auth = StaticAuth({"Authorization": f"Bearer {HUBSPOT_TOKEN}"})
    return hubspot_http(client, hubspot_url, auth)


@pytest.fixture
def hubspot(hubspot_transport: ProviderHttp) -> HubSpotAdapter:
    return HubSpotAdapter(hubspot_transport)


@pytest.fixture(scope="module")
async def notion_url() -> AsyncIterator[str]:
    async with serve(notion_emulator.build_app()) as url:
        yield url


@pytest.fixture
async def notion_control(notion_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{notion_url}/_emulator", timeout=10) as http:
        (await http.post("/reset")).raise_for_status()
        yield http


@pytest.fixture
def notion_transport(
    notion_url: str, notion_control: httpx.AsyncClient, client: httpx.AsyncClient
) -> ProviderHttp:
    return notion_http(client, notion_url, StaticAuth({"Authorization": f"Bearer {NOTION_TOKEN}"}))


@pytest.fixture
def notion(notion_transport: ProviderHttp) -> NotionTargetAdapter:
    """The seeded pre-call Contacts table (docs/emulators.md)."""
    return NotionTargetAdapter(notion_transport, CONTACTS_DATABASE_ID)
