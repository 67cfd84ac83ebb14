"""POST /v1/attribution/recompute: runs computed again from what is stored, a new run only where
the inputs changed; a tenant recompute goes a batch per transaction, and one killed mid-way,
run again, loses and doubles nothing."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections import Counter

from sqlalchemy import select

from attribution.db.tables import attribution_runs, outbox, tenants
from attribution.deal_events import record_deal_events
from attribution.domain.deal_runs import DEFAULT_MODELS
from attribution.recompute import recompute_tenant
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC
from dealflow_schemas.deals import DealLost, DealStatus, DealWon

from .factories import deal_event, post_journey

CONSUMER = "attribution-deals"
MODELS = len(DEFAULT_MODELS)


async def tenant_with_deals(client, sessions, uow_factory, won: int, lost: int = 0):  # type: ignore[no-untyped-def]
    tenant = await seed_tenant(sessions, tenants, prefix="r")
    deals = []
    for i in range(won + lost):
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = uuid.uuid4()
        await post_journey(client, tenant, domain, prefix=f"{deal_id.hex[:6]}-")
        kind, status = (DealWon, DealStatus.WON) if i < won else (DealLost, DealStatus.LOST)
        extra = {} if kind is DealWon else {"reason": "price_too_high"}
        event = deal_event(kind, tenant.id, deal_id, domain, status=status, **extra)
        await record_deal_events(uow_factory(CONSUMER), [(str(uuid.uuid4()), event)])
        deals.append(deal_id)
    return tenant, deals


async def run_counts(sessions, tenant_id: str) -> Counter[tuple[uuid.UUID, str]]:  # type: ignore[no-untyped-def]
    r = attribution_runs.c
    async with sessions() as session:
        rows = await session.execute(select(r.deal_id, r.model).where(r.tenant_id == tenant_id))
        return Counter((deal_id, model) for deal_id, model in rows)


async def published_runs(sessions, deal_ids) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.scalars(
            select(outbox.c.id).where(
                outbox.c.topic == ATTRIBUTION_TOPIC, outbox.c.key.in_([str(d) for d in deal_ids])
            )
        )
        return len(list(rows))


async def set_settings(uow_factory, tenant_id: str, settings: dict) -> None:  # type: ignore[no-untyped-def]
    async with uow_factory() as uow:
        assert await uow.tenants.replace_settings(tenant_id, settings)
        await uow.commit()


class TestRecomputeApi:
    async def test_unchanged_inputs_store_nothing_and_a_new_half_life_supersedes(
        self, client, sessions, uow_factory
    ) -> None:
        tenant, deals = await tenant_with_deals(client, sessions, uow_factory, won=3, lost=1)
        answer = await client.post("/v1/attribution/recompute", json={}, headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "scope": "tenant", "deals_recomputed": 3, "runs_created": 0,
            "runs_unchanged": 3 * MODELS,
        }  # fmt: skip

        await set_settings(uow_factory, tenant.id, {"time_decay_half_life_days": "3"})
        one = await client.post(
            "/v1/attribution/recompute", json={"deal_id": str(deals[0])}, headers=tenant.auth
        )
        assert one.json() == {
            "scope": "deal", "deals_recomputed": 1, "runs_created": 1,
            "runs_unchanged": MODELS - 1,
        }  # fmt: skip
        rest = await client.post(
            "/v1/attribution/recompute", json={"all": True}, headers=tenant.auth
        )
        assert rest.json()["runs_created"] == 2  # the two other deals' time_decay runs
        counts = await run_counts(sessions, tenant.id)
        assert counts == Counter(
            {
                (d, m.value): 2 if m.value == "time_decay" else 1
                for d in deals[:3]
                for m in DEFAULT_MODELS
            }
        )
        current = await client.get(
            f"/v1/deals/{deals[0]}/attribution", params={"model": "time_decay"}, headers=tenant.auth
        )
        assert current.json()["params"] == {"half_life_days": "3/1"}

    async def test_errors(self, client, sessions, uow_factory) -> None:
        tenant, deals = await tenant_with_deals(client, sessions, uow_factory, won=0, lost=1)
        for body, status in (
            ({"deal_id": str(uuid.uuid4())}, 404),
            ({"deal_id": str(deals[0])}, 404),  # lost: no runs to compute
            ({"deal_id": str(deals[0]), "all": True}, 422),
            ({"deal_id": "nope"}, 422),
        ):
            answer = await client.post("/v1/attribution/recompute", json=body, headers=tenant.auth)
            assert answer.status_code == status, (body, answer.text)
        assert (await client.post("/v1/attribution/recompute", json={})).status_code == 401
        other, _ = await tenant_with_deals(client, sessions, uow_factory, won=0)
        answer = await client.post("/v1/attribution/recompute", json={}, headers=other.auth)
        assert answer.json()["deals_recomputed"] == 0  # tenants are isolated


class TestKilledRecompute:
    async def test_a_recompute_killed_mid_way_and_run_again_loses_and_doubles_nothing(
        self, client, sessions, uow_factory
    ) -> None:
        tenant, deals = await tenant_with_deals(client, sessions, uow_factory, won=5)
        await set_settings(uow_factory, tenant.id, {"time_decay_half_life_days": "2"})
        commits = 0

        class KilledAtTheThirdBatch(AttributionUnitOfWork):
            async def commit(self) -> None:
                nonlocal commits
                commits += 1
                if commits == 3:  # batches 1 and 2 committed; the third dies before its commit
                    raise RuntimeError("killed")
                await super().commit()

        crashing = lambda: KilledAtTheThirdBatch(sessions)  # noqa: E731
        try:
            await recompute_tenant(crashing, tenant.id, caused_by="t", batch_size=2)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the recompute should have been killed")
        assert sum((await run_counts(sessions, tenant.id)).values()) == 5 * MODELS + 4

        again = await recompute_tenant(
            lambda: AttributionUnitOfWork(sessions), tenant.id, caused_by="t", batch_size=2
        )
        assert (again.deals, again.runs_created) == (5, 1)
        counts = await run_counts(sessions, tenant.id)
        assert counts == Counter(
            {
                (d, m.value): 2 if m.value == "time_decay" else 1
                for d in deals
                for m in DEFAULT_MODELS
            }
        )
        # Every stored run was published exactly once (outbox rows in the runs' transactions).
        assert await published_runs(sessions, deals) == 5 * MODELS + 5


class TestRecomputeCli:
    async def test_dealflow_attribution_recompute(self, client, sessions, uow_factory) -> None:
        tenant, deals = await tenant_with_deals(client, sessions, uow_factory, won=2)
        await set_settings(uow_factory, tenant.id, {"time_decay_half_life_days": "5"})
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "attribution.cli", "recompute", tenant.id],
            capture_output=True, text=True, env={**os.environ, "DEALFLOW_LOG_LEVEL": "WARNING"},
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"{tenant.id}: 2 won deals, 2 runs created, {2 * MODELS - 2} unchanged" in (
            done.stdout
        )
        assert f"runs of {tenant.id}" in done.stderr  # the progress bar
        counts = await run_counts(sessions, tenant.id)
        assert counts[(deals[0], "time_decay")] == 2
