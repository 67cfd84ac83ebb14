"""A restart of `make run` loses nothing that was accepted.

The local broker keeps nothing across restarts, so events published but not yet consumed when
the stack stops are gone from it; the services' outboxes publish them again when it starts.
The stack here is the real `make run` (its own data directory and ports), stopped and started
from outside as a developer does it."""

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import pytest

from dealflow_libs.testing.devstack import DevstackPorts, DevstackRun
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_schemas.bookings import BOOKINGS_TOPIC
from dealflow_schemas.meetings import MEETINGS_TOPIC
from ingest.domain.signatures import signed_headers
from ingest.samples.builders import calcom

pytestmark = pytest.mark.e2e

# The development tenant the devstack seeds.
TENANT, CALCOM_SECRET, API_KEY = "demo", "demo-calcom-secret", "demo-api-key"


async def book(http: httpx.AsyncClient, ports: DevstackPorts, domains: list[str]) -> None:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    for domain in domains:
        body = orjson.dumps(
            calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=f"ann@{domain}", start=start)
        )
        headers = signed_headers("calcom", body, CALCOM_SECRET, timestamp=int(time.time()))
        url = f"{ports.url('ingest')}/webhooks/calcom/{TENANT}"
        response = await http.post(url, content=body, headers=headers)
        assert response.status_code == 202, response.text


async def listed(http: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    """Every item of a paged list."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 500}
    while True:
        response = await http.get(
            url, params=params, headers={"Authorization": f"Bearer {API_KEY}"}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


async def until(check: Callable[[], Any], *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"{what} not reached within {within} s"
        await asyncio.sleep(0.5)


def held(run: DevstackRun, service: str) -> psutil.Process:
    process = psutil.Process(run.service_pid(service))
    process.suspend()
    return process


async def test_bookings_accepted_before_a_restart_each_become_one_meeting_and_one_deal(
    tmp_path: Path,
) -> None:
    ports = DevstackPorts()
    meetings_url, deals_url = (
        f"{ports.url('meetings')}/v1/meetings",
        f"{ports.url('deals')}/v1/deals",
    )
    suffix = uuid.uuid4().hex[:6]
    first = [f"before-{i}-{suffix}.com" for i in range(60)]
    second = [f"held-{i}-{suffix}.com" for i in range(40)]
    run = await asyncio.to_thread(DevstackRun(tmp_path, ports).start)
    bootstrap = f"127.0.0.1:{ports.kafka}"
    try:
        async with (
            httpx.AsyncClient(timeout=15) as http,
            TopicProbe(bootstrap, MEETINGS_TOPIC) as meeting_events,
            TopicProbe(bootstrap, BOOKINGS_TOPIC) as booking_events,
        ):
            # Deals is held still: the meetings' events are published but nobody consumes them.
            frozen = [held(run, "deals")]
            await book(http, ports, first)
            await meeting_events.wait_for(
                lambda r: header(r, "ce_type") == "dealflow.meeting.booked.v1",
                count=len(first),
                within=60,
            )
            # Then meetings too: these bookings are published and not consumed at all.
            frozen.append(held(run, "meetings"))
            await book(http, ports, second)
            await booking_events.wait_for(lambda r: True, count=len(first) + len(second), within=60)
        for process in frozen:  # as a crash would (a resumed service would consume first)
            process.kill()
        await asyncio.to_thread(run.stop)

        run = await asyncio.to_thread(DevstackRun(tmp_path, ports).start)
        async with httpx.AsyncClient(timeout=15) as http:
            everyone = len(first) + len(second)

            async def all_there() -> bool:
                return (
                    len(await listed(http, meetings_url)) >= everyone
                    and len(await listed(http, deals_url)) >= everyone
                )

            await until(all_there, within=180, what="every booking a meeting and a deal")
            # A booking after the restart is the marker: once its deal exists, anything sent
            # again before it has been handled too, so duplicates would show now.
            await book(http, ports, [f"marker-{suffix}.com"])

            async def marker_deal() -> bool:
                return any(
                    d["company"]["domain"] == f"marker-{suffix}.com"
                    for d in await listed(http, deals_url)
                )

            await until(marker_deal, within=60, what="the marker's deal")
            meetings = await listed(http, meetings_url)
            deals = await listed(http, deals_url)
        assert len(meetings) == everyone + 1
        assert sorted(d["company"]["domain"] for d in deals) == sorted(
            [*first, *second, f"marker-{suffix}.com"]
        )
    finally:
        await asyncio.to_thread(run.stop)
