"""The read models kept by triggers on deals (deal_summaries for the pipeline, deal_lost_months
for lost-deal analysis) against a full recompute: random sequences of deal changes through the
real use cases and bulk SQL, in two tenants, leave no difference after any step, and a lost
window of any length answers what the per-row analysis gives; the endpoints answer exactly what
the per-row computation of the old endpoints gives; `dealflow-deals check-summaries` finds a
summary that drifted."""

import asyncio
import contextlib
import random
import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from dealflow_libs.testing.tenants import seed_tenant
from dealflow_libs.utc_days import first_whole_month, midnight
from dealflow_schemas.deals import DealStage, DealStatus, LostReason
from dealflow_schemas.meetings import MeetingBooked
from deals.api.pipeline import LostAnalysisOut, LostOut, PipelineOut, StageOut
from deals.cli import app as cli
from deals.db.tables import deals, tenants
from deals.domain.analytics import lost_analysis, lost_from_groups, pipeline_summary
from deals.domain.deal import OPEN_STAGES, DealClosed, InvalidChange
from deals.use_cases import (
    Conflict,
    edit_deal,
    lose_deal,
    move_stage,
    record_meeting_events,
    reopen_deal,
    summary_differences,
    win_deal,
)

from .test_deal_analytics import booking


class Run:
    """One tenant's deals driven by a seeded random sequence of use-case calls."""

    def __init__(self, uow_factory, tenant_id: str, rng: random.Random) -> None:
        self.uow, self.tenant_id, self.rng = uow_factory, tenant_id, rng
        self.deal_ids: list[uuid.UUID] = []
        self.companies: list[str] = []

    async def step(self) -> None:
        action = self.rng.choice(
            ["book", "book", "move", "win", "lose", "reopen", "edit", "edit_none", "backdate"] * 2
            + ["backdate"]
            if self.deal_ids
            else ["book"]
        )
        # A refused change must leave the rows and the summaries both as they were.
        with contextlib.suppress(DealClosed, InvalidChange, Conflict):
            await getattr(self, action)()

    async def book(self) -> None:
        reuse = self.companies and self.rng.random() < 0.3
        company = self.rng.choice(self.companies) if reuse else f"c{uuid.uuid4().hex[:8]}.io"
        self.companies.append(company)
        event = booking(self.tenant_id, company, person=f"p{self.rng.randrange(1000)}")
        assert isinstance(event, MeetingBooked)
        await record_meeting_events(self.uow(), [(str(uuid.uuid4()), event)])
        async with self.uow() as uow:
            found = await uow.session.scalars(
                select(deals.c.id).where(deals.c.tenant_id == self.tenant_id)
            )
            self.deal_ids = sorted(found)

    def _deal(self) -> uuid.UUID:
        return self.rng.choice(self.deal_ids)

    def _value(self) -> Decimal:
        return Decimal(self.rng.randrange(1, 5_000_000)) / 100

    async def move(self) -> None:
        stage = self.rng.choice(OPEN_STAGES)
        await move_stage(self.uow(), self.tenant_id, self._deal(), stage=stage, by="t", reason=None)

    async def win(self) -> None:
        await win_deal(self.uow(), self.tenant_id, self._deal(), value=self._value(), by="t")

    async def lose(self) -> None:
        reason = self.rng.choice(list(LostReason))
        await lose_deal(self.uow(), self.tenant_id, self._deal(), reason=reason, notes=None, by="t")

    async def reopen(self) -> None:
        await reopen_deal(self.uow(), self.tenant_id, self._deal(), stage=None, by="t", reason=None)

    async def edit(self) -> None:
        changes = {"value": self._value()}
        await edit_deal(self.uow(), self.tenant_id, self._deal(), changes=changes, by="t")

    async def edit_none(self) -> None:
        await edit_deal(self.uow(), self.tenant_id, self._deal(), changes={"value": None}, by="t")

    async def backdate(self) -> None:
        """A write around the use cases (bulk SQL, as an import would): a closed deal's life (or
        any deal's, if none is closed) moved back up to 500 days, so lost deals spread over many
        months."""
        async with self.uow() as uow:
            closed = await uow.session.scalars(
                select(deals.c.id)
                .where(deals.c.tenant_id == self.tenant_id, deals.c.closed_at.is_not(None))
                .order_by(deals.c.id)
            )
            deal_id = self.rng.choice(closed.all() or self.deal_ids)
            await uow.session.execute(
                text(
                    "UPDATE deals SET created_at = created_at - CAST(:back AS interval),"
                    " closed_at = closed_at - CAST(:back AS interval) WHERE id = :id"
                ),
                {"back": timedelta(days=self.rng.uniform(0, 500)), "id": deal_id},
            )
            await uow.commit()


async def differences(uow_factory, tenant_id: str) -> list:
    return list(await summary_differences(uow_factory(), tenant_id))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_changes_keep_summaries_equal_to_a_recompute(
    seed, uow_factory, sessions
) -> None:
    rng = random.Random(seed)
    runs = [
        Run(uow_factory, (await seed_tenant(sessions, tenants, prefix=p)).id, rng)
        for p in ("s", "beside")
    ]
    months = []
    for _ in range(60):
        run = rng.choice(runs)
        await run.step()
        assert await differences(uow_factory, run.tenant_id) == []
        await assert_lost_window(uow_factory, run.tenant_id, a_since(rng))
        months.append(await lost_months(uow_factory, run.tenant_id))
    statuses = {s for run in runs for s in await statuses_of(uow_factory, run.tenant_id)}
    assert {DealStatus.ACTIVE, DealStatus.LOST} <= statuses  # the sequence moved deals about
    assert max(months) > 1  # lost deals in several months at some step: the rollup was read


async def lost_months(uow_factory, tenant_id: str) -> int:
    async with uow_factory() as uow:
        found = await uow.session.scalar(
            text(
                "SELECT count(DISTINCT month) FROM deal_lost_months"
                " WHERE deals > 0 AND tenant_id = :t"
            ),
            {"t": tenant_id},
        )
    return int(found or 0)


def a_since(rng: random.Random) -> datetime:
    """A window's start up to 600 days back: any instant, or a UTC month's or day's first."""
    since = datetime.now(UTC) - timedelta(days=rng.uniform(0, 600))
    snap = rng.choice(["none", "day", "month"])
    if snap == "none":
        return since
    day = since.date().replace(day=1) if snap == "month" else since.date()
    return datetime.combine(day, time(), tzinfo=UTC)


async def assert_lost_window(uow_factory, tenant_id: str, since: datetime) -> None:
    """The analysis from the rollup and the partial month equals the per-row analysis."""
    async with uow_factory() as uow:
        groups = await uow.deals.lost_groups(tenant_id, since)
        c = deals.c
        rows = (
            await uow.session.execute(
                select(c.lost_reason, c.value, c.days_to_close, c.stage_before_close).where(
                    c.tenant_id == tenant_id, c.status == DealStatus.LOST, c.closed_at >= since
                )
            )
        ).all()
    assert sum(g.count for g in groups) == len(rows), since
    assert lost_from_groups(groups) == lost_analysis(tuple(r) for r in rows), since


async def statuses_of(uow_factory, tenant_id: str) -> set[DealStatus]:
    async with uow_factory() as uow:
        found = await uow.session.scalars(
            select(deals.c.status).where(deals.c.tenant_id == tenant_id)
        )
        return set(found)


async def test_endpoints_answer_what_a_per_row_recompute_gives(client, tenant, uow_factory) -> None:
    run = Run(uow_factory, tenant.id, random.Random(7))
    for _ in range(50):
        await run.step()
    pipeline = await client.get("/v1/pipeline", headers=tenant.auth)
    # Ten years: every lost deal, backdated ones in whole months of the rollup included.
    lost = await client.get("/v1/analytics/lost?days=3650", headers=tenant.auth)

    async with uow_factory() as uow:
        c = deals.c
        active = (
            await uow.session.execute(
                select(c.stage, c.value, c.probability, c.currency).where(
                    c.tenant_id == tenant.id, c.status == DealStatus.ACTIVE
                )
            )
        ).all()
        since = datetime.fromisoformat(lost.json()["since"])
        lost_rows = (
            await uow.session.execute(
                select(c.lost_reason, c.value, c.days_to_close, c.stage_before_close).where(
                    c.tenant_id == tenant.id, c.status == DealStatus.LOST, c.closed_at >= since
                )
            )
        ).all()
    summary = pipeline_summary((s, v, p) for s, v, p, _ in active)
    expected = PipelineOut(
        stages=[StageOut(**s.__dict__) for s in summary.stages],
        count=summary.count,
        total_value=summary.total_value,
        weighted_value=summary.weighted_value,
        currencies=sorted({row.currency for row in active}),
    )
    assert summary.count > 0
    assert lost_rows
    assert pipeline.json() == expected.model_dump(mode="json")
    expected_lost = LostAnalysisOut(
        days=3650,
        since=since,
        total_lost=len(lost_rows),
        reasons=[LostOut(**r.__dict__) for r in lost_analysis(tuple(r) for r in lost_rows)],
    )
    assert lost.json() == expected_lost.model_dump(mode="json")


async def test_check_summaries_reports_a_summary_that_drifted(tenant, uow_factory) -> None:
    run = Run(uow_factory, tenant.id, random.Random(11))
    for _ in range(5):
        await run.book()
    assert await differences(uow_factory, tenant.id) == []
    await around_the_trigger(uow_factory, tenant.id, "deal_summaries SET deals = deals + 1")
    [drifted] = await differences(uow_factory, tenant.id)
    assert (drifted.status, drifted.stage) == ("active", DealStage.BOOKED.value)
    assert (drifted.kept_deals, drifted.recomputed_deals) == (6, 5)
    assert "1 difference(s)" in await check_summaries_fails(tenant.id)


async def around_the_trigger(uow_factory, tenant_id: str, update: str) -> None:
    """`UPDATE <update> WHERE tenant_id = <tenant>`: a read model moved by hand."""
    async with uow_factory() as uow:
        await uow.session.execute(text(f"UPDATE {update} WHERE tenant_id = :t"), {"t": tenant_id})
        await uow.commit()


async def check_summaries_fails(tenant_id: str) -> str:
    """`dealflow-deals check-summaries --tenant`, which must exit 1: its output."""
    # In a thread: the command runs its own event loop.
    command = ["check-summaries", "--tenant", tenant_id]
    result = await asyncio.to_thread(CliRunner().invoke, cli, command)
    assert result.exit_code == 1, result.output
    return result.output


async def test_a_deal_lost_at_a_months_first_instant_counts_once(tenant, uow_factory) -> None:
    """Midnight of the 1st belongs to the month the rollup holds, not to the partial month
    before it read from the rows."""
    run = Run(uow_factory, tenant.id, random.Random(5))
    await run.book()
    await run.lose()
    start = midnight(first_whole_month(datetime.now(UTC) - timedelta(days=100)))
    async with uow_factory() as uow:
        await uow.session.execute(
            text(
                "UPDATE deals SET closed_at = :at,"
                " created_at = CAST(:at AS timestamptz) - interval '3 days' WHERE tenant_id = :t"
            ),
            {"at": start, "t": tenant.id},
        )
        await uow.commit()
    for since in (start - timedelta(days=3), start, start + timedelta(microseconds=1)):
        await assert_lost_window(uow_factory, tenant.id, since)


async def test_check_summaries_reports_a_lost_month_that_drifted(tenant, uow_factory) -> None:
    run = Run(uow_factory, tenant.id, random.Random(12))
    await run.book()
    await run.lose()
    assert await differences(uow_factory, tenant.id) == []
    moved = "deal_lost_months SET days_count = days_count + 2"
    await around_the_trigger(uow_factory, tenant.id, moved)
    [drifted] = await differences(uow_factory, tenant.id)
    assert (drifted.kept[0], drifted.recomputed[0]) == (1, 1)
    assert (drifted.kept[3], drifted.recomputed[3]) == (3, 1)
    output = await check_summaries_fails(tenant.id)
    assert " lost " in output
    assert "1 difference(s)" in output


async def test_concurrent_writers_in_several_tenants_keep_summaries_exact(
    uow_factory, sessions
) -> None:
    """Batches booking into two tenants at once, from several connections: every batch commits
    (no deadlock, no lost update) and the summaries equal a recompute."""
    tenant_ids = [(await seed_tenant(sessions, tenants, prefix=p)).id for p in ("x", "y")]

    async def batch(n: int) -> int:
        order = tenant_ids if n % 2 else tenant_ids[::-1]
        events = [
            (str(uuid.uuid4()), booking(t, f"k{uuid.uuid4().hex[:8]}.io"))
            for t in order
            for _ in range(3)
        ]
        return await record_meeting_events(uow_factory(), events)

    assert await asyncio.gather(*(batch(n) for n in range(8))) == [6] * 8
    for tenant_id in tenant_ids:
        assert await differences(uow_factory, tenant_id) == []
    async with uow_factory() as uow:
        kept = await uow.session.scalar(
            text("SELECT sum(deals) FROM deal_summaries WHERE tenant_id = ANY(:t)"),
            {"t": tenant_ids},
        )
    assert kept == 48
