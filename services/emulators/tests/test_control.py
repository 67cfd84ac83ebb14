"""The control endpoints every emulator shares, exercised through the HubSpot emulator."""

import asyncio

import httpx
import pytest

from dealflow_emulators.hubspot import HubSpotConfig

PRIVATE_APP_TOKEN = HubSpotConfig().api_keys[0]

CONTACTS = "/crm/v3/objects/contacts"


async def test_state_lists_created_objects_per_type(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    created = await hs.post(CONTACTS, json={"properties": {"email": "jane@acme.com"}})
    assert created.status_code == 201

    state = (await control.get("/state")).json()

    assert state["emulator"] == "hubspot"
    assert state["counts"]["contacts"] == 1
    assert state["objects"]["contacts"][0]["properties"]["email"] == "jane@acme.com"
    assert {"deals", "meetings", "owners", "pipelines"} <= set(state["objects"])
    assert state["credentials"]["api_keys_valid"] == 1
    assert PRIVATE_APP_TOKEN not in str(state)


async def test_reset_forgets_objects_faults_and_requests(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await hs.post(CONTACTS, json={"properties": {"email": "jane@acme.com"}})
    await control.post("/faults", json={"kind": "server_error", "count": 5})

    assert (await control.post("/reset")).status_code == 204

    state = (await control.get("/state")).json()
    assert state["counts"]["contacts"] == 0
    assert state["counts"]["pipelines"] == 1  # fixtures come back
    assert state["faults"] == []
    assert (await control.get("/requests")).json()["count"] == 0
    assert (await hs.get(CONTACTS)).status_code == 200


async def test_count_fault_hits_the_next_n_matching_requests_only(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    added = await control.post(
        "/faults", json={"kind": "server_error", "count": 2, "status": 503, "path_prefix": CONTACTS}
    )
    assert added.status_code == 201

    owners = await hs.get("/crm/v3/owners/")  # another path: not hit
    first, second, third = [await hs.get(CONTACTS) for _ in range(3)]

    assert owners.status_code == 200
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.json()["status"] == "error"
    assert (await control.get("/faults")).json()["faults"] == []


async def test_ratio_fault_is_seeded_so_runs_repeat(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    async def run() -> list[int]:
        await control.post("/reset")
        await control.post("/faults", json={"kind": "server_error", "ratio": 0.3, "seed": 7})
        return [(await hs.get("/crm/v3/owners")).status_code for _ in range(40)]

    first, second = await run(), await run()

    assert first == second
    assert 0 < first.count(500) < 40


async def test_request_log_counts_calls_and_redacts_secrets(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await hs.post(CONTACTS, json={"properties": {"email": "jane@acme.com"}})
    await hs.get(f"{CONTACTS}/101")
    await hs.post(
        "/oauth/v1/token",
        data={"grant_type": "refresh_token", "client_id": "x", "client_secret": "shh",
              "refresh_token": "hs-rt-secret"},
    )  # fmt: skip

    posted = (
        await control.get("/requests", params={"method": "POST", "path_prefix": CONTACTS})
    ).json()
    log = (await control.get("/requests")).json()

    assert posted["count"] == 1
    assert posted["requests"][0]["status"] == 201
    assert posted["requests"][0]["body"] == {"properties": {"email": "jane@acme.com"}}
    assert posted["requests"][0]["credential"].startswith("sha256:")
    assert log["count"] == 3
    text = str(log)
    assert PRIVATE_APP_TOKEN not in text
    assert "shh" not in text
    assert "hs-rt-secret" not in text


async def test_config_can_be_read_and_changed(control: httpx.AsyncClient) -> None:
    changed = await control.patch("/config", json={"search_lag_seconds": 2.5})
    invalid = await control.patch("/config", json={"rate_limit": -1})

    assert changed.status_code == 200
    assert changed.json()["search_lag_seconds"] == 2.5
    assert changed.json()["client_secret"] == "[redacted]"
    assert invalid.status_code == 422


async def test_the_clock_moves_forward_until_a_reset(control: httpx.AsyncClient) -> None:
    assert (await control.get("/clock")).json()["offset_seconds"] == 0
    moved = await control.post("/clock", json={"advance_seconds": 90_000})
    assert moved.json()["offset_seconds"] == 90_000
    assert (await control.get("/state")).json()["clock"]["offset_seconds"] == 90_000
    await control.post("/reset")
    assert (await control.get("/clock")).json()["offset_seconds"] == 0


async def test_fault_spec_is_validated(control: httpx.AsyncClient) -> None:
    neither = await control.post("/faults", json={"kind": "rate_limit"})
    both = await control.post("/faults", json={"kind": "timeout", "count": 1, "ratio": 0.5})
    unknown = await control.post("/faults", json={"kind": "gremlins", "count": 1})

    assert [neither.status_code, both.status_code, unknown.status_code] == [422, 422, 422]


async def test_timeout_holds_until_the_client_gives_up(
    hubspot_url: str, hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post("/faults", json={"kind": "timeout", "count": 1, "hold_seconds": 30})

    started = asyncio.get_running_loop().time()
    with pytest.raises(httpx.ReadTimeout):
        await hs.get(CONTACTS, timeout=0.5)
    waited = asyncio.get_running_loop().time() - started

    assert waited < 5
    entry = (await control.get("/requests")).json()["requests"][0]
    assert entry["fault"] == "timeout"
    # The emulator lets go once the client is gone: the log entry closes without a status.
    for _ in range(50):
        entry = (await control.get("/requests")).json()["requests"][0]
        if entry["duration_ms"] is not None:
            break
        await asyncio.sleep(0.05)
    assert entry["status"] is None
    assert entry["duration_ms"] is not None


async def test_timeout_answers_a_gateway_timeout_to_a_patient_client(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post("/faults", json={"kind": "timeout", "count": 1, "hold_seconds": 0.2})

    answer = await hs.get(CONTACTS)

    assert answer.status_code == 504
    assert answer.json()["category"] == "GATEWAY_TIMEOUT"


async def test_applied_timeout_creates_the_contact_the_client_never_heard_of(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post(
        "/faults", json={"kind": "timeout", "count": 1, "apply": True, "hold_seconds": 30}
    )
    body = {"properties": {"email": "jane@acme.com"}}

    with pytest.raises(httpx.ReadTimeout):
        await hs.post(CONTACTS, json=body, timeout=0.5)
    retried = await hs.post(CONTACTS, json=body)

    assert retried.status_code == 409
    assert retried.json()["message"] == "Contact already exists. Existing ID: 101"


async def test_applied_server_error_writes_then_fails(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post("/faults", json={"kind": "server_error", "count": 1, "apply": True})

    failed = await hs.post(CONTACTS, json={"properties": {"email": "jane@acme.com"}})

    assert failed.status_code == 500
    assert (await control.get("/state")).json()["counts"]["contacts"] == 1


async def test_reset_releases_held_requests(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post("/faults", json={"kind": "timeout", "count": 1, "hold_seconds": 30})
    held = asyncio.create_task(hs.get(CONTACTS, timeout=20))
    await asyncio.sleep(0.2)

    await control.post("/reset")

    answer = await asyncio.wait_for(held, 5)
    assert answer.status_code == 504


async def test_api_keys_can_be_added(hubspot_url: str, control: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Bearer pat-na1-another"}
    before = await httpx.AsyncClient().get(f"{hubspot_url}/crm/v3/owners", headers=headers)
    await control.post("/api-keys", json={"key": "pat-na1-another"})
    after = await httpx.AsyncClient().get(f"{hubspot_url}/crm/v3/owners", headers=headers)

    assert [before.status_code, after.status_code] == [401, 200]


async def test_a_handler_crash_is_logged_as_a_500() -> None:
    from fastapi import APIRouter

    from dealflow_emulators.common import create_app
    from dealflow_emulators.hubspot import HubSpot

    crash = APIRouter()

    @crash.get("/crash")
    async def boom() -> None:
        raise RuntimeError("emulator bug")

    class Broken(HubSpot):
        def routers(self) -> list[APIRouter]:
            return [crash, *super().routers()]

    transport = httpx.ASGITransport(app=create_app(Broken()), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        answer = await http.get("/crash")
        log = (await http.get("/_emulator/requests")).json()

    assert answer.status_code == 500
    assert log["requests"][0]["status"] == 500
