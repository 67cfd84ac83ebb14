"""`dealflow demo-data` against the running system: a dozen companies arrive through the public
webhooks and APIs with meetings in every state, deals in open and closed stages and touches on
their leads; the same seed again adds nothing."""

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.waiting import eventually
from ingest.demo.plan import DemoPlan, MeetingState, plan_demo

from .conftest import System, new_tenant

pytestmark = pytest.mark.e2e

SEED, COMPANIES = 3, 12


def _load(system: System) -> subprocess.CompletedProcess[str]:
    urls = system.urls
    command = [
        sys.executable,
        "-m",
        "ingest.cli",
        "demo-data",
        f"--tenant={system.tenant}",
        f"--companies={COMPANIES}",
        f"--seed={SEED}",
        f"--api-key={system.api_key}",
        f"--calcom-secret={system.calcom_secret}",
        f"--calendly-secret={system.calendly_secret}",
        f"--ingest-url={urls['ingest']}",
        f"--meetings-url={urls['meetings']}",
        f"--deals-url={urls['deals']}",
        f"--attribution-url={urls['attribution']}",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def _counts(output: str) -> dict[str, int]:
    lines = (line.rpartition(": ") for line in output.splitlines())
    return {name: int(count) for name, _, count in lines if count.isdigit()}


async def _meetings(system: System, plan: DemoPlan) -> list[dict[str, Any]]:
    emails = {m.attendee.email for c in plan.companies for m in c.meetings}
    found = await asyncio.gather(
        *(system.get("meetings", "/v1/meetings", attendee_email=e) for e in emails)
    )
    return sorted((m for page in found for m in page["items"]), key=lambda m: m["meeting_id"])


async def _deals(system: System, plan: DemoPlan) -> list[dict[str, Any]]:
    found = await asyncio.gather(
        *(system.get("deals", "/v1/deals", company_domain=c.domain) for c in plan.companies)
    )
    return sorted((d for page in found for d in page["items"]), key=lambda d: d["deal_id"])


def _states(meetings: list[dict[str, Any]]) -> set[str]:
    states = {m["status"] for m in meetings} | {m["meeting_outcome"] for m in meetings}
    states |= {"confirmed"} if any(m["confirmed"] for m in meetings) else set()
    states |= {"rescheduled"} if any(m["rescheduled_count"] for m in meetings) else set()
    states |= {"attended"} if any(m["showed_up"] is True for m in meetings) else set()
    return states


async def test_demo_data_fills_the_tenant_and_a_rerun_adds_nothing(system: System) -> None:
    plan = plan_demo(seed=SEED, companies=COMPANIES, now=datetime.now(UTC))

    first = await asyncio.to_thread(_load, system)
    assert first.returncode == 0, first.stdout + first.stderr
    sent = _counts(first.stdout)
    assert sent["webhooks accepted"] >= COMPANIES
    assert sent["touches created"] == len(plan.touches)
    assert sent["meetings commands"] > 0
    assert sent["deals commands"] > 0

    wanted_meetings = {
        "scheduled",
        "cancelled",
        "completed",
        "confirmed",
        "rescheduled",
        "attended",
        "good",
        "bad",
        "no_show",
        "pending",
    }

    async def meetings_in_every_state() -> list[dict[str, Any]] | None:
        meetings = await _meetings(system, plan)
        return meetings if _states(meetings) >= wanted_meetings else None

    await eventually(meetings_in_every_state, within=90, what="meetings in every state")

    async def deals_in_every_kind_of_stage() -> list[dict[str, Any]] | None:
        deals = await _deals(system, plan)
        found = {d["status"] for d in deals} | {
            d["stage"] for d in deals if d["status"] == "active"
        }
        wanted = {"won", "lost", "cancelled", "booked", "met", "qualification", "proposal"}
        return deals if found >= wanted else None

    deals = await eventually(deals_in_every_kind_of_stage, within=90, what="deals in every stage")
    won = [d for d in deals if d["status"] == "won"]
    assert all(d["value"] is not None and d["stage"] == "closed_won" for d in won)
    lost = [d for d in deals if d["status"] == "lost"]
    assert all(d["lost_reason"] for d in lost)
    assert len(deals) == COMPANIES  # one deal per company, the cancelled one included

    toucher = next(c for c in plan.companies if c.touches)
    email = toucher.touches[0].person_email
    lead = await system.get("attribution", f"/v1/leads/{email}")
    recorded = {i["touch"]["touch_id"] for i in lead["timeline"] if i["kind"] == "touch"}
    assert {t.touch_id for t in toucher.touches if t.person_email == email} <= recorded
    leads = await system.get("attribution", "/v1/leads", company_domain=toucher.domain)
    assert leads["items"]

    async def settled() -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
        """Meetings and deals once two looks a second apart agree (late events applied)."""
        before = (await _meetings(system, plan), await _deals(system, plan))
        await asyncio.sleep(1)
        after = (await _meetings(system, plan), await _deals(system, plan))
        return after if _essence(before) == _essence(after) else None

    meetings, deals = await eventually(settled, within=60, what="a settled tenant")
    histories = [await system.get("deals", f"/v1/deals/{d['deal_id']}/history") for d in deals]

    again = await asyncio.to_thread(_load, system)
    assert again.returncode == 0, again.stdout + again.stderr
    resent = _counts(again.stdout)
    assert resent["webhooks duplicate"] == sum(sent[k] for k in sent if k.startswith("webhooks "))
    assert resent["touches already there"] == len(plan.touches)
    assert {
        name: count
        for name, count in resent.items()
        if count and ("accepted" in name or "created" in name or "commands" in name)
    } == {}

    assert _essence((await _meetings(system, plan), await _deals(system, plan))) == _essence(
        (meetings, deals)
    )
    assert [
        await system.get("deals", f"/v1/deals/{d['deal_id']}/history") for d in deals
    ] == histories


def _essence(found: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> list[Any]:
    meetings, deals = found
    keys = ("meeting_id", "status", "meeting_outcome", "showed_up", "confirmed", "provider_uid")
    deal_keys = ("deal_id", "status", "stage", "value", "lost_reason")
    return [
        [tuple(m[k] for k in keys) for m in meetings],
        [tuple(d[k] for k in deal_keys) for d in deals],
    ]


async def test_a_tenant_on_the_good_outcome_policy_gets_deals_from_good_meetings_only(
    system: System, stack: Stack
) -> None:
    tenant = await new_tenant(system, stack, "ogo")
    policy = await tenant.http.put(
        f"{tenant.urls['deals']}/v1/settings",
        json={"policy": "on_good_outcome"},
        headers=tenant.auth,
    )
    assert policy.status_code == 200, policy.text

    loaded = await asyncio.to_thread(_load, tenant)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr

    plan = plan_demo(seed=SEED, companies=COMPANIES, now=datetime.now(UTC))
    good = {
        c.domain for c in plan.companies if any(m.state is MeetingState.GOOD for m in c.meetings)
    }

    async def deals_of_the_good_meetings() -> list[dict[str, Any]] | None:
        deals = await _deals(tenant, plan)
        return deals if {d["company"]["domain"] for d in deals} == good else None

    deals = await eventually(deals_of_the_good_meetings, within=60, what="deals from good outcomes")
    assert {d["status"] for d in deals} == {"active", "won", "lost"}
    assert all(d["stage"] not in ("booked", "met") for d in deals)
