"""The customer's CRM down for a minute: bookings still become meetings and deals at once, and
every push completes once the CRM is back, without duplicates."""

import asyncio
import time
import uuid

import pytest

from ingest.samples.builders import calcom

from .conftest import System, eventually
from .test_journey import company, deals_of, final_push, meeting_of, soon

pytestmark = pytest.mark.e2e

#: How long the CRM stays down (the issue's "a minute").
OUTAGE_SECONDS = 60


async def test_a_crm_down_for_a_minute_slows_nothing_and_pushes_complete_after(
    hubspot: System,
) -> None:
    system = hubspot
    control = f"{system.emulators['hubspot']}/_emulator"
    down = {"kind": "server_error", "ratio": 1.0, "path_prefix": "/crm/v3/objects"}
    (await system.http.post(f"{control}/faults", json=down)).raise_for_status()
    went_down = time.monotonic()
    try:
        domain = company()
        email = f"outage-{uuid.uuid4().hex[:4]}@{domain}"
        uid = uuid.uuid4().hex
        started = time.monotonic()
        answer = await system.webhook(
            "calcom", calcom("BOOKING_CREATED", uid=uid, email=email, start=soon())
        )
        assert answer.status_code == 202, answer.text
        [deal] = await deals_of(system, domain)
        meeting = await meeting_of(system, email)
        # Meetings and deals did their part as fast as ever: the pushes only wait in crm_push.
        assert time.monotonic() - started < 15
        won = await system.post("deals", f"/v1/deals/{deal['deal_id']}/won", {"value": "1200"})
        assert won.status_code == 200, won.text

        async def waiting() -> list[dict] | None:
            pushes = await system.get("crm_push", "/v1/crm/pushes", deal_id=deal["deal_id"])
            pending = [p for p in pushes["items"] if p["status"] in ("pending", "running")]
            return pending or None

        pending = await eventually(waiting, what="the deal's pushes waiting out the outage")
        assert all(p["attempts"] >= 0 for p in pending)
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - went_down)))
    finally:
        (await system.http.delete(f"{control}/faults")).raise_for_status()

    # Retries back off (up to a minute apart by now) and the breaker probes: allow for both.
    won_push = await final_push(system, deal["deal_id"], "dealflow.deal.won.v1", within=240)
    assert won_push["status"] == "succeeded", won_push
    crm = await system.emulated("hubspot")
    assert [c["properties"]["email"] for c in crm["contacts"]].count(email) == 1
    [crm_deal] = [d for d in crm["deals"] if d["id"] == won_push["crm_deal_id"]]
    assert crm_deal["properties"]["dealstage"] == "closedwon"
    mark = f"dealflow:meeting:{meeting['meeting_id']}"

    async def one_activity() -> bool:
        state = await system.emulated("hubspot")
        return [m["properties"].get("dealflow_id") for m in state["meetings"]].count(mark) == 1

    await eventually(one_activity, what="the meeting activity, once")
