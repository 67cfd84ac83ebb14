"""What a newcomer sees after `make run`: the emulators are up at the printed URLs, and a booking
for the demo tenant is pushed into the HubSpot emulator, its deal staged by the seeded mapping."""

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
        start = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
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
    finally:
        await asyncio.to_thread(run.stop)
