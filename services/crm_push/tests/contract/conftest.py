"""The provider emulators over real HTTP, one per module, reset before every test."""

from collections.abc import AsyncIterator

import httpx
import pytest

from crm_push.providers.hubspot import HubSpotAdapter, hubspot_http
from crm_push.providers.transport import ProviderHttp, StaticAuth
from dealflow_emulators import hubspot as hubspot_emulator
from dealflow_libs.testing.http import serve

HUBSPOT_TOKEN = hubspot_emulator.HubSpotConfig().api_keys[0]
#: Short enough that a timeout fault (held 1 s) makes the client give up quickly.
TIMEOUT = httpx.Timeout(0.5)


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
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
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
