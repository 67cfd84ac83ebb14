"""A consuming service killed (SIGKILL) and started again consumes within seconds.

On the local broker a group join is held for half the session timeout and a killed member
stays in its group until that timeout has passed since its last heartbeat; the devstack's
consumer timings (LOCAL_BROKER_TIMINGS) keep both short. With the Kafka defaults this took
10-15 s after every restart.
"""

import asyncio
import signal
import time
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from dealflow_libs.devstack.stack import Stack
from dealflow_libs.migrate import ensure_database, upgrade
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.factories import booking_event

from .test_crash_recovery import start_meetings

#: Generous: measured 2-4 s here from the start of the process (about 1.5 s of it is Python
#: and uvicorn starting up); bench/latency/run.py --restarts gives the figure.
WITHIN_S = 8.0


async def wait_for_meeting(conn: asyncpg.Connection, email: str, within: float) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await conn.fetchval("SELECT count(*) FROM meetings WHERE primary_email = $1", email):
            return time.monotonic()
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no meeting for {email} within {within}s")


async def test_a_killed_service_consumes_soon_after_it_starts_again(
    stack: Stack, prepared_stack, publish
) -> None:
    url = (
        make_url(prepared_stack["meetings"])
        .set(database="dealflow_meetings_restart")
        .render_as_string(hide_password=False)
    )
    await ensure_database(stack.database_url, "dealflow_meetings_restart")
    await asyncio.to_thread(upgrade, "meetings", url)
    conn = await asyncpg.connect(plain_url(url))
    group = f"restart-{uuid.uuid4().hex[:6]}-"
    tenant = f"restart-{uuid.uuid4().hex[:6]}"

    first = start_meetings(stack, url, group)
    try:
        email = f"first@{tenant}.com"
        await publish(booking_event(tenant_id=tenant, email=email))
        await wait_for_meeting(conn, email, within=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)

    started = time.monotonic()
    second = start_meetings(stack, url, group)
    try:
        email = f"second@{tenant}.com"
        await publish(booking_event(tenant_id=tenant, email=email))
        consumed = await wait_for_meeting(conn, email, within=60) - started
    finally:
        second.terminate()
        second.wait(15)
        await conn.close()
    print(f"consumed {consumed:.1f}s after the killed service was started again")
    assert consumed < WITHIN_S
