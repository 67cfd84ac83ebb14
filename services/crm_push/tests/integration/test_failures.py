"""Never blocking, never lost: redelivery, 429 storms, 5xx bursts, outages, parking and retry,
revoked credentials, against the HubSpot emulator through the running service."""

import asyncio
import uuid
from typing import Any

import httpx

from dealflow_libs.testing.factories import deal_event, meeting_event
from dealflow_libs.testing.kafka import publish_event
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_libs.testing.waiting import eventually
from dealflow_schemas.crm import PushOutcome
from dealflow_schemas.deals import DealCreated
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingBooked

from .support import HUBSPOT_TOKEN, Emulators, Publish, ResultsOf, connect_hubspot


async def counts(emulators: Emulators) -> dict[str, int]:
    found: dict[str, int] = (await emulators.state("hubspot"))["counts"]
    return found


async def test_a_redelivered_event_is_pushed_once(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    producer: Any,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    booked = meeting_event(MeetingBooked, tenant_id=tenant.id)
    event_id = uuid.uuid4()
    for _ in range(3):
        await publish_event(
            producer, MEETINGS_TOPIC, booked, key=str(booked.meeting_id), event_id=event_id
        )
    marker = meeting_event(MeetingBooked, tenant_id=tenant.id, email="later@acme.com")
    await results_of(await publish(marker))  # later on the topic: the copies were handled
    assert len(await results_of(str(event_id))) == 1
    assert (await counts(fresh_emulators))["meetings"] == 2
    contacts = (await fresh_emulators.state("hubspot"))["objects"]["contacts"]
    assert sorted(c["properties"]["email"] for c in contacts) == [
        "jamie@acme.com",
        "later@acme.com",
    ]


async def test_a_429_storm_and_a_5xx_burst_end_in_success_without_duplicates(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    await fresh_emulators.post(
        "hubspot", "/faults", {"kind": "rate_limit", "count": 6, "retry_after_ms": 0}
    )
    # The writes happen, then a 503 answers: the retry must find what was created.
    await fresh_emulators.post(
        "hubspot", "/faults", {"kind": "server_error", "count": 4, "method": "POST", "apply": True}
    )
    meeting = meeting_event(MeetingBooked, tenant_id=tenant.id)
    booked = await publish(meeting)
    created = await publish(
        deal_event(DealCreated, tenant_id=tenant.id, meeting_ids=[meeting.meeting_id])
    )
    (meeting_result,) = await results_of(booked)
    (deal_result,) = await results_of(created)
    assert meeting_result.success, meeting_result
    assert deal_result.success, deal_result
    assert meeting_result.attempts + deal_result.attempts > 2
    found = await counts(fresh_emulators)
    assert (found["contacts"], found["companies"], found["deals"], found["meetings"]) == (
        1,
        1,
        1,
        1,
    )
    faults = await fresh_emulators.requests("hubspot", status=429)
    assert len(faults) == 6


async def test_a_crm_down_for_a_while_is_not_hammered_and_pushes_complete_after(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    await fresh_emulators.post(
        "hubspot",
        "/faults",
        {"kind": "server_error", "ratio": 1.0, "path_prefix": "/crm/v3/objects"},
    )
    events = [
        meeting_event(MeetingBooked, tenant_id=tenant.id, email=f"p{i}@acme.com") for i in range(5)
    ]
    ids = [await publish(e) for e in events]
    await eventually(lambda: fresh_emulators.requests("hubspot", status=500))
    await asyncio.sleep(2.5)  # the outage lasts: the breaker keeps calls down
    during = len(await fresh_emulators.requests("hubspot", status=500))
    # Without a breaker 5 pushes retrying every 0.05-0.3 s would make well over 40 calls.
    assert during <= 20, f"{during} calls to a CRM that is down"
    async with fresh_emulators.control("hubspot") as control:
        (await control.delete("/faults")).raise_for_status()
    results = [r for event_id in ids for r in await results_of(event_id)]
    assert all(r.success for r in results), results
    assert (await counts(fresh_emulators))["contacts"] == 5
    pushes = (await api.get("/v1/crm/pushes", params={"status": "pending"})).json()["items"]
    assert pushes == []


async def test_a_push_that_keeps_failing_is_parked_visible_and_retried_by_hand(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    await fresh_emulators.post(
        "hubspot",
        "/faults",
        {"kind": "server_error", "ratio": 1.0, "path_prefix": "/crm/v3/objects/meetings"},
    )
    event_id = await publish(meeting_event(MeetingBooked, tenant_id=tenant.id))
    (parked,) = await results_of(event_id, within=40)
    assert parked.outcome == PushOutcome.PARKED
    assert parked.attempts == 8
    assert parked.error is not None
    assert "500" in parked.error
    listed = (await api.get("/v1/crm/pushes", params={"status": "parked"})).json()["items"]
    assert [p["id"] for p in listed] == [str(parked.push_id)]
    failed = (await api.get("/v1/crm/logs", params={"status": "failed"})).json()["items"]
    assert failed
    assert all(c["status"] == 500 for c in failed), [c for c in failed if c["status"] != 500]
    # After the first failure the create may have happened: later attempts look first.
    assert {c["operation"] for c in failed} == {"create_meeting", "search_meeting"}
    async with fresh_emulators.control("hubspot") as control:
        (await control.delete("/faults")).raise_for_status()
    retried = await api.post(f"/v1/crm/logs/{failed[0]['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] in ("pending", "running", "succeeded")
    done = (await results_of(event_id, count=2))[1]
    assert done.success
    assert (await counts(fresh_emulators))["meetings"] == 1
    again = await api.post(f"/v1/crm/pushes/{parked.push_id}/retry")
    assert again.status_code == 409


async def test_a_revoked_key_marks_the_connection_and_a_reconnect_resumes_the_pushes(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    await fresh_emulators.post("hubspot", "/faults", {"kind": "revoke"})
    event_id = await publish(meeting_event(MeetingBooked, tenant_id=tenant.id))

    async def marked() -> dict[str, Any] | None:
        crm = (await api.get("/v1/crm/connection")).json()["crm"]
        return crm if crm["status"] == "error" else None

    connection = await eventually(marked)
    assert "credentials refused" in connection["status_reason"]
    assert HUBSPOT_TOKEN not in str(connection)
    logged = (await api.get("/v1/crm/logs", params={"status": "failed"})).json()["items"]
    assert logged
    assert logged[0]["status"] == 401
    pending = (await api.get("/v1/crm/pushes", params={"status": "pending"})).json()["items"]
    assert len(pending) == 1  # waiting for the reconnect, not lost
    await fresh_emulators.post("hubspot", "/api-keys", {"key": HUBSPOT_TOKEN})
    await connect_hubspot(api)
    (result,) = await results_of(event_id)
    assert result.success
    assert (await counts(fresh_emulators))["meetings"] == 1
