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
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.pagination import encode_cursor
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import percentile, service_database
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.deals import DealStage, DealStatus, LostReason
from deals.config import DealsSettings
from deals.db.tables import tenants
from deals.domain.deal import OPEN_STAGES
from deals.domain.settings import DEFAULT_PROBABILITIES
from deals.main import build_app
from deals.uow import DealsUnitOfWork
from deals.use_cases import summary_differences

console = Console(width=110)
Row = tuple[Any, ...]
CHUNK = 50_000
NOW = datetime.now(UTC)
YEARS = timedelta(days=3 * 365)
DEAL_COLUMNS = (
    "id", "tenant_id", "company_id", "name", "status", "stage", "probability", "value",
    "currency", "lost_reason", "closed_at", "days_to_close", "stage_before_close",
    "created_at", "updated_at",
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
            created, closed or created,
        )  # fmt: skip
        yield company, deal


async def load(url: str, tenant_id: str, count: int, seed: int, progress: Progress) -> None:
    task = progress.add_task(tenant_id, total=count)
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = deal_rows(tenant_id, count, seed)
        while chunk := list(islice(rows, CHUNK)):
            await conn.copy_records_to_table(
                "companies",
                records=[c for c, _ in chunk],
                columns=("id", "tenant_id", "domain", "name", "created_at"),
            )
            await conn.copy_records_to_table(
                "deals", records=[d for _, d in chunk], columns=DEAL_COLUMNS
            )
            progress.advance(task, len(chunk))
    finally:
        await conn.close()


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


async def time_endpoints(
    url: str, tenant: TenantCredentials, paths: list[tuple[str, str]], calls: int
) -> list[tuple[str, float, float]]:
    figures = []
    async with httpx.AsyncClient(base_url=url, headers=tenant.auth, timeout=120) as api:
        for label, path in paths:
            (await api.get(path)).raise_for_status()  # warm-up
            took = []
            for _ in range(calls):
                started = time.perf_counter()
                (await api.get(path)).raise_for_status()
                took.append((time.perf_counter() - started) * 1000)
            figures.append((label, percentile(took, 50), percentile(took, 95)))
    return figures


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


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


async def print_plans(url: str, tenant_id: str) -> None:
    """Custom and generic (plan_cache_mode = force_generic_plan) plans of the summary queries."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        for label, sql in PLANS.items():
            second = "active" if "status = $2" in sql else NOW - timedelta(days=90)
            for mode in ("auto", "force_generic_plan"):
                await conn.execute(f"SET plan_cache_mode = {mode}")
                await conn.execute(f"PREPARE q AS {sql}")
                rows = await conn.fetch(
                    f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE q({_literal(tenant_id)},"
                    f" {_literal(second)})"
                )
                await conn.execute("DEALLOCATE q")
                console.print(f"[bold]{label}[/] ({mode})")
                console.print("\n".join(r[0] for r in rows))
    finally:
        await conn.close()


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


async def main(deals: int, others: int, calls: int, plans: bool) -> None:
    async with service_database("deals") as url:
        config = DealsSettings()
        engine = create_engine(config.own_database_url, pool_size=2)
        sessions = session_factory(engine)
        measured = await seed_tenant(sessions, tenants, prefix="big", currency="EUR")
        other = await seed_tenant(sessions, tenants, prefix="other", currency="EUR")
        await engine.dispose()
        started = time.perf_counter()
        columns = (
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            await load(url, measured.id, deals, 1, progress)
            await load(url, other.id, others, 2, progress)
        conn = await asyncpg.connect(plain_url(url))
        await conn.execute("VACUUM ANALYZE deals, companies")
        await conn.close()
        console.print(
            f"loaded {deals:,} + {others:,} deals in {time.perf_counter() - started:.0f} s"
        )
        await check_summaries(config)
        cursor, domain = await sample_keys(url, measured.id)
        if plans:
            await print_plans(url, measured.id)
        async with serve(build_app(config)) as app_url:
            figures = await time_endpoints(app_url, measured, endpoints(cursor, domain), calls)
    table = Table(title=f"deals query endpoints, {deals:,} deals in the tenant, {calls} calls each")
    for column in ("endpoint", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for label, p50, p95 in figures:
        table.add_row(label, f"{p50:,.1f}", f"{p95:,.1f}")
    console.print(table)


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
