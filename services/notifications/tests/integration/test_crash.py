"""kill -9 between the provider's acceptance and the commit: still one email.

The service runs as its own process. The Resend emulator accepts the email, then holds its
answer (a timeout fault with `apply`); the process is killed while it waits, so the send stays
`sending` with nothing recorded. A new process takes the send up after its lease and sends it
again with the same Idempotency-Key, which Resend answers with the original email.
"""

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from dealflow_libs.devstack.__main__ import start_services, stop_processes
from dealflow_libs.devstack.services import ALL_SERVICES
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.servers import free_port
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_schemas.meetings import MeetingBooked
from notifications.domain.senders import DEMO_SENDERS

from .conftest import RESEND_KEY, Publish, ResendControl

SPEC = next(s for s in ALL_SERVICES if s.name == "notifications")


@pytest.fixture
async def service(
    stack: Stack, prepared_stack: dict[str, str], resend_url: str
) -> AsyncIterator[dict[str, Any]]:
    port = free_port()
    env = {
        "DEALFLOW_RESEND_API_BASE": resend_url,
        "DEALFLOW_SENDING_LEASE_SECONDS": "5",
        "DEALFLOW_DISPATCH_POLL_SECONDS": "0.2",
        "DEALFLOW_PROVIDER_TIMEOUT_SECONDS": "60",
    }
    running: dict[str, Any] = {"processes": [], "port": port, "env": env}

    def start() -> None:
        running["processes"] = start_services(
            stack, [SPEC], ports={SPEC.name: port}, quiet=True, extra_env=env
        )

    running["start"] = start
    await asyncio.to_thread(start)
    try:
        yield running
    finally:
        await asyncio.to_thread(stop_processes, running["processes"])


async def test_kill_9_after_the_provider_accepted_still_sends_one_email(
    service: dict[str, Any],
    tenant: TenantCredentials,
    emulator: ResendControl,
    publish: Publish,
) -> None:
    url = f"http://127.0.0.1:{service['port']}"
    async with httpx.AsyncClient(base_url=url, headers=tenant.auth, timeout=15) as api:
        assert (
            await api.put("/v1/settings/senders", json=DEMO_SENDERS.model_dump(mode="json"))
        ).status_code == 200
        transport = {"kind": "resend", "api_key": RESEND_KEY}
        assert (await api.put("/v1/settings/transport", json=transport)).status_code == 200
    await emulator.call(
        "POST",
        "/faults",
        {
            "kind": "timeout",
            "count": 1,
            "apply": True,
            "hold_seconds": 60,
            "path_prefix": "/emails",
        },
    )
    attendee = f"crash-{uuid.uuid4().hex[:6]}@prospect.io"
    await publish(meeting_event(MeetingBooked, tenant_id=tenant.id, email=attendee))

    async def accepted() -> bool:
        return any(attendee in e["to"] for e in await emulator.emails())

    for _ in range(200):
        if await accepted():
            break
        await asyncio.sleep(0.1)
    else:
        raise TimeoutError("the emulator never accepted the email")
    (process,) = service["processes"]
    os.kill(process.pid, signal.SIGKILL)  # the answer never arrives, nothing is committed
    process.wait(timeout=10)
    await asyncio.to_thread(service["start"])

    async def sent() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=url, headers=tenant.auth, timeout=15) as api:
            items = (await api.get("/v1/notifications", params={"recipient": attendee})).json()
        found = [n for n in items["items"] if n["status"] == "sent"]
        return found[0] if found else None

    for _ in range(300):
        if (done := await sent()) is not None:
            break
        await asyncio.sleep(0.1)
    else:
        raise TimeoutError("the send was never completed after the restart")
    assert len([e for e in await emulator.emails() if attendee in e["to"]]) == 1
    assert done["attempts"] == 1
