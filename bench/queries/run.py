"""Query endpoints of the deals service at scale: p50/p95 over HTTP after a bulk load.

    make bench-queries                                  # 100,000 deals in the measured tenant
    make bench-queries BENCH_ARGS="--deals 1000000"     # the issue's figure
    .venv/bin/python bench/queries/run.py --deals 100000 --calls 20 --plans

Starts a throwaway PostgreSQL (deals' database migrated), seeds two tenants and loads, through
COPY (progress bar), `--deals` deals into the measured tenant and `--others` (default a quarter
as many) into a second tenant beside it. The spread is issue 12's: 55% active across the open
stages, 20% won, 20% lost with a reason, 5% cancelled, one company each; created over three
years, closed 1-180 days later. Then VACUUM ANALYZE (what autovacuum would have done) and the
app in-process over real HTTP: each endpoint once to warm up, then `--calls` timed calls, p50
and p95 (nearest rank) printed as a table. `--plans` prints the plans of the summary queries,
the generic plan of the prepared statement included.
"""

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from itertools import islice

import asyncpg
from harness import (
    CHUNK,
    NOW,
    YEARS,
    Row,
    console,
    copy_rows,
    loading,
    print_figures,
    print_plans,
    time_endpoints,
    vacuum_analyze,
)
from rich.progress import Progress

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.pagination import encode_cursor
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import service_database
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.deals import DealStage, DealStatus, LostReason
from deals.config import DealsSettings
from deals.db.tables import tenants
from deals.domain.deal import OPEN_STAGES
from deals.domain.settings import DEFAULT_PROBABILITIES
from deals.main import build_app
from deals.uow import DealsUnitOfWork
from deals.use_cases import summary_differences

DEAL_COLUMNS = (
    "id", "tenant_id", "company_id", "name", "status", "stage", "probability", "value",
    "currency", "lost_reason", "closed_at", "days_to_close", "stage_before_close",
    "created_at", "updated_at", "stage_entered_at",
)  # fmt: skip


def deal_rows(tenant_id: str, count: int, seed: int) -> Iterator[tuple[Row, Row]]:
    """(company row, deal row) pairs with issue 12's spread, reproducible from `seed`."""
    rng = random.Random(seed)
    reasons = list(LostReason)
    for n in range(count):
        company_id, created = uuid.uuid4(), NOW - YEARS * rng.random()
        domain = f"c{n}-{seed}.example"
        value = Decimal(rng.randrange(1_000, 10_000_000)) / 100 if rng.random() > 0.1 else None
        roll = rng.random()
        status, stage = DealStatus.ACTIVE, rng.choice(OPEN_STAGES)
        if roll >= 0.55:
            status = (DealStatus.WON, DealStatus.LOST, DealStatus.CANCELLED)[
                0 if roll < 0.75 else 1 if roll < 0.95 else 2
            ]
        closed = days = before = reason = None
        if status is not DealStatus.ACTIVE:
            closed = min(NOW, created + timedelta(days=rng.uniform(1, 180)))
            days, before = (closed - created).days, stage
            stage = {
                DealStatus.WON: DealStage.CLOSED_WON,
                DealStatus.LOST: DealStage.CLOSED_LOST,
            }.get(status, stage)
            reason = rng.choice(reasons).value if status is DealStatus.LOST else None
        probability = DEFAULT_PROBABILITIES[stage] if status is not DealStatus.CANCELLED else 0
        company = (company_id, tenant_id, domain, domain, created)
        deal = (
            uuid.uuid4(), tenant_id, company_id, f"Deal {n}", status.value, stage.value,
            probability, value, "EUR", reason, closed, days, before.value if before else None,
            created, closed or created, closed or created,
        )  # fmt: skip
        yield company, deal


async def load(url: str, tenant_id: str, count: int, seed: int, progress: Progress) -> None:
    rows = deal_rows(tenant_id, count, seed)
    batches = (
        {"companies": [c for c, _ in chunk], "deals": [d for _, d in chunk]}
        for chunk in iter(lambda: list(islice(rows, CHUNK)), [])
    )
    columns = {
        "companies": ("id", "tenant_id", "domain", "name", "created_at"),
        "deals": DEAL_COLUMNS,
    }
    await copy_rows(url, tenant_id, count, batches, columns, progress)


def endpoints(deep_cursor: str, domain: str) -> list[tuple[str, str]]:
    return [
        ("pipeline", "/v1/pipeline"),
        ("lost 90 days", "/v1/analytics/lost?days=90"),
        ("lost 365 days", "/v1/analytics/lost?days=365"),
        ("deals", "/v1/deals?limit=50"),
        ("deals stage=proposal", "/v1/deals?stage=proposal&limit=50"),
        ("deals status=lost", "/v1/deals?status=lost&limit=50"),
        ("deals company_domain", f"/v1/deals?company_domain={domain}"),
        ("deals deep cursor", f"/v1/deals?limit=50&cursor={deep_cursor}"),
        ("companies", "/v1/companies?limit=50"),
    ]


async def sample_keys(url: str, tenant_id: str) -> tuple[str, str]:
    """A cursor half way down the tenant's deal list, and one company's domain."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        created, deal_id = await conn.fetchrow(
            "SELECT created_at, id FROM deals WHERE tenant_id = $1 ORDER BY created_at DESC, id"
            " DESC OFFSET (SELECT count(*) / 2 FROM deals WHERE tenant_id = $1) LIMIT 1",
            tenant_id,
        )
        domain = await conn.fetchval(
            "SELECT domain FROM companies WHERE tenant_id = $1 LIMIT 1", tenant_id
        )
        return encode_cursor(created.isoformat(), str(deal_id)), domain
    finally:
        await conn.close()


PLANS = {
    "pipeline (read model)": "SELECT stage, currency, sum(deals), sum(value_sum),"
    " sum(probability_sum), sum(weighted_sum) FROM deal_summaries"
    " WHERE tenant_id = $1 AND status = $2 GROUP BY stage, currency",
    "lost since": "SELECT lost_reason, stage_before_close, count(*), sum(value),"
    " sum(days_to_close), count(days_to_close) FROM deals WHERE tenant_id = $1"
    " AND status = 'lost' AND closed_at >= $2::timestamptz GROUP BY 1, 2",
}


def plans(tenant_id: str) -> dict[str, tuple[str, tuple[object, ...]]]:
    return {
        "pipeline (read model)": (PLANS["pipeline (read model)"], (tenant_id, "active")),
        "lost since": (PLANS["lost since"], (tenant_id, NOW - timedelta(days=90))),
    }


async def check_summaries(config: DealsSettings) -> None:
    """The read model the trigger kept through the COPYs against a recompute from the rows."""
    engine = create_engine(config.own_database_url, pool_size=1)
    try:
        differences = await summary_differences(DealsUnitOfWork(session_factory(engine)))
    finally:
        await engine.dispose()
    console.print(f"summaries against a recompute: {len(differences)} difference(s)")
    if differences:
        raise SystemExit(f"summaries differ: {differences}")


async def main(deals: int, others: int, calls: int, show_plans: bool) -> None:
    async with service_database("deals") as url:
        config = DealsSettings()
        engine = create_engine(config.own_database_url, pool_size=2)
        sessions = session_factory(engine)
        measured = await seed_tenant(sessions, tenants, prefix="big", currency="EUR")
        other = await seed_tenant(sessions, tenants, prefix="other", currency="EUR")
        await engine.dispose()
        started = time.perf_counter()
        async with loading() as progress:
            await load(url, measured.id, deals, 1, progress)
            await load(url, other.id, others, 2, progress)
        await vacuum_analyze(url, ("deals", "companies"))
        console.print(
            f"loaded {deals:,} + {others:,} deals in {time.perf_counter() - started:.0f} s"
        )
        await check_summaries(config)
        cursor, domain = await sample_keys(url, measured.id)
        if show_plans:
            await print_plans(url, plans(measured.id))
        async with serve(build_app(config)) as app_url:
            figures = await time_endpoints(app_url, measured, endpoints(cursor, domain), calls)
    print_figures(
        f"deals query endpoints, {deals:,} deals in the tenant, {calls} calls each", figures
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=None, help="the other tenant's deals")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    others = args.deals // 4 if args.others is None else args.others
    asyncio.run(main(args.deals, others, args.calls, args.plans))
