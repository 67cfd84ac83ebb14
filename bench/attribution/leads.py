"""Leads at scale: people seeded straight into PostgreSQL, the read model derived, then listed.

    make bench-leads                                  # 100,000 leads
    .venv/bin/python bench/attribution/leads.py --leads 2000 --requests 5

Starts a local PostgreSQL and broker in a temp dir, migrates the attribution database and seeds
one tenant by COPY: `--leads` people at companies of five (every tenth at gmail.com), each with
`--touches` touches; every third person booked a meeting; every fourth company has a deal
(active, won, lost in turn); plus one company of `--big` people. Then it times:
* derive: every lead of the tenant derived at once (`rederive_leads`: what a rebuild, the
  migration's backfill and a change of the tenant's personal domains do);
* GET /v1/leads over HTTP (the app in this process): the first page, a page deep into the
  cursor, and a page per filter, p50/p99 of `--requests` requests each; then POST /v1/touches
  of 1,000 new people at existing companies (`--requests` / 10 batches);
* a deal event at the big company (`record_deal_events`: its leads derived again in the
  consumer's transaction).
Figures are wall-clock on whatever else the machine runs.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from rich.console import Console

from attribution.config import AttributionSettings
from attribution.db.tables import tenants
from attribution.deal_events import record_deal_events
from attribution.domain.account import email_domain
from attribution.leads import rederive_leads
from attribution.main import build_app
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.pagination import encode_cursor
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import percentile, service_database
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.deals import CompanyRef, DealCreated, DealSnapshot, DealStage, DealStatus

console = Console()
BASE = datetime(2026, 1, 1, tzinfo=UTC)
CHANNELS = ["Outbound Email", "Phone", "Paid Search", "Organic Social", "LinkedIn (Outbound)"]
TOUCH_COLUMNS = [
    "tenant_id", "touch_id", "person_email", "email_domain", "occurred_at", "activity_type",
    "channel", "channel_rule_id", "rule_version", "source", "received_at",
]  # fmt: skip
BOOKING_COLUMNS = [
    "meeting_id", "tenant_id", "person_email", "attendee_emails", "company_domain", "booked_at",
    "touch_id",
]  # fmt: skip
DEAL_COLUMNS = [
    "deal_id", "tenant_id", "company_domain", "status", "stage", "value", "currency",
    "created_at", "closed_at", "state_at",
]  # fmt: skip
STATUSES = [DealStatus.ACTIVE, DealStatus.WON, DealStatus.LOST]


def person(i: int) -> tuple[str, str | None]:
    """The i-th person's email and company."""
    company = f"co{i // 5}.com"
    return (f"p{i}@gmail.com", None) if i % 10 == 9 else (f"p{i}@{company}", company)


def rows(
    tenant_id: str, people: int, touches: int, big: int
) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    """(touches, bookings, deals) rows, 10,000 people at a time; the big company last."""
    emails = [person(i) for i in range(people)] + [
        (f"b{i}@bigco.com", "bigco.com") for i in range(big)
    ]
    for start in range(0, len(emails), 10_000):
        touched, booked, deals = [], [], []
        for i in range(start, min(len(emails), start + 10_000)):
            email, company = emails[i]
            seen = BASE + timedelta(minutes=i)
            for t in range(touches):
                touched.append(
                    (
                        tenant_id, f"t{i}-{t}", email, email_domain(email),
                        seen + timedelta(hours=t), "email_sent", CHANNELS[(i + t) % 5],
                        "bench", 1, "bench", seen,
                    )
                )  # fmt: skip
            if i % 3 == 0:
                booked.append((uuid.uuid4(), tenant_id, email, [email], company, seen, f"m{i}"))
            if i < people and i % 20 == 0 and company:  # a deal for every fourth company
                status = STATUSES[(i // 20) % 3]
                closed = seen + timedelta(days=9) if status is not DealStatus.ACTIVE else None
                deals.append(
                    (
                        uuid.uuid4(), tenant_id, company, status.value, "qualification",
                        Decimal("1000.00"), "USD", seen + timedelta(days=2), closed, seen,
                    )
                )  # fmt: skip
        yield touched, booked, deals


async def seed(url: str, sessions: Any, args: argparse.Namespace) -> TenantCredentials:
    tenant = await seed_tenant(sessions, tenants, prefix="bench")
    conn = await asyncpg.connect(plain_url(url))
    try:
        for touched, booked, deals in rows(tenant.id, args.leads, args.touches, args.big):
            await conn.copy_records_to_table("touches", records=touched, columns=TOUCH_COLUMNS)
            await conn.copy_records_to_table(
                "meeting_bookings", records=booked, columns=BOOKING_COLUMNS
            )
            await conn.copy_records_to_table("deal_states", records=deals, columns=DEAL_COLUMNS)
        for table in ("touches", "meeting_bookings", "deal_states"):
            await conn.execute(f"ANALYZE {table}")
    finally:
        await conn.close()
    return tenant


def big_deal(tenant_id: str) -> DealCreated:
    now = datetime.now(UTC)
    snapshot = DealSnapshot(
        deal_id=uuid.uuid4(),
        tenant_id=tenant_id,
        name="bigco",
        company=CompanyRef(company_id=uuid.uuid4(), domain="bigco.com", name="bigco"),
        status=DealStatus.ACTIVE,
        stage=DealStage.QUALIFICATION,
        probability=40,
        currency="USD",
        created_at=now,
        updated_at=now,
    )
    return DealCreated(
        deal_id=snapshot.deal_id, tenant_id=tenant_id, occurred_at=now, deal=snapshot
    )


async def listing(tenant: TenantCredentials, requests: int) -> list[tuple[str, list[float], int]]:
    cases: list[tuple[str, dict[str, str]]] = [
        ("first page", {}),
        ("deep cursor", {"cursor": encode_cursor("p5")}),
        ("status=opportunity", {"status": "opportunity"}),
        ("status=converted", {"status": "converted"}),
        ("company_domain", {"company_domain": "co42.com"}),
        ("channel", {"channel": "Phone"}),
        ("first_seen 1 day", seen_between("2026-01-20", "2026-01-21")),
        ("first_seen 60 days", seen_between("2026-01-10", "2026-03-10")),
        ("q (email prefix)", {"q": "p123"}),
        ("status + channel", {"status": "lost", "channel": "Paid Search"}),
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    found = []
    async with (
        serve(build_app(AttributionSettings())) as url,
        httpx.AsyncClient(base_url=url, timeout=120) as http,
    ):
        for name, params in cases:
            query = {**params, "limit": "50"}
            (await http.get("/v1/leads", params=query, headers=headers)).raise_for_status()
            times = []
            for _ in range(requests):
                began = time.perf_counter()
                answer = await http.get("/v1/leads", params=query, headers=headers)
                times.append(time.perf_counter() - began)
                answer.raise_for_status()
            found.append((name, times, len(answer.json()["items"])))
        # New people at existing companies: each batch derives 1,000 leads against the deals.
        times = []
        for batch in range(max(1, requests // 10)):
            began = time.perf_counter()
            answer = await http.post("/v1/touches", json=new_people(batch), headers=headers)
            times.append(time.perf_counter() - began)
            answer.raise_for_status()
        found.append(("POST /v1/touches x1,000", times, 1000))
    return found


def new_people(batch: int) -> dict[str, Any]:
    return {
        "touches": [
            {
                "touch_id": f"new-{batch}-{i}",
                "person_email": f"new{batch}-{i}@co{i * 7}.com",
                "occurred_at": (BASE + timedelta(days=70, minutes=i)).isoformat(),
                "activity_type": "call",
            }
            for i in range(1000)
        ]
    }


def seen_between(since: str, until: str) -> dict[str, str]:
    return {"first_seen_from": f"{since}T00:00:00Z", "first_seen_to": f"{until}T00:00:00Z"}


async def main(args: argparse.Namespace) -> None:
    async with service_database("attribution") as url:
        engine = create_engine(url, pool_size=2)
        sessions = session_factory(engine)
        try:
            began = time.perf_counter()
            tenant = await seed(url, sessions, args)
            seeded = time.perf_counter() - began
            began = time.perf_counter()
            await rederive_leads(AttributionUnitOfWork(sessions), tenant.id)
            derived = time.perf_counter() - began
            async with AttributionUnitOfWork(sessions) as uow:
                count = len(await uow.leads.stored(tenant.id))
            conn = await asyncpg.connect(plain_url(url))
            try:  # what autovacuum does to a table that changed this much
                await conn.execute("ANALYZE leads")
            finally:
                await conn.close()
            pages = await listing(tenant, args.requests) if args.requests else []
            began = time.perf_counter()
            event = big_deal(tenant.id)
            await record_deal_events(
                AttributionUnitOfWork(sessions, "attribution-deals"), [(str(uuid.uuid4()), event)]
            )
            big = time.perf_counter() - began
        finally:
            await engine.dispose()
    people = args.leads + args.big
    console.print(f"\nseeded {people:,} people x {args.touches} touches in {seeded:.1f} s")
    console.print(
        f"derive every lead: {count:,} leads in {derived:.1f} s ({count / derived:,.0f}/s)"
    )
    for name, times, items in pages:
        label = name if name.startswith("POST") else f"GET /v1/leads {name}"
        console.print(
            f"{label:<34} p50 {statistics.median(times) * 1000:6.1f} ms"
            f"  p99 {percentile(times, 99) * 1000:6.1f} ms  ({items} items)"
        )
    console.print(f"deal event at a company of {args.big:,} leads: {big * 1000:.0f} ms")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="people at small companies")
    parser.add_argument("--touches", type=int, default=3, help="touches per person")
    parser.add_argument("--big", type=int, default=2_000, help="people at the big company")
    parser.add_argument("--requests", type=int, default=50, help="requests per listing")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
