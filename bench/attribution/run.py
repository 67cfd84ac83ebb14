"""Attribution at scale: won deals seeded straight into PostgreSQL, then recompute and report.

    make bench-attribution                        # 100,000 won deals x 10 touches
    .venv/bin/python bench/attribution/run.py --deals 2000 --models linear,time_decay

Starts a local PostgreSQL and broker in a temp dir (or uses DEALFLOW_DATABASE_URL /
DEALFLOW_KAFKA_BOOTSTRAP), migrates the attribution database and seeds one tenant by COPY:
`--deals` won deals (plus `--lost` lost ones, Markov's non-conversions), each company with
`--touches` touches by three people over 60 days. Then, with the tenant's models set to one at
a time, it times the service's own tenant recompute (`recompute_tenant`, a batch of 1,000 deals
per transaction, DealAttributed into the outbox):
* `first`: no run yet, every deal gets one (computed, stored, published);
* `again`: inputs unchanged, every run is computed and found equal (nothing stored);
then markov over the whole tenant (paths refreshed, trained as of each close day, a run per
deal; use --close-days to spread the closes, else every deal learns from none), and the
channel report (GET /v1/reports/channels over HTTP, the app in this process) p50/p99.
Figures are wall-clock on whatever else the machine runs; the outbox is emptied between models.
Targets (issue 9): >= 5,000 deals/s per rule-based model, markov < 30 s, report p99 < 100 ms.
"""

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from attribution.attributing import tenant_terms, trained_models
from attribution.config import AttributionSettings
from attribution.db.tables import tenants
from attribution.domain.account import email_domain
from attribution.domain.default_channels import default_rule_set
from attribution.domain.models import STANDARD_MODELS
from attribution.domain.touches import ActivityType, Touch, Utm
from attribution.domain.training import training_cutoff
from attribution.domain.weighting import ModelName
from attribution.main import build_app
from attribution.recompute import Tally, recompute_tenant
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.gc_tuning import tune_gc
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import percentile, service_database
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant

console = Console()
WON = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
KINDS = [
    (ActivityType.EMAIL_SENT, Utm()),
    (ActivityType.EMAIL_REPLIED, Utm()),
    (ActivityType.LINKEDIN_MESSAGE, Utm()),
    (ActivityType.CALL, Utm()),
    (ActivityType.WEB_VISIT, Utm()),
    (ActivityType.WEB_VISIT, Utm("google", "organic")),
    (ActivityType.AD_CLICK, Utm("google", "cpc", "brand")),
    (ActivityType.AD_CLICK, Utm("linkedin", "paid_social", "abm")),
    (ActivityType.FORM_SUBMIT, Utm("newsletter", "email")),
    (ActivityType.MEETING_BOOKED, Utm()),
]
TOUCH_COLUMNS = [
    "tenant_id", "touch_id", "person_email", "email_domain", "occurred_at", "activity_type",
    "explicit_channel", "channel", "channel_rule_id", "rule_version", "utm_source", "utm_medium",
    "utm_campaign", "utm_content", "utm_term", "campaign_id", "external_activity_id", "metadata",
    "source", "received_at",
]  # fmt: skip
DEAL_COLUMNS = [
    "deal_id", "tenant_id", "won", "company_domain", "linked_emails", "value_minor", "currency",
    "closed_at", "lead_created_at", "deal_created_at",
]  # fmt: skip
CHUNK = 5_000


def bar(label: str) -> Progress:
    return Progress(
        TextColumn(f"{label:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@dataclass
class Seeded:
    tenant: TenantCredentials
    won: int
    lost: int
    touches: int
    seconds: float


@dataclass(frozen=True)
class Mix:
    """How the won deals spread: over `close_days` days before WON (1: all at WON) and a
    `eur_share` of them in EUR (the rest USD; rates seeded, see `seed_rates`)."""

    close_days: int = 1
    eur_share: float = 0.0


def deal_rows(
    tenant_id: str, deals: int, lost: int, touches: int, seed: int, mix: Mix
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """(deals, touches) rows in chunks; each company's people touch it over 60 days before its
    close."""
    rng = random.Random(seed)
    rules = default_rule_set()
    classified = {
        (kind, utm): rules.classify(Touch("x", "x@x.com", WON, kind, utm=utm))
        for kind, utm in KINDS
    }
    for start in range(0, deals + lost, CHUNK):
        closed, touched = [], []
        for d in range(start, min(deals + lost, start + CHUNK)):
            domain = f"acme{d}.com"
            deal_id = uuid.UUID(int=rng.getrandbits(128))
            # No extra draw for the default mix: its deals stay what they were.
            won = WON
            if mix.close_days > 1:
                won -= timedelta(seconds=rng.randrange(0, mix.close_days * 86_400))
            currency = "EUR" if mix.eur_share and rng.random() < mix.eur_share else "USD"
            closed.append(
                (
                    deal_id, tenant_id, d < deals, domain, [f"p0@{domain}"],
                    rng.randrange(1_000, 10_000_000), currency, won,
                    won - timedelta(days=20), won - timedelta(days=5),
                )
            )  # fmt: skip
            for i in range(touches):
                kind, utm = rng.choice(KINDS)
                found = classified[(kind, utm)]
                email = f"p{i % 3}@{domain}"
                touched.append(
                    (
                        tenant_id, f"d{d}-t{i}", email, email_domain(email),
                        won - timedelta(seconds=rng.randrange(0, 60 * 86_400)), kind.value,
                        None, found.channel, found.rule_id, found.rule_version, utm.source,
                        utm.medium, utm.campaign, utm.content, utm.term, None, None, "{}",
                        "bench", WON,
                    )
                )  # fmt: skip
        yield closed, touched


async def seed_rates(conn: asyncpg.Connection, tenant_id: str, mix: Mix) -> None:
    """An EUR->USD rate a day over the close days (a report converts each EUR deal at its own)."""
    first = WON.date() - timedelta(days=mix.close_days)
    await conn.copy_records_to_table(
        "currency_rates",
        records=[
            (
                tenant_id,
                "EUR",
                "USD",
                first + timedelta(days=i),
                Decimal("1.08") + Decimal(i) / 10_000,
                WON,
            )
            for i in range(mix.close_days + 1)
        ],
        columns=["tenant_id", "base", "quote", "effective_from", "rate", "updated_at"],
    )


async def seed(
    url: str, sessions: Any, deals: int, lost: int, touches: int, mix: Mix = Mix()
) -> Seeded:
    began = time.perf_counter()
    tenant = await seed_tenant(sessions, tenants, prefix="bench")
    conn = await asyncpg.connect(plain_url(url))
    try:
        with bar("seed (COPY)") as progress:
            task = progress.add_task("seed", total=deals + lost, rate="")
            for closed, touched in deal_rows(tenant.id, deals, lost, touches, seed=9, mix=mix):
                await conn.copy_records_to_table(
                    "closed_deals", records=closed, columns=DEAL_COLUMNS
                )
                await conn.copy_records_to_table("touches", records=touched, columns=TOUCH_COLUMNS)
                done = progress.tasks[0].completed + len(closed)
                rate = done / (time.perf_counter() - began)
                progress.update(task, advance=len(closed), rate=f"{rate:,.0f} deals/s")
        if mix.eur_share:
            await seed_rates(conn, tenant.id, mix)
        await conn.execute("ANALYZE touches; ANALYZE closed_deals")
    finally:
        await conn.close()
    return Seeded(tenant, deals, lost, deals * touches, time.perf_counter() - began)


@dataclass
class Timed:
    tally: Tally
    wall: float
    cpu: float  # this process only (PostgreSQL's CPU is not in it)


async def timed_recompute(sessions: Any, tenant_id: str, label: str, total: int) -> Timed:
    uow: Callable[[], AttributionUnitOfWork] = lambda: AttributionUnitOfWork(sessions)  # noqa: E731
    with bar(label) as progress:
        task = progress.add_task(label, total=total, rate="")
        began, cpu = time.perf_counter(), time.process_time()

        def advance(n: int) -> None:
            done = progress.tasks[0].completed + n
            rate = done / (time.perf_counter() - began)
            progress.update(task, advance=n, rate=f"{rate:,.0f} deals/s")

        tally = await recompute_tenant(uow, tenant_id, caused_by="bench", progress=advance)
        return Timed(tally, time.perf_counter() - began, time.process_time() - cpu)


async def markov_training(sessions: Any, tenant_id: str) -> tuple[float, int]:
    """Seconds to load every closed deal's path and train markov as of each close day (what a
    tenant recompute does once), and how many days that is."""
    async with AttributionUnitOfWork(sessions) as uow:
        terms = (await tenant_terms(uow, [tenant_id]))[tenant_id]
        journeys = await uow.attribution.journeys(tenant_id)
        began = time.perf_counter()
        await trained_models(uow, terms, None, [ModelName.MARKOV])
        days = len({training_cutoff(j.closed_at) for j in journeys if j.converted})
        return time.perf_counter() - began, days


async def set_models(sessions: Any, tenant_id: str, models: list[str]) -> None:
    async with AttributionUnitOfWork(sessions) as uow:
        await uow.tenants.replace_settings(tenant_id, {"models": models})
        await uow.commit()


async def empty_outbox(url: str) -> None:
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("TRUNCATE outbox")
        await conn.execute("VACUUM ANALYZE attribution_runs")
    finally:
        await conn.close()


async def report_latency(tenant: TenantCredentials, requests: int) -> list[float]:
    async with (
        serve(build_app(AttributionSettings())) as url,
        httpx.AsyncClient(base_url=url, timeout=120) as http,
    ):
        params = {"days": 3650, "model": "linear"}
        headers = {"Authorization": f"Bearer {tenant.api_key}"}
        first = await http.get("/v1/reports/channels", params=params, headers=headers)
        first.raise_for_status()
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            answer = await http.get("/v1/reports/channels", params=params, headers=headers)
            times.append(time.perf_counter() - began)
            answer.raise_for_status()
        return times


async def main(args: argparse.Namespace) -> None:
    tune_gc()  # the collector settings the service runs its recompute with (ServiceRuntime)
    models = [m for m in args.models.split(",") if m]
    async with service_database("attribution") as url:
        engine = create_engine(url, pool_size=2)
        sessions = session_factory(engine)
        try:
            mix = Mix(args.close_days, args.eur_share)
            seeded = await seed(url, sessions, args.deals, args.lost, args.touches, mix)
            console.print(
                f"seeded {seeded.won:,} won + {seeded.lost:,} lost deals, "
                f"{seeded.touches:,} touches in {seeded.seconds:.1f} s"
            )
            figures = []
            for model in models:
                await set_models(sessions, seeded.tenant.id, [model])
                total = seeded.won + seeded.lost
                first = await timed_recompute(sessions, seeded.tenant.id, f"{model} first", total)
                again = await timed_recompute(sessions, seeded.tenant.id, f"{model} again", total)
                assert first.tally.runs_created == seeded.won, first
                assert again.tally.runs_unchanged == seeded.won, again
                figures.append((model, first, again))
                await empty_outbox(url)
            markov = None
            if not args.skip_markov:
                await set_models(sessions, seeded.tenant.id, ["markov"])
                total = 2 * seeded.won + seeded.lost
                timed = await timed_recompute(sessions, seeded.tenant.id, "markov", total)
                trained = await markov_training(sessions, seeded.tenant.id)
                markov = (trained, timed)
                await empty_outbox(url)
            latencies = (
                await report_latency(seeded.tenant, args.report_requests)
                if ("linear" in models and args.report_requests)
                else []
            )
        finally:
            await engine.dispose()

    won = args.deals
    console.print(
        f"\n{won:,} won deals x {args.touches} touches ({args.lost:,} lost), "
        "recompute_tenant in batches of 1,000; won deals/s per wall s (per CPU s of this process)"
    )
    console.print(f"{'model':<16} {'first (store)':>22} {'again (equal)':>22}")
    for model, first, again in figures:
        console.print(
            f"{model:<16} {won / first.wall:>10,.0f} ({won / first.cpu:>8,.0f})"
            f" {won / again.wall:>10,.0f} ({won / again.cpu:>8,.0f})"
        )
    if markov:
        (training, days), timed = markov
        console.print(
            f"markov: training on {won + args.lost:,} paths as of each of {days} close days "
            f"{training:.1f} s; whole tenant "
            f"(paths, training, a run per won deal stored) {timed.wall:.1f} s "
            f"({timed.tally.runs_created:,} runs)"
        )
    if latencies:
        console.print(
            f"channel report (linear, {len(latencies)} requests; deals closed over "
            f"{args.close_days} days, {args.eur_share:.0%} in EUR): "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.0f} ms"
        )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000, help="won deals")
    parser.add_argument("--lost", type=int, default=None, help="lost deals (default deals/5)")
    parser.add_argument("--touches", type=int, default=10, help="touches per deal")
    parser.add_argument("--models", default=",".join(STANDARD_MODELS), help="rule-based models")
    parser.add_argument("--skip-markov", action="store_true")
    parser.add_argument("--report-requests", type=int, default=50)
    parser.add_argument(
        "--close-days", type=int, default=1, help="won deals close over this many days (1: at once)"
    )
    parser.add_argument("--eur-share", type=float, default=0.0, help="share of deals in EUR")
    args = parser.parse_args(argv)
    if args.lost is None:
        args.lost = args.deals // 5
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
