"""Query endpoints of the meetings service at scale: p50/p95 over HTTP after a bulk load.

    make bench-queries-meetings                                       # 100,000 meetings
    make bench-queries-meetings BENCH_ARGS="--meetings 1000000"       # the issue's figure
    .venv/bin/python bench/queries/run_meetings.py --meetings 100000 --calls 20 --plans

The sibling of run.py (deals), sharing its timing and plan helpers: a throwaway PostgreSQL
(meetings' database migrated), two tenants, `--meetings` meetings loaded through COPY (progress
bar) into the measured tenant and `--others` (default a quarter as many) into a second tenant
beside it. The spread: scheduled over the last three years, 5% in the next 60 days; past
meetings 80% completed (85% showed up, 10% no-show, 5% unknown; outcomes good/bad/pending, 1%
rescheduled), 12% cancelled, 8% still scheduled; upcoming ones 90% scheduled, 10% cancelled;
60% confirmed, 70% reminded, 10% rescheduled at least once, 1% soft-deleted; two meetings per
attendee. Then VACUUM ANALYZE, a check of the show-rate rollup against a recompute, and the
app in-process over real HTTP, as run.py. `--index-ab INDEX` then times the lists without and
with an index in turn on the same data (what an index buys, noise shared by both).
"""

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from harness import (
    NOW,
    YEARS,
    Figures,
    Row,
    console,
    copy_rows,
    loading,
    print_figures,
    print_plans,
    table_batches,
    time_endpoints,
    url_time,
    vacuum_analyze,
)
from rich.progress import Progress
from sqlalchemy.dialects import postgresql

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.pagination import encode_cursor
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import service_database
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingOutcome, MeetingStatus, MeetingType
from meetings import use_cases
from meetings.config import MeetingsSettings
from meetings.db import repository, tables
from meetings.db.tables import tenants
from meetings.main import build_app
from meetings.uow import MeetingsUnitOfWork

#: What the show-rate endpoint sends (code before the rollup, the "before" runs: the window
#: row by row), and the tables the load fills.
show_rate_query = getattr(repository, "show_rate_window_query", repository.show_rate_query)
TABLES = (
    "meetings",
    "meeting_uids",
    "trail",
    *(["meeting_show_rate_days"] if hasattr(tables, "meeting_show_rate_days") else []),
)

COLUMNS = (
    "id", "tenant_id", "provider", "provider_uid", "title", "meeting_type", "scheduled_at",
    "ends_at", "duration_minutes", "primary_email", "company_domain", "status", "confirmed",
    "reminder_sent", "showed_up", "meeting_outcome", "rescheduled_count", "created_at",
    "updated_at", "deleted_at",
)  # fmt: skip
S, Out = MeetingStatus, MeetingOutcome


def _past(rng: random.Random) -> tuple[MeetingStatus, bool | None, MeetingOutcome]:
    roll = rng.random()
    if roll >= 0.92:
        return S.SCHEDULED, None, Out.PENDING
    if roll >= 0.80:
        return S.CANCELLED, None, Out.CANCELLED
    attendance = rng.random()
    if attendance < 0.10:
        return S.COMPLETED, False, Out.NO_SHOW
    showed = True if attendance < 0.95 else None
    outcome = rng.choices((Out.GOOD, Out.BAD, Out.PENDING, Out.RESCHEDULED), (60, 25, 14, 1))[0]
    return S.COMPLETED, showed, outcome


def meeting_rows(tenant_id: str, count: int, seed: int) -> Iterator[dict[str, Row]]:
    """Per meeting, its row with the spread above, its provider uid and the trail entry of the
    event that published it, reproducible from `seed`."""
    rng = random.Random(seed)
    types = list(MeetingType)
    for n in range(count):
        if rng.random() < 0.05:
            at = NOW + timedelta(days=60 * rng.random())
            status, showed, outcome = (S.SCHEDULED, None, Out.PENDING)
            if rng.random() < 0.1:
                status, outcome = S.CANCELLED, Out.CANCELLED
        else:
            at = NOW - YEARS * rng.random()
            status, showed, outcome = _past(rng)
        created = at - timedelta(days=rng.uniform(0, 30))
        domain = f"c{n // 20}-{seed}.example"
        meeting_id, uid = uuid.uuid4(), f"uid-{seed}-{n}"
        yield {
            "meetings": (
                meeting_id, tenant_id, "calcom", uid, f"Meeting {n}",
                rng.choice(types).value, at, at + timedelta(minutes=30), 30,
                f"p{n // 2}@{domain}", domain, status.value, rng.random() < 0.6,
                rng.random() < 0.7, showed, outcome.value, int(rng.random() < 0.1), created, at,
                at if rng.random() < 0.01 else None,
            ),
            "meeting_uids": (tenant_id, uid, meeting_id),
            "trail": (
                tenant_id, f"b-{seed}-{n}", "published", MEETINGS_TOPIC, f"e-{seed}-{n}",
                "dealflow.meeting.booked.v1", str(meeting_id), created,
            ),
        }  # fmt: skip


LOADED = {
    "meetings": COLUMNS,
    "meeting_uids": ("tenant_id", "uid", "meeting_id"),
    "trail": (
        "tenant_id", "correlation_id", "direction", "channel", "event_id", "event_type",
        "subject", "at",
    ),
}  # fmt: skip


async def load(url: str, tenant_id: str, count: int, seed: int, progress: Progress) -> None:
    batches = table_batches(meeting_rows(tenant_id, count, seed), LOADED)
    await copy_rows(url, tenant_id, count, batches, LOADED, progress)


RARE = "/v1/meetings?"


def endpoints(keys: dict[str, str]) -> list[tuple[str, str]]:
    week_since, week_until = (NOW - timedelta(days=730)), (NOW - timedelta(days=723))
    return [
        *((f"show-rate {d} days", f"/v1/analytics/show-rate?days={d}") for d in (30, 90, 365)),
        ("show-rate 1095 days", "/v1/analytics/show-rate?days=1095"),
        ("meetings", "/v1/meetings?limit=50"),
        *((f"status={s}", f"/v1/meetings?status={s}&limit=50") for s in MeetingStatus),
        ("upcoming=true", "/v1/meetings?upcoming=true&limit=50"),
        ("upcoming=false", "/v1/meetings?upcoming=false&limit=50"),
        ("attendee_email", f"/v1/meetings?attendee_email={keys['email']}"),
        ("type=close", "/v1/meetings?type=close&limit=50"),
        *(
            (f"outcome={o}", f"/v1/meetings?outcome={o}&limit=50")
            for o in ("no_show", "rescheduled")
        ),
        # Filters matching almost nothing: the list walks the tenant's range until 50 match.
        (
            "rare: status=scheduled&outcome=no_show (none)",
            f"{RARE}status=scheduled&outcome=no_show",
        ),
        ("rare: outcome=rescheduled&type=close", f"{RARE}outcome=rescheduled&type=close&limit=50"),
        (
            "since/until a week",
            f"/v1/meetings?since={url_time(week_since)}&until={url_time(week_until)}&limit=50",
        ),
        ("deep cursor", f"/v1/meetings?limit=50&cursor={keys['cursor']}"),
        ("one meeting", f"/v1/meetings/{keys['meeting']}"),
        ("by booking uid", f"/v1/meetings/by-booking/{keys['uid']}"),
        ("by booking correlation id", f"/v1/meetings/by-booking/{keys['booking']}"),
        ("a booking's trail", f"/v1/trail/{keys['booking']}"),
    ]


async def sample_keys(url: str, tenant_id: str) -> dict[str, str]:
    """A cursor half way down the tenant's meeting list, its meeting's id, attendee, provider
    uid and booking (correlation id)."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        at, meeting_id, email, uid = await conn.fetchrow(
            "SELECT scheduled_at, id, primary_email, provider_uid FROM meetings"
            " WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY scheduled_at, id"
            " OFFSET (SELECT count(*) / 2 FROM meetings WHERE tenant_id = $1) LIMIT 1",
            tenant_id,
        )
        booking = await conn.fetchval(
            "SELECT correlation_id FROM trail WHERE tenant_id = $1 AND subject = $2",
            tenant_id,
            str(meeting_id),
        )
        return {
            "cursor": encode_cursor(at.isoformat(), str(meeting_id)),
            "meeting": str(meeting_id),
            "email": email,
            "uid": uid,
            "booking": booking,
        }
    finally:
        await conn.close()


def _prepared(query: Any) -> tuple[str, Sequence[object]]:
    """A query as asyncpg prepares it: $n placeholders, and the values in order."""
    compiled = query.compile(dialect=postgresql.asyncpg.dialect())
    return compiled.string, [compiled.params[name] for name in compiled.positiontup or ()]


def plans(tenant_id: str) -> dict[str, tuple[str, Sequence[object]]]:
    """The show-rate query the app sends for a year and for three years, and the list filtered
    by a status and outcome no meeting has together."""
    found = {
        f"show-rate {days} days": _prepared(
            show_rate_query(tenant_id, NOW - timedelta(days=days), NOW)
        )
        for days in (365, 1095)
    }
    no_filters = dict.fromkeys(("upcoming", "email", "meeting_type", "since", "until", "after"))
    rare = repository.list_query(
        tenant_id, **no_filters, status=S.SCHEDULED, outcome=Out.NO_SHOW, now=NOW, limit=51
    )
    found["list status=scheduled&outcome=no_show"] = _prepared(rare)
    return found


async def check_rollup(config: MeetingsSettings) -> None:
    """The maintained show-rate rollup against a recompute after the bulk load (code without the
    rollup, the "before" runs, has nothing to check)."""
    differences_of = getattr(use_cases, "show_rate_differences", None)
    if differences_of is None:
        return
    engine = create_engine(config.own_database_url, pool_size=1)
    try:
        differences = await differences_of(MeetingsUnitOfWork(session_factory(engine)))
    finally:
        await engine.dispose()
    console.print(f"show-rate rollup against a recompute: {len(differences)} difference(s)")
    if differences:
        raise SystemExit(f"rollup differs: {differences[:5]}")


async def index_ab(
    url: str, app_url: str, tenant: Any, paths: list[tuple[str, str]], index: str, calls: int
) -> None:
    """The lists timed with and without `index` in turn (dropped and rebuilt between rounds,
    same data and app), so machine noise hits both alike: what the index buys each list."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        definition = await conn.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = $1", index
        )
        lists = [(label, path) for label, path in paths if path.startswith("/v1/meetings?")]
        runs: dict[bool, list[Figures]] = {True: [], False: []}
        for n in range(4):
            present = n % 2 == 1
            await conn.execute(definition if present else f"DROP INDEX {index}")
            await conn.execute("ANALYZE meetings")
            runs[present].append(await time_endpoints(app_url, tenant, lists, calls))
    finally:
        await conn.close()
    for present, label in ((False, "without"), (True, "with")):
        figures = [
            (name, statistics.median(r[i][1] for r in runs[present]),
             statistics.median(r[i][2] for r in runs[present]))
            for i, (name, _) in enumerate(lists)
        ]  # fmt: skip
        print_figures(f"lists {label} {index} (median of 2 rounds)", figures)


async def main(count: int, others: int, calls: int, show_plans: bool, ab_index: str | None) -> None:
    async with service_database("meetings") as url:
        config = MeetingsSettings()
        engine = create_engine(config.own_database_url, pool_size=2)
        sessions = session_factory(engine)
        measured = await seed_tenant(sessions, tenants, prefix="big")
        other = await seed_tenant(sessions, tenants, prefix="other")
        await engine.dispose()
        started = time.perf_counter()
        async with loading() as progress:
            await load(url, measured.id, count, 1, progress)
            await load(url, other.id, others, 2, progress)
        await vacuum_analyze(url, TABLES)
        console.print(
            f"loaded {count:,} + {others:,} meetings in {time.perf_counter() - started:.0f} s"
        )
        await check_rollup(config)
        keys = await sample_keys(url, measured.id)
        if show_plans:
            await print_plans(url, plans(measured.id))
        async with serve(build_app(config)) as app_url:
            paths = endpoints(keys)
            figures = await time_endpoints(app_url, measured, paths, calls)
            if ab_index:
                await index_ab(url, app_url, measured, paths, ab_index, calls)
    print_figures(
        f"meetings query endpoints, {count:,} meetings in the tenant, {calls} calls each", figures
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=None, help="the other tenant's meetings")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument(
        "--index-ab", metavar="INDEX", help="then time the lists without and with this index"
    )
    args = parser.parse_args()
    others = args.meetings // 4 if args.others is None else args.others
    asyncio.run(main(args.meetings, others, args.calls, args.plans, args.index_ab))
