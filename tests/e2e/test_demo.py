"""What a newcomer sees after `make run`: the emulators are up at the printed URLs, and a booking
for the demo tenant is pushed into the HubSpot emulator, its deal staged by the seeded mapping,
its confirmation is in the Resend emulator (its delivery reported back to notifications), the
meeting shows it was notified and carries the pre-call sequence of reminders."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from dealflow_libs.devstack.emulators import emulator_urls
from dealflow_libs.testing.devstack import DevstackPorts, DevstackRun
from ingest.domain.signatures import signed_headers
from ingest.samples.builders import calcom

pytestmark = pytest.mark.e2e

# The development tenant the devstack seeds.
TENANT, CALCOM_SECRET, API_KEY = "demo", "demo-calcom-secret", "demo-api-key"


async def test_make_run_pushes_the_demo_tenants_booking_into_the_hubspot_emulator(
    tmp_path: Path,
) -> None:
    ports = DevstackPorts()
    emulators = emulator_urls(ports.emulator_base)
    run = await asyncio.to_thread(DevstackRun(tmp_path, ports).start)
    try:
        log = run.log_path.read_text()
        for name, url in emulators.items():
            assert f"{name:<12} {url}" in log, f"{name} emulator's URL not printed"
        email = f"ann@newcomer-{uuid.uuid4().hex[:6]}.com"
        start = (datetime.now(UTC) + timedelta(days=4)).replace(second=0, microsecond=0)
        body = orjson.dumps(
            calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=start)
        )
        headers = signed_headers("calcom", body, CALCOM_SECRET, timestamp=int(time.time()))
        async with httpx.AsyncClient(timeout=15) as http:
            answer = await http.post(
                f"{ports.url('ingest')}/webhooks/calcom/{TENANT}", content=body, headers=headers
            )
            assert answer.status_code == 202, answer.text

            async def pushed() -> dict[str, Any] | None:
                state = (await http.get(f"{emulators['hubspot']}/_emulator/state")).json()
                objects = state["objects"]
                done = objects["contacts"] and objects["deals"] and objects["meetings"]
                return objects if done else None

            deadline = time.monotonic() + 90
            while (objects := await pushed()) is None:
                assert time.monotonic() < deadline, run.log_tail()
                await asyncio.sleep(0.5)
        assert [c["properties"]["email"] for c in objects["contacts"]] == [email]
        (deal,) = objects["deals"]
        assert (deal["properties"]["pipeline"], deal["properties"]["dealstage"]) == (
            "default",
            "appointmentscheduled",  # booked -> appointmentscheduled, the seeded mapping
        )
        assert deal["properties"]["hubspot_owner_id"] == "123456"  # the seeded default owner

        async with httpx.AsyncClient(timeout=15) as http:
            await _the_demo_tenant_is_emailed(http, run, ports, emulators["resend"], email, start)
    finally:
        await asyncio.to_thread(run.stop)


async def _eventually(probe: Any, run: DevstackRun, within: float = 60) -> Any:
    deadline = time.monotonic() + within
    while not (found := await probe()):
        assert time.monotonic() < deadline, run.log_tail()
        await asyncio.sleep(0.5)
    return found


async def _the_demo_tenant_is_emailed(
    http: httpx.AsyncClient,
    run: DevstackRun,
    ports: DevstackPorts,
    resend: str,
    email: str,
    start: datetime,
) -> None:
    auth = {"Authorization": f"Bearer {API_KEY}"}

    async def emails() -> list[dict[str, Any]]:
        state = (await http.get(f"{resend}/_emulator/state")).json()
        return [e for e in state["objects"]["emails"] if email in e["to"]]

    (confirmation,) = await _eventually(emails, run)
    # The sample's organizer is at example.com: no route, the seeded table's default.
    assert confirmation["from"] == "team@outboundsolutions.com"

    async def notified() -> dict[str, Any] | None:
        meetings = (
            await http.get(
                f"{ports.url('meetings')}/v1/meetings",
                params={"attendee_email": email},
                headers=auth,
            )
        ).json()["items"]
        return meetings[0] if meetings and meetings[0]["notification_sent_at"] else None

    meeting = await _eventually(notified, run)
    detail = (
        await http.get(f"{ports.url('meetings')}/v1/meetings/{meeting['meeting_id']}", headers=auth)
    ).json()
    planned = sorted(
        ((r["offset_minutes"], r["due_at"]) for r in detail["reminders"]), reverse=True
    )
    assert [(m, datetime.fromisoformat(d)) for m, d in planned] == [
        (m, start - timedelta(minutes=m)) for m in (72 * 60, 24 * 60, 2 * 60)
    ]

    async def delivered() -> bool:
        sends = (
            await http.get(
                f"{ports.url('notifications')}/v1/notifications",
                params={"meeting_id": meeting["meeting_id"]},
                headers=auth,
            )
        ).json()["items"]
        return bool(sends) and sends[0]["delivery"] == "delivered"

    # The emulator's delivery webhooks reach notifications, signed with the seeded secret.
    await _eventually(delivered, run)
