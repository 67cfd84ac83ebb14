"""Operations: the replay and reseal commands."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable

import httpx

from crm_push.connections import reseal_credentials
from crm_push.connector import open_credentials
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs.secretbox import SecretBox, new_key_spec
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_schemas.crm import PushOutcome, PushTarget
from dealflow_schemas.meetings import MeetingBooked

from .support import PIPEDRIVE_TOKEN, Emulators, Publish, ResultsOf


def cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "typer", "crm_push.cli", "run", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
        check=True,
    )
    return done.stdout


async def test_replay_runs_parked_pushes_again(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await api.post("/v1/crm/connect/pipedrive", json={"api_token": PIPEDRIVE_TOKEN})
    # Pipedrive keeps failing: the push is parked after its attempts.
    await fresh_emulators.post(
        "pipedrive",
        "/faults",
        {"kind": "server_error", "ratio": 1.0, "path_prefix": "/api/v2/activities"},
    )
    event_id = await publish(meeting_event(MeetingBooked, tenant_id=tenant.id))
    (parked,) = await results_of(event_id, within=40)
    assert parked.outcome == PushOutcome.PARKED
    async with fresh_emulators.control("pipedrive") as control:
        (await control.delete("/faults")).raise_for_status()
    output = await asyncio.to_thread(cli, "replay", "--tenant", tenant.id)
    assert "1 parked push(es) queued again" in output
    done = (await results_of(event_id, count=2))[1]
    assert done.success, done
    assert (await fresh_emulators.state("pipedrive"))["counts"]["activities"] == 1


async def test_reseal_moves_credentials_to_the_new_key(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    uow_factory: Callable[..., CrmPushUnitOfWork],
) -> None:
    await api.post("/v1/crm/connect/pipedrive", json={"api_token": PIPEDRIVE_TOKEN})
    old = os.environ["DEALFLOW_SECRET_KEYS"]
    next_key = new_key_spec("next")
    ring = SecretBox.from_spec(f"{next_key},{old}")
    assert await reseal_credentials(uow_factory, ring) >= 1
    assert await reseal_credentials(uow_factory, ring) == 0
    async with uow_factory() as uow:
        connection = await uow.pushes.connection(tenant.id, PushTarget.CRM)
    assert connection is not None
    assert connection.credentials is not None
    assert ring.is_current(connection.credentials)
    assert open_credentials(ring, connection) == {"api_token": PIPEDRIVE_TOKEN}
    # Back to the service's own ring, so the other tests' connections still open.
    await reseal_credentials(uow_factory, SecretBox.from_spec(f"{old},{next_key}"))
