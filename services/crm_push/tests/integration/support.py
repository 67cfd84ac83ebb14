"""What crm_push's integration tests share: the emulators' credentials and control side."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from dealflow_emulators import close, hubspot, notion, pipedrive
from dealflow_schemas.base import EventModel
from dealflow_schemas.crm import CrmPushed

HUBSPOT_TOKEN = hubspot.HubSpotConfig().api_keys[0]
PIPEDRIVE_TOKEN = pipedrive.PipedriveConfig().api_keys[0]
CLOSE_KEY = close.CloseConfig().api_keys[0]
NOTION_TOKEN = notion.NotionConfig().api_keys[0]

Publish = Callable[[EventModel], Awaitable[str]]
ResultsOf = Callable[..., Awaitable[list[CrmPushed]]]


@dataclass(frozen=True)
class Emulators:
    hubspot: str
    pipedrive: str
    close: str
    notion: str

    def control(self, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=f"{getattr(self, name)}/_emulator", timeout=10)

    async def state(self, name: str) -> dict[str, Any]:
        async with self.control(name) as http:
            answer = await http.get("/state")
            answer.raise_for_status()
            state: dict[str, Any] = answer.json()
            return state

    async def post(self, name: str, path: str, body: Any = None) -> Any:
        async with self.control(name) as http:
            answer = await http.post(path, json=body)
            answer.raise_for_status()
            return answer.json() if answer.content else None

    async def requests(self, name: str, **params: Any) -> list[dict[str, Any]]:
        async with self.control(name) as http:
            answer = await http.get("/requests", params=params)
            answer.raise_for_status()
            found: list[dict[str, Any]] = answer.json()["requests"]
            return found


async def connect_hubspot(api: httpx.AsyncClient) -> None:
    """Connects the tenant's CRM to the HubSpot emulator with the private-app token."""
    answer = await api.post("/v1/crm/connect/hubspot", json={"private_app_token": HUBSPOT_TOKEN})
    assert answer.status_code == 201, answer.text
    assert HUBSPOT_TOKEN not in answer.text
    assert answer.json()["credential"].startswith("****")
