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

import asyncpg
from harness import (
    NOW,
    YEARS,
    Row,
    console,
    copy_rows,
    held,
    loading,
    print_figures,
    print_plans,
    table_batches,
    time_endpoints,
    url_time,
    vacuum_analyze,
)
from rich.progress import Progress

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.pagination import encode_cursor
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import service_database
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.plans import positional
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.deals import DealStage, DealStatus, LostReason
from deals.config import DealsSettings
from deals.db.repository import list_query, lost_window_query, pipeline_query
from deals.db.tables import tenants
from deals.domain.deal import OPEN_STAGES
from deals.domain.settings import DEFAULT_PROBABILITIES
from deals.main import build_app
from deals.uow import DealsUnitOfWork
from deals.use_cases import summary_differences

DEAL_COLUMNS = (
    "id", "tenant_id", "company_id", "name", "status", "stage", "probability", "value",
    "currency", "lost_reason", "closed_at", "days_to_close", "stage_before_close",
    "created_at", "updated_at", "stage_entered_at", "primary_contact_email",
)  # fmt: skip


def deal_rows(tenant_id: str, count: int, seed: int) -> Iterator[dict[str, Row | list[Row]]]:
    """Per deal, a row of each table its reads touch (company, deal, one person, one meeting
    record, its stage history and one trail entry) with issue 12's spread, reproducible from
    `seed`."""
    rng = random.Random(seed)
    reasons = list(LostReason)
    for n in range(count):
        company_id, deal_id, created = uuid.uuid4(), uuid.uuid4(), NOW - YEARS * rng.random()
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
        email, booking = f"p@{domain}", f"b{n}-{seed}"
        history = [(deal_id, tenant_id, "created", None, "booked", None, "active", created)]
        if closed:
            history.append(
                (deal_id, tenant_id, status.value, before.value if before else None, stage.value,
                 "active", status.value, closed)
            )  # fmt: skip
        yield {
            "companies": (company_id, tenant_id, domain, domain, created),
            "deals": (
                deal_id, tenant_id, company_id, f"Deal {n}", status.value, stage.value,
                probability, value, "EUR", reason, closed, days,
                before.value if before else None, created, closed or created, closed or created,
                email,
            ),
            "people": (tenant_id, email, f"Person {n}", company_id, created, created),
            "meeting_records": (
                uuid.uuid4(), tenant_id, company_id, deal_id, "completed", "Intro call", created,
                email, created,
            ),
            "deal_stage_history": history,
            "trail": (
                tenant_id, booking, "consumed", "meetings", f"e{n}-{seed}",
                "dealflow.meeting.booked.v1", str(deal_id), created,
            ),
        }  # fmt: skip


COLUMNS = {
    "companies": ("id", "tenant_id", "domain", "name", "created_at"),
    "deals": DEAL_COLUMNS,
    "people": ("tenant_id", "email", "name", "company_id", "first_seen_at", "updated_at"),
    "meeting_records": (
        "meeting_id", "tenant_id", "company_id", "deal_id", "status", "title", "scheduled_at",
        "primary_email", "updated_at",
    ),
    "deal_stage_history": (
        "deal_id", "tenant_id", "kind", "from_stage", "to_stage", "from_status", "to_status",
        "changed_at",
    ),
    "trail": (
        "tenant_id", "correlation_id", "direction", "channel", "event_id", "event_type",
        "subject", "at",
    ),
}  # fmt: skip


async def load(url: str, tenant_id: str, count: int, seed: int, progress: Progress) -> None:
    batches = table_batches(deal_rows(tenant_id, count, seed), COLUMNS)
    # The deals bar's count: copy_rows advances by the first table's rows (one per deal).
    await copy_rows(url, tenant_id, count, batches, COLUMNS, progress)


def endpoints(keys: dict[str, str]) -> list[tuple[str, str]]:
    created_week = f"created_since={url_time(NOW - timedelta(days=7))}"
    year_ago = NOW - timedelta(days=365)
    a_week_closing = (
        f"closed_since={url_time(year_ago)}&closed_until={url_time(year_ago + timedelta(days=7))}"
    )
    closed_month = f"closed_since={url_time(NOW - timedelta(days=30))}"
    deals_page = "/v1/deals?limit=50"
    return [
        ("pipeline", "/v1/pipeline"),
        *((f"lost {d} days", f"/v1/analytics/lost?days={d}") for d in (30, 90, 365, 1095, 3650)),
        ("deals", deals_page),
        ("deals stage=proposal", f"{deals_page}&stage=proposal"),
        ("deals status=lost", f"{deals_page}&status=lost"),
        ("deals status=cancelled", f"{deals_page}&status=cancelled"),
        ("deals company_domain", f"{deals_page}&company_domain={keys['domain']}"),
        ("deals created a week", f"{deals_page}&{created_week}"),
        ("deals won, closed in a week a year ago", f"{deals_page}&status=won&{a_week_closing}"),
        ("deals closed in a week a year ago", f"{deals_page}&{a_week_closing}"),
        ("deals closed since 30 days", f"{deals_page}&{closed_month}"),
        ("deals deep cursor", f"{deals_page}&cursor={keys['deal_cursor']}"),
        ("one deal", f"/v1/deals/{keys['deal']}"),
        ("one deal's history", f"/v1/deals/{keys['deal']}/history"),
        ("companies", "/v1/companies?limit=50"),
        ("companies domain", f"/v1/companies?domain={keys['domain']}"),
        ("companies deep cursor", f"/v1/companies?limit=50&cursor={keys['company_cursor']}"),
        ("one company", f"/v1/companies/{keys['company']}"),
        ("a booking's trail", f"/v1/trail/{keys['booking']}"),
    ]  # fmt: skip


async def sample_keys(url: str, tenant_id: str) -> dict[str, str]:
    """Cursors half way down the tenant's deal and company lists, a lost deal, its company and
    domain, and a booking's correlation id."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        created, deal_id = await conn.fetchrow(
            "SELECT created_at, id FROM deals WHERE tenant_id = $1 ORDER BY created_at DESC, id"
            " DESC OFFSET (SELECT count(*) / 2 FROM deals WHERE tenant_id = $1) LIMIT 1",
            tenant_id,
        )
        domain, company_id = await conn.fetchrow(
            "SELECT domain, id FROM companies WHERE tenant_id = $1 ORDER BY domain, id"
            " OFFSET (SELECT count(*) / 2 FROM companies WHERE tenant_id = $1) LIMIT 1",
            tenant_id,
        )
        lost, lost_company, lost_domain = await conn.fetchrow(
            "SELECT d.id, c.id, c.domain FROM deals d JOIN companies c ON c.id = d.company_id"
            " WHERE d.tenant_id = $1 AND d.status = 'lost' LIMIT 1",
            tenant_id,
        )
        booking = await conn.fetchval(
            "SELECT correlation_id FROM trail WHERE tenant_id = $1 LIMIT 1", tenant_id
        )
        return {
            "deal_cursor": encode_cursor(created.isoformat(), str(deal_id)),
            "company_cursor": encode_cursor(domain, str(company_id)),
            "deal": str(lost),
            "company": str(lost_company),
            "domain": lost_domain,
            "booking": booking,
        }
    finally:
        await conn.close()


def plans(tenant_id: str) -> dict[str, tuple[str, list[object]]]:
    """The app's own statements (compiled as asyncpg prepares them): the pipeline's read model,
    lost windows of a month and ten years, a closing-window list a year ago."""
    year_ago = NOW - timedelta(days=365)
    window = dict.fromkeys(("status", "stage", "company_domain", "created_since", "created_until"))
    window |= {"closed_since": year_ago - timedelta(days=7), "closed_until": year_ago}
    return {
        "pipeline (read model)": positional(pipeline_query(tenant_id)),
        "lost 30 days": positional(lost_window_query(tenant_id, NOW - timedelta(days=30))),
        "lost 3650 days": positional(lost_window_query(tenant_id, NOW - timedelta(days=3650))),
        "closed in a week a year ago": positional(
            list_query(tenant_id, **window, after=None, limit=51)
        ),
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


async def main(deals: int, others: int, calls: int, show_plans: bool, hold: bool) -> None:
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
        await vacuum_analyze(url, COLUMNS)
        console.print(
            f"loaded {deals:,} + {others:,} deals in {time.perf_counter() - started:.0f} s"
        )
        await check_summaries(config)
        keys = await sample_keys(url, measured.id)
        if hold:
            await held(url, measured)
            return
        if show_plans:
            await print_plans(url, plans(measured.id))
        async with serve(build_app(config)) as app_url:
            figures = await time_endpoints(app_url, measured, endpoints(keys), calls)
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
    parser.add_argument(
        "--hold", action="store_true", help="after loading, keep the database up for probes"
    )
    args = parser.parse_args()
    others = args.deals // 4 if args.others is None else args.others
    asyncio.run(main(args.deals, others, args.calls, args.plans, args.hold))
