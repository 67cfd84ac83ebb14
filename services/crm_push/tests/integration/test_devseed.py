"""`make run`'s seed: the demo tenant connected to the HubSpot and Notion emulators, so that its
first booking is pushed. Seeded here for a tenant of the test's own."""

import httpx

from crm_push.config import CrmPushSettings
from crm_push.devseed import HUBSPOT_CONFIG, NOTION_DATABASE_ID, seed
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_schemas.crm import PushTarget
from dealflow_schemas.meetings import MeetingBooked

from .support import Emulators, Publish, ResultsOf


async def test_the_seeded_connections_are_valid_and_push_a_booking(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    crm_settings: CrmPushSettings,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await seed(crm_settings.own_database_url, tenant_id=tenant.id)
    await seed(crm_settings.own_database_url, tenant_id=tenant.id)  # again: changes nothing

    connections = (await api.get("/v1/crm/connection")).json()
    assert (connections["crm"]["provider"], connections["crm"]["status"]) == (
        "hubspot",
        "connected",
    )
    assert connections["notion"]["provider"] == "notion"
    # Saving the seeded config checks its pipeline and every mapped stage against the emulator.
    saved = await api.put("/v1/crm/config", json=HUBSPOT_CONFIG.model_dump(mode="json"))
    assert saved.status_code == 200, saved.text
    for target in ("crm", "notion"):
        checked = await api.post("/v1/crm/test", params={"target": target})
        assert checked.json()["ok"] is True, checked.text

    email = "newcomer@seeded.example"
    await fresh_emulators.post("notion", "/seed/pages", [{"Name": "New", "Email": email}])
    booked = await publish(meeting_event(MeetingBooked, tenant_id=tenant.id, email=email))
    results = {r.target: r for r in await results_of(booked, count=2)}
    assert results[PushTarget.CRM].success, results[PushTarget.CRM]
    assert results[PushTarget.NOTION].success, results[PushTarget.NOTION]
    hubspot = await fresh_emulators.state("hubspot")
    assert [c["properties"]["email"] for c in hubspot["objects"]["contacts"]] == [email]
    (page,) = (await fresh_emulators.state("notion"))["objects"]["pages"]
    assert page["database_id"].replace("-", "") == NOTION_DATABASE_ID.replace("-", "")
    assert page["values"]["Booking Status"]["name"] == "Booked"


async def test_a_connection_changed_since_the_seed_is_kept(
    api: httpx.AsyncClient, tenant: TenantCredentials, crm_settings: CrmPushSettings
) -> None:
    await seed(crm_settings.own_database_url, tenant_id=tenant.id)
    assert (await api.delete("/v1/crm/disconnect")).status_code == 200

    await seed(crm_settings.own_database_url, tenant_id=tenant.id)
    connections = (await api.get("/v1/crm/connection")).json()
    assert connections["crm"]["status"] == "disconnected"
    assert connections["notion"]["status"] == "connected"
