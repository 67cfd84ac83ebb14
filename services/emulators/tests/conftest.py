from collections.abc import AsyncIterator

import httpx
import pytest

from dealflow_emulators.hubspot import HubSpotConfig, build_app
from dealflow_libs.testing.http import serve

PRIVATE_APP_TOKEN = HubSpotConfig().api_keys[0]


@pytest.fixture(scope="module")
async def hubspot_url() -> AsyncIterator[str]:
    """One HubSpot emulator over real HTTP for the whole module; tests reset it."""
    async with serve(build_app()) as url:
        yield url


@pytest.fixture
async def control(hubspot_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The `/_emulator` side; the emulator starts each test fresh."""
    async with httpx.AsyncClient(base_url=f"{hubspot_url}/_emulator", timeout=10) as http:
        (await http.post("/reset")).raise_for_status()
        yield http


@pytest.fixture
async def hs(hubspot_url: str, control: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A HubSpot client holding the seeded private-app token."""
    headers = {"Authorization": f"Bearer {PRIVATE_APP_TOKEN}"}
    async with httpx.AsyncClient(base_url=hubspot_url, headers=headers, timeout=10) as http:
        yield http
