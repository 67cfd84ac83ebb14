"""Query endpoints of the attribution service at scale: p50/p95 over HTTP after a bulk load.

    make bench-queries-attribution                                      # 100,000 touches
    make bench-queries-attribution BENCH_ARGS="--touches 1000000 --plans"  # the issue's figure
    .venv/bin/python bench/queries/run_attribution.py --touches 20000 --calls 5

run.py's sibling (harness.py): a throwaway PostgreSQL (attribution's database migrated), two
tenants, `--touches` touches COPYed into the measured tenant and `--others` (default a quarter)
into a second one beside it, with what the reports read in proportion: one person per ten
touches at companies of five (every tenth at gmail.com), first seen over the last three years
and touched over the 90 days after; three people in ten book a meeting (30 days after first
seen; 80% completed, 85% of those showed up, 12% cancelled, 8% still scheduled); nine companies
in ten get a deal from their first meeting (55% of companies won, 25% lost, 10% open; closed 7
to 60 days after creation, or open if that is still ahead). The derived rows are made by the
service's own code: every closed deal attributed under the five compared models by
`recompute_tenant` (runs, report_credits and report_daily through its triggers) and the leads by
`rederive_leads`. Then VACUUM ANALYZE, the app in-process over real HTTP, one warm-up call and
`--calls` timed calls per endpoint (p50/p95), and with --plans the hot queries' plans (custom
and generic).
"""

import argparse
import asyncio
import math
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from harness import (
    NOW,
    YEARS,
    Figures,
    Row,
    console,
    copy_rows,
    held,
    loading,
    print_figures,
    print_plans,
    time_endpoints,
    url_time,
    vacuum_analyze,
)
from rich.progress import Progress

from attribution.config import AttributionSettings
from attribution.db.tables import tenants
from attribution.domain.account import email_domain
from attribution.domain.default_channels import default_rule_set
from attribution.domain.leads import LeadStatus
from attribution.domain.touches import ActivityType, Touch, Utm
from attribution.leads import rederive_leads
from attribution.main import build_app
from attribution.recompute import recompute_tenant
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.pagination import encode_cursor
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import service_database
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant

COMPARED = ["first_touch", "last_touch", "linear", "position_based", "time_decay"]
TOUCHES_PER_PERSON = 10
KINDS = [
    (ActivityType.EMAIL_SENT, Utm()),
    (ActivityType.EMAIL_REPLIED, Utm()),
    (ActivityType.LINKEDIN_MESSAGE, Utm()),
    (ActivityType.CALL, Utm()),
    (ActivityType.WEB_VISIT, Utm("google", "organic")),
    (ActivityType.AD_CLICK, Utm("google", "cpc", "brand")),
    (ActivityType.AD_CLICK, Utm("linkedin", "paid_social", "abm")),
    (ActivityType.FORM_SUBMIT, Utm("newsletter", "email")),
]
COLUMNS = {
    "touches": (
        "tenant_id", "touch_id", "person_email", "email_domain", "occurred_at", "activity_type",
        "channel", "channel_rule_id", "rule_version", "utm_source", "utm_medium",
        "utm_campaign", "source", "received_at",
    ),
    "meeting_bookings": (
        "meeting_id", "tenant_id", "person_email", "attendee_emails", "company_domain",
        "booked_at", "touch_id",
    ),
    "meeting_states": (
        "meeting_id", "tenant_id", "status", "scheduled_at", "showed_up", "state_at",
    ),
    "deal_states": (
        "deal_id", "tenant_id", "company_domain", "primary_contact_email", "meeting_ids",
        "status", "stage", "value", "currency", "created_at", "closed_at", "state_at",
    ),
    "closed_deals": (
        "deal_id", "tenant_id", "won", "company_domain", "linked_emails", "value_minor",
        "currency", "closed_at", "lead_created_at", "deal_created_at",
    ),
}  # fmt: skip


@dataclass
class Company:
    """One company's rows as its people are generated (its deal comes from its first booking)."""

    domain: str
    first_touch: datetime | None = None
    booking: tuple[uuid.UUID, str, datetime] | None = None
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in COLUMNS})


def _meeting(tenant_id: str, rng: random.Random, meeting_id: uuid.UUID, booked: datetime) -> Row:
    scheduled = booked + timedelta(days=3)
    roll = rng.random()
    status, showed = "scheduled", None
    if scheduled < NOW and roll < 0.80:
        status, showed = "completed", (rng.random() < 0.85 if rng.random() < 0.95 else None)
    elif roll < 0.92:
        status = "cancelled"
    return (meeting_id, tenant_id, status, scheduled, showed, min(scheduled, NOW))


def _deal(tenant_id: str, rng: random.Random, company: Company, n: int) -> dict[str, list[Row]]:
    """The company's deal (n: the company's number, which picks its fate), if it has one."""
    fate = n % 20
    if company.booking is None or fate >= 18:
        return {}
    meeting_id, booker, booked = company.booking
    created = booked + timedelta(days=4)
    closed: datetime | None = created + timedelta(days=rng.uniform(7, 60))
    status = "won" if fate <= 10 else "lost" if fate <= 15 else "active"
    if status == "active" or closed is None or closed >= NOW or created >= NOW:
        status, closed = "active", None
    cents = rng.randrange(100_000, 10_000_000)
    deal_id = uuid.UUID(int=rng.getrandbits(128))
    stage = {"won": "closed_won", "lost": "closed_lost"}.get(status, "proposal")
    state = (
        deal_id, tenant_id, company.domain, booker, [meeting_id], status, stage,
        Decimal(cents) / 100, "USD", created, closed, closed or created,
    )  # fmt: skip
    rows: dict[str, list[Row]] = {"deal_states": [state]}
    if closed is not None:
        rows["closed_deals"] = [
            (
                deal_id, tenant_id, status == "won", company.domain, [booker], cents, "USD",
                closed, company.first_touch, created,
            )
        ]  # fmt: skip
    return rows


def company_rows(tenant_id: str, touches: int, seed: int) -> Iterator[dict[str, list[Row]]]:
    """Rows company by company (five people each; the tenth person at gmail.com), reproducible
    from `seed`; each batch's first table is its touches (the progress bar's count)."""
    rng = random.Random(seed)
    rules = default_rule_set()
    classified = [
        (kind, utm, rules.classify(Touch("x", "x@x.com", NOW, kind, utm=utm)))
        for kind, utm in KINDS
    ]
    people = touches // TOUCHES_PER_PERSON
    for n in range(0, people, 5):
        company = Company(f"co{n // 5}-{seed}.com")
        for i in range(n, min(people, n + 5)):
            at_gmail = i % 10 == 9
            email = f"p{i}-{seed}@gmail.com" if at_gmail else f"p{i}@{company.domain}"
            first = NOW - YEARS * rng.random()
            for t in range(TOUCHES_PER_PERSON):
                kind, utm, found = rng.choice(classified)
                at = min(first + timedelta(days=90 * rng.random()), NOW - timedelta(minutes=1))
                company.rows["touches"].append(
                    (
                        tenant_id, f"t{i}-{t}", email, email_domain(email), at, kind.value,
                        found.channel, found.rule_id, found.rule_version, utm.source,
                        utm.medium, utm.campaign, "api", at,
                    )
                )  # fmt: skip
                if not at_gmail and (company.first_touch is None or at < company.first_touch):
                    company.first_touch = at
            if i % 10 in (0, 3, 6):
                booked = min(first + timedelta(days=30), NOW - timedelta(hours=1))
                meeting_id = uuid.UUID(int=rng.getrandbits(128))
                domain = None if at_gmail else company.domain
                company.rows["meeting_bookings"].append(
                    (meeting_id, tenant_id, email, [email], domain, booked, f"m{i}")
                )
                company.rows["meeting_states"].append(_meeting(tenant_id, rng, meeting_id, booked))
                if company.booking is None or booked < company.booking[2]:
                    company.booking = (meeting_id, email, booked)
        for table, rows in _deal(tenant_id, rng, company, n // 5).items():
            company.rows[table].extend(rows)
        yield company.rows


def batches(tenant_id: str, touches: int, seed: int) -> Iterator[dict[str, list[Row]]]:
    """company_rows gathered into batches of about 50,000 touches."""
    batch: dict[str, list[Row]] = {t: [] for t in COLUMNS}
    for rows in company_rows(tenant_id, touches, seed):
        for table, found in rows.items():
            batch[table].extend(found)
        if len(batch["touches"]) >= 50_000:
            yield batch
            batch = {t: [] for t in COLUMNS}
    yield batch


async def load(url: str, sessions: Any, tenant_id: str, touches: int, seed: int) -> None:
    """The tenant's rows by COPY, then its runs and leads derived by the service's own code."""
    async with loading() as progress:
        await copy_rows(url, f"{tenant_id[:12]} rows", touches, batches(tenant_id, touches, seed),
                        COLUMNS, progress)  # fmt: skip
        await derive(url, sessions, tenant_id, progress)


async def derive(url: str, sessions: Any, tenant_id: str, progress: Progress) -> None:
    uow = lambda: AttributionUnitOfWork(sessions)  # noqa: E731
    async with uow() as work:
        await work.tenants.replace_settings(tenant_id, {"models": COMPARED})
        await work.commit()
    await vacuum_analyze(url, ("touches", "closed_deals", "meeting_bookings", "deal_states"))
    conn = await asyncpg.connect(plain_url(url))
    closed = await conn.fetchval(
        "SELECT count(*) FROM closed_deals WHERE tenant_id = $1", tenant_id
    )
    await conn.close()
    task = progress.add_task(f"{tenant_id[:12]} runs", total=closed)
    await recompute_tenant(
        uow, tenant_id, caused_by="bench", publish=False,
        progress=lambda n: progress.advance(task, n),
    )  # fmt: skip
    await rederive_leads(uow(), tenant_id)


async def date_ahead(url: str, sessions: Any, tenant_id: str, people: int) -> None:
    """One more touch, dated one to thirty days after now, for `people` people (by email order),
    and the leads derived again: leads whose latest activity is after now, which the period
    funnel decides from their rows."""
    conn = await asyncpg.connect(plain_url(url))
    await conn.execute(
        "INSERT INTO touches (tenant_id, touch_id, person_email, email_domain, occurred_at,"
        " activity_type, channel, channel_rule_id, rule_version, utm_source, utm_medium,"
        " utm_campaign, source, received_at)"
        " SELECT tenant_id, touch_id || '-ahead', person_email, email_domain,"
        " now() + (1 + row_number() OVER (ORDER BY person_email) % 30) * interval '1 day',"
        " activity_type, channel, channel_rule_id, rule_version, utm_source, utm_medium,"
        " utm_campaign, source, received_at"
        " FROM touches WHERE tenant_id = $1 AND touch_id LIKE '%-0'"
        " ORDER BY person_email LIMIT $2",
        tenant_id,
        people,
    )
    await conn.close()
    await rederive_leads(AttributionUnitOfWork(sessions), tenant_id)


async def sample_keys(url: str, tenant_id: str) -> dict[str, str]:
    """A lead half way down the email order (the deep cursor), a lead with a meeting, a company,
    a won deal."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        half = await conn.fetchval(
            "SELECT email FROM leads WHERE tenant_id = $1 ORDER BY email"
            " OFFSET (SELECT count(*) / 2 FROM leads WHERE tenant_id = $1) LIMIT 1",
            tenant_id,
        )
        booker, domain = await conn.fetchrow(
            "SELECT person_email, company_domain FROM meeting_bookings WHERE tenant_id = $1"
            " AND company_domain IS NOT NULL ORDER BY booked_at LIMIT 1",
            tenant_id,
        )
        deal_id = await conn.fetchval(
            "SELECT deal_id FROM report_credits WHERE tenant_id = $1 AND model = 'linear'"
            " ORDER BY conversion_at DESC LIMIT 1",
            tenant_id,
        )
        return {"cursor": encode_cursor(half), "email": booker, "domain": domain,
                "deal": str(deal_id)}  # fmt: skip
    finally:
        await conn.close()


DAYS = (30, 90, 365, 3650)


def endpoints(keys: dict[str, str]) -> list[tuple[str, str]]:
    month = f"first_seen_from={url_time(NOW - timedelta(days=30))}"
    as_of = url_time(datetime.now(UTC))  # after the runs were stored
    leads = "/v1/leads?limit=50"
    return [
        ("leads", leads),
        *((f"leads status={s}", f"{leads}&status={s}") for s in LeadStatus),
        ("leads company_domain", f"{leads}&company_domain={keys['domain']}"),
        ("leads channel=Paid Search", f"{leads}&channel=Paid%20Search"),
        ("leads first_seen 30 days", f"{leads}&{month}"),
        ("leads q=p4242", f"{leads}&q=p4242"),
        ("leads status+channel", f"{leads}&status=lost&channel=Paid%20Search"),
        ("leads deep cursor", f"{leads}&cursor={keys['cursor']}"),
        ("one lead", f"/v1/leads/{keys['email']}"),
        *(
            (f"funnel {mode} {d} days", f"/v1/reports/funnel?days={d}&mode={mode}")
            for mode in ("period", "cohort")
            for d in DAYS
        ),
        *(
            (f"channels {model} {d} days", f"/v1/reports/channels?days={d}&model={model}")
            for model in ("linear", "time_decay")
            for d in DAYS
        ),
        ("channels linear 90 days as_of", f"/v1/reports/channels?days=90&as_of={as_of}"),
        *((f"compare {d} days", f"/v1/reports/compare?days={d}") for d in DAYS),
        ("deal attribution", f"/v1/deals/{keys['deal']}/attribution?model=linear"),
        (
            "deal attribution as_of",
            f"/v1/deals/{keys['deal']}/attribution?model=linear&as_of={as_of}",
        ),
        ("settings", "/v1/settings"),
        ("channel-rules", "/v1/settings/channel-rules"),
        ("channel-rules versions", "/v1/settings/channel-rules/versions"),
        ("currency-rates", "/v1/settings/currency-rates"),
    ]


def plans(tenant_id: str, since: datetime) -> dict[str, tuple[str, list[object]]]:
    """The funnel's reads as the app prepares them, both modes, at `since` and over the longest
    window (every lead)."""
    # Here, not at the top: the "before" run imports main's code, which has no such queries.
    from attribution.db.reporting import (
        cohort_deals_query,
        cohort_leads_query,
        cohort_meetings_query,
        period_deals_query,
        period_leads_query,
        period_meetings_query,
    )
    from dealflow_libs.testing.plans import positional

    reads = {
        "period": (period_leads_query, period_meetings_query, period_deals_query),
        "cohort": (cohort_leads_query, cohort_meetings_query, cohort_deals_query),
    }
    found: dict[str, tuple[str, list[object]]] = {}
    for days, start in ((None, since), (max(DAYS), NOW - timedelta(days=max(DAYS)))):
        window = "" if days is None else f", {days} days"
        for mode, (lead_counts, meetings, deals) in reads.items():
            found |= {
                f"{mode}: lead counts{window}": positional(lead_counts(tenant_id, start, NOW)),
                f"{mode}: meetings{window}": positional(meetings(tenant_id, start, NOW)),
                f"{mode}: deals{window}": positional(deals(tenant_id, start, NOW, summed="USD")),
            }
    return found


async def timed_each(
    url: str, tenant: TenantCredentials, paths: list[tuple[str, str]], calls: int
) -> Figures:
    """time_endpoints one endpoint at a time, each figure printed as it comes; an endpoint that
    fails is reported (NaN) and the others still timed."""
    figures: Figures = []
    for label, path in paths:
        try:
            found = await time_endpoints(url, tenant, [(label, path)], calls)
        except httpx.HTTPStatusError as error:
            console.print(f"{label}: {error.response.status_code} {error.response.text[:200]}")
            found = [(label, math.nan, math.nan)]
        console.print(f"{label}: p50 {found[0][1]:,.1f} ms, p95 {found[0][2]:,.1f} ms")
        figures.extend(found)
    return figures


async def main(
    touches: int, others: int, calls: int, show_plans: bool, only: str, ahead: int, hold: bool
) -> None:
    async with service_database("attribution") as url:
        engine = create_engine(url, pool_size=2)
        sessions = session_factory(engine)
        measured: TenantCredentials = await seed_tenant(sessions, tenants, prefix="big")
        other = await seed_tenant(sessions, tenants, prefix="other")
        started = time.perf_counter()
        await load(url, sessions, measured.id, touches, 1)
        await load(url, sessions, other.id, others, 2)
        if ahead:
            await date_ahead(url, sessions, measured.id, ahead)
        await engine.dispose()
        tables = ("touches", "leads", "meeting_bookings", "meeting_attendees", "meeting_states",
                  "deal_states", "closed_deals", "attribution_runs", "report_credits",
                  "report_daily", "report_deals", "report_monthly", "report_deal_days",
                  "lead_days", "deal_days", "meeting_days")  # fmt: skip
        await vacuum_analyze(url, tables)
        console.print(
            f"loaded and derived {touches:,} + {others:,} touches"
            f" in {time.perf_counter() - started:.0f} s"
        )
        keys = await sample_keys(url, measured.id)
        if hold:
            await held(url, measured)
            return
        if show_plans:
            await print_plans(url, plans(measured.id, NOW - timedelta(days=30)))
        async with serve(build_app(AttributionSettings())) as app_url:
            wanted = [(label, path) for label, path in endpoints(keys) if only in label]
            figures = await timed_each(app_url, measured, wanted, calls)
    print_figures(
        f"attribution query endpoints, {touches:,} touches in the tenant, {calls} calls each",
        figures,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--touches", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=None, help="the other tenant's touches")
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--only", default="", help="time only endpoints whose label has this")
    parser.add_argument(
        "--ahead", type=int, default=0, help="people given a touch dated after now (none)"
    )
    parser.add_argument(
        "--hold", action="store_true", help="after loading, keep the database up for probes"
    )
    args = parser.parse_args()
    others = args.touches // 4 if args.others is None else args.others
    asyncio.run(
        main(args.touches, others, args.calls, args.plans, args.only, args.ahead, args.hold)
    )
