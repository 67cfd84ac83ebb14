"""A meetings process killed (SIGKILL) in the middle of a backlog loses and duplicates nothing."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from dealflow_libs.devstack.stack import Stack
from dealflow_libs.migrate import ensure_database, upgrade
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.factories import booking_event
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_libs.testing.servers import free_port
from dealflow_schemas.meetings import MEETINGS_TOPIC

EVENTS = 3000


def start_meetings(stack: Stack, database_url: str, group_prefix: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **stack.env(),
        "DEALFLOW_MEETINGS_DATABASE_URL": database_url,
        "DEALFLOW_KAFKA_GROUP_PREFIX": group_prefix,
        "DEALFLOW_CONSUMER_BATCH_SIZE": "200",
        "DEALFLOW_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "meetings.main:app",
            "--port",
            str(free_port()),
            "--log-level",
            "warning",
        ],
        env=env,
    )


async def count(conn: asyncpg.Connection, tenant: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM meetings WHERE tenant_id = $1", tenant)


async def test_killed_consumer_loses_and_duplicates_nothing(
    stack: Stack, prepared_stack, producer, publish
) -> None:
    url = (
        make_url(prepared_stack["meetings"])
        .set(database="dealflow_meetings_crash")
        .render_as_string(hide_password=False)
    )
    await ensure_database(stack.database_url, "dealflow_meetings_crash")
    await asyncio.to_thread(upgrade, "meetings", url)
    tenant = f"crash-{uuid.uuid4().hex[:6]}"
    await asyncio.gather(
        *[
            publish(booking_event(tenant_id=tenant, email=f"p{i}@company{i}.com"))
            for i in range(EVENTS)
        ]
    )

    conn = await asyncpg.connect(plain_url(url))
    group = f"crash-{uuid.uuid4().hex[:6]}-"
    async with TopicProbe(stack.kafka_bootstrap, MEETINGS_TOPIC) as probe:
        first = start_meetings(stack, url, group)
        try:
            for _ in range(600):
                if await count(conn, tenant) > 0:
                    break
                await asyncio.sleep(0.05)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        at_crash = await count(conn, tenant)
        assert 0 < at_crash < EVENTS, "the crash should hit the middle of the backlog"

        second = start_meetings(stack, url, group)
        try:
            for _ in range(1200):
                if await count(conn, tenant) >= EVENTS:
                    break
                await asyncio.sleep(0.1)
            ours = {
                str(r["id"])
                for r in await conn.fetch("SELECT id FROM meetings WHERE tenant_id = $1", tenant)
            }

            def booked_for_ours(record: Any) -> bool:
                return (
                    header(record, "ce_subject") in ours
                    and header(record, "ce_type") == "dealflow.meeting.booked.v1"
                )

            # A batch relayed just before the kill is published again (same ids):
            # count meetings, not records.
            for _ in range(1200):
                published = probe.matching(booked_for_ours)
                if len({header(r, "ce_subject") for r in published}) >= EVENTS:
                    break
                await asyncio.sleep(0.1)
        finally:
            second.terminate()
            second.wait(15)

    assert await count(conn, tenant) == EVENTS
    assert (
        await conn.fetchval(
            "SELECT count(DISTINCT primary_email) FROM meetings WHERE tenant_id = $1", tenant
        )
        == EVENTS
    )
    # The session's own meetings service (other database) may consume the same bookings: only
    # the events about this database's meetings count.
    ours = {
        str(r["id"])
        for r in await conn.fetch("SELECT id FROM meetings WHERE tenant_id = $1", tenant)
    }
    per_meeting: dict[str, set[str]] = {}
    for record in published:
        if header(record, "ce_subject") in ours:
            per_meeting.setdefault(header(record, "ce_subject"), set()).add(header(record, "ce_id"))
    assert len(per_meeting) == EVENTS
    assert all(len(ids) == 1 for ids in per_meeting.values()), (
        "one MeetingBooked per meeting (redelivery keeps its id)"
    )
    await conn.close()
    print(f"crash after {at_crash}/{EVENTS} meetings; recovered at {datetime.now(UTC).isoformat()}")
