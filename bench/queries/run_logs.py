"""The log lists at scale: deliveries (ingest), CRM pushes and their push log (crm_push), and
notification sends (notifications), p50/p95 over HTTP after a bulk load.

    make bench-queries-logs                                            # 100,000 rows a table
    make bench-queries-logs BENCH_ARGS="--rows 1000000"                # the issue's figure
    .venv/bin/python bench/queries/run_logs.py --rows 100000 --service crm_push --plans

For each service (or the one `--service` names): a throwaway PostgreSQL with its database
migrated, two tenants, `--rows` rows a table for the measured tenant and `--others` (default a
quarter as many) for a second one, COPYed (progress bar) in time order with the two tenants
interleaved, as an append-only log is written. Then VACUUM ANALYZE, the app in-process over
real HTTP, and every list filter (values that match almost nothing too), a cursor half way down
and the detail endpoints, timed. The spreads:

- deliveries over three years: 70% Cal.com, 30% Calendly; triggers as the providers send them
  (one Calendly trigger 0.1%); 90% accepted, 6% duplicate, 2.5% ignored, then unauthorized,
  invalid, malformed, replayed, too_large (0.05%); bodies 0.5-4 KB.
- pushes: 45% sync_meeting, 35% sync_deal, 15% meeting_journey, 5% notion_meeting; 88%
  succeeded, 9% skipped, 1.5% parked, 1% pending, 0.5% running (a queue that drains); calls per
  push: none when skipped, 1-2 when it succeeded, 3-5 when parked (~1.3 a push); 3% of calls
  failed (429, 5xx, no answer), 8% answered 404 or 409; four pushes per meeting and per deal.
- sends: 60% reminder, 25% confirmation, 8% reschedule, 7% cancellation; 93% sent, 5%
  skipped, 1.5% failed, 0.4% pending, 0.1% sending; one attempt each, 2-5 for the failed; four
  sends per meeting, each attendee in three meetings; each recipient's row in send_recipients,
  as the app writes it with the send.
"""

import argparse
import asyncio
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson
from harness import (
    CHUNK,
    NOW,
    YEARS,
    Figures,
    Row,
    console,
    copy_rows,
    loading,
    print_figures,
    print_plans,
    time_endpoints,
    url_time,
    vacuum_analyze,
)
from sqlalchemy import Table

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.pagination import encode_cursor
from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import service_database
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.plans import positional
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant

Endpoints = list[tuple[str, str]]
Plans = dict[str, tuple[str, Sequence[object]]]
WEEK_SINCE, WEEK_UNTIL = NOW - timedelta(days=730), NOW - timedelta(days=723)
WEEK = f"since={url_time(WEEK_SINCE)}&until={url_time(WEEK_UNTIL)}"


def timeline(
    rng: random.Random, total: int, tenants: tuple[str, str], share: float
) -> Iterator[tuple[int, str, datetime]]:
    """(n, tenant, at) for `total` rows over three years, oldest first, the second tenant's
    rows (`share` of them) interleaved with the first's as they would have been written."""
    step = YEARS / total
    for n in range(total):
        tenant = tenants[1] if rng.random() < share else tenants[0]
        yield n, tenant, NOW - YEARS + step * n + timedelta(microseconds=rng.randrange(1000))


def weighted(rng: random.Random, spread: dict[str, float]) -> str:
    return rng.choices(list(spread), list(spread.values()))[0]


POOL = "".join(
    f'"k{n % 40}":"{uuid.UUID(int=random.Random(n).getrandbits(128)).hex}",' for n in range(2000)
)


def filler(rng: random.Random, size: int) -> str:
    """About `size` bytes of JSON-like text (keys repeat, values vary), cheap to make."""
    start = rng.randrange(len(POOL) - size)
    return POOL[start : start + size]


@dataclass
class Service:
    """What the benchmark needs of one service: its database, tenants, rows, calls, plans."""

    name: str
    tables: tuple[str, ...]
    make_tenant: Callable[[str], Awaitable[TenantCredentials]]
    load: Callable[[str, tuple[str, str], int, int, Any], Awaitable[None]]
    sample: Callable[[asyncpg.Connection, str], Awaitable[tuple[Endpoints, Plans]]]
    app: Callable[[], Any]


async def seeded(table: Table, url: str, prefix: str) -> TenantCredentials:
    engine = create_engine(url, pool_size=1)
    try:
        return await seed_tenant(session_factory(engine), table, prefix=prefix)
    finally:
        await engine.dispose()


async def copy_stream(
    url: str, label: str, total: int, stream: Iterator[dict[str, list[Row]]], columns: Any, bar: Any
) -> None:
    """Batches of CHUNK rows of the first table (the others as many as come with them)."""

    def batches() -> Iterator[dict[str, list[Row]]]:
        batch: dict[str, list[Row]] = {table: [] for table in columns}
        for rows in stream:
            for table, more in rows.items():
                batch[table].extend(more)
            if len(batch[next(iter(columns))]) >= CHUNK:
                yield batch
                batch = {table: [] for table in columns}
        yield batch

    await copy_rows(url, label, total, batches(), columns, bar)


# --- ingest: deliveries ------------------------------------------------------------------------

DELIVERY_COLUMNS = (
    "id", "tenant_id", "provider", "trigger", "verdict", "status_code", "error", "headers",
    "body", "body_truncated", "dedupe_key", "event_id", "replay_of", "received_at",
)  # fmt: skip
TRIGGERS = {
    "calcom": {
        "BOOKING_CREATED": 40, "BOOKING_RESCHEDULED": 10, "BOOKING_CANCELLED": 10,
        "MEETING_ENDED": 30, "BOOKING_NO_SHOW_UPDATED": 5, "BOOKING_PAID": 5,
    },
    "calendly": {
        "invitee.created": 60, "invitee.canceled": 25, "invitee_no_show.created": 14.7,
        "routing_form_submission.created": 0.3,
    },
}  # fmt: skip
VERDICTS = {
    "accepted": 90, "duplicate": 6, "ignored": 2.5, "unauthorized": 0.8, "invalid": 0.3,
    "malformed": 0.2, "replayed": 0.15, "too_large": 0.05,
}  # fmt: skip
CODES = {"accepted": 202, "replayed": 202, "duplicate": 200, "ignored": 200, "unauthorized": 401}
ERRORS = {"unauthorized": "bad signature", "invalid": "payload.uid: missing"}


def delivery_rows(tenants: tuple[str, str], total: int, share: float) -> Iterator[Row]:
    rng = random.Random(1)
    for n, tenant, at in timeline(rng, total, tenants, share):
        provider = "calcom" if rng.random() < 0.7 else "calendly"
        verdict = weighted(rng, VERDICTS)
        size = int(rng.lognormvariate(7.3, 0.5))  # median 1.5 KB
        body = filler(rng, min(size, 4096)).encode()
        yield (
            uuid.UUID(int=rng.getrandbits(128)), tenant, provider,
            weighted(rng, TRIGGERS[provider]), verdict, CODES.get(verdict, 422),
            ERRORS.get(verdict), orjson.dumps({"content-type": "application/json"}).decode(),
            body, verdict == "too_large", f"{provider}:{n}" if verdict == "accepted" else None,
            uuid.uuid4() if verdict in ("accepted", "replayed") else None, None, at,
        )  # fmt: skip


async def load_deliveries(
    url: str, tenants: tuple[str, str], count: int, others: int, bar: Any
) -> None:
    total = count + others
    stream = ({"raw_events": [row]} for row in delivery_rows(tenants, total, others / total))
    await copy_stream(url, "deliveries", total, stream, {"raw_events": DELIVERY_COLUMNS}, bar)


async def ingest_tenant(prefix: str) -> TenantCredentials:
    from ingest.config import IngestSettings
    from ingest.uow import IngestUnitOfWork
    from ingest.use_cases import save_tenant

    settings = IngestSettings()
    engine = create_engine(settings.own_database_url, pool_size=1)
    tenant = TenantCredentials(id=f"{prefix}-{uuid.uuid4().hex[:8]}", api_key=uuid.uuid4().hex)
    try:
        uow = IngestUnitOfWork(session_factory(engine), settings.secret_box())
        await save_tenant(uow, tenant_id=tenant.id, api_key=tenant.api_key)
    finally:
        await engine.dispose()
    return tenant


async def ingest_sample(conn: asyncpg.Connection, tenant: str) -> tuple[Endpoints, Plans]:
    at, raw_id = await half_way(conn, "raw_events", "received_at", tenant)
    cursor = encode_cursor(at.isoformat(), str(raw_id))
    list_sql = (
        "SELECT * FROM raw_events WHERE tenant_id = $1 AND {} = $2"
        " ORDER BY received_at DESC, id DESC LIMIT 51"
    )
    return [
        ("deliveries", "/v1/events?limit=50"),
        ("provider=calendly", "/v1/events?provider=calendly&limit=50"),
        *((f"verdict={v}", f"/v1/events?verdict={v}&limit=50") for v in VERDICTS),
        ("trigger=BOOKING_CREATED", "/v1/events?trigger=BOOKING_CREATED&limit=50"),
        ("trigger 0.1% (routing form)", "/v1/events?trigger=routing_form_submission.created"),
        ("calendly + verdict=invalid", "/v1/events?provider=calendly&verdict=invalid"),
        ("since/until a week", f"/v1/events?{WEEK}&limit=50"),
        ("deep cursor", f"/v1/events?limit=50&cursor={cursor}"),
        ("one delivery", f"/v1/events/{raw_id}"),
    ], {
        "verdict=too_large": (list_sql.format("verdict"), (tenant, "too_large")),
        "trigger 0.1%": (list_sql.format("trigger"), (tenant, "routing_form_submission.created")),
        "deep cursor": (
            "SELECT * FROM raw_events WHERE tenant_id = $1 AND received_at <= $2::timestamptz"
            " AND (received_at < $2::timestamptz OR (received_at = $2::timestamptz AND id < $3))"
            " ORDER BY received_at DESC, id DESC LIMIT 51",
            (tenant, at, raw_id),
        ),
    }


def ingest_app() -> Any:
    from ingest.config import IngestSettings
    from ingest.main import build_app

    return build_app(IngestSettings())


# --- crm_push: pushes and the push log -------------------------------------------------------

PUSH_COLUMNS = (
    "id", "tenant_id", "target", "provider", "entity", "entity_id", "meeting_id", "deal_id",
    "source_event_id", "source_event_type", "operation", "payload", "version", "status",
    "attempts", "next_attempt_at", "reason", "error", "error_code", "crm_contact_id",
    "crm_deal_id", "created_at", "updated_at", "completed_at",
)  # fmt: skip
CALL_COLUMNS = (
    "push_id", "tenant_id", "provider", "meeting_id", "deal_id", "attempt", "operation",
    "method", "path", "request_body", "status", "response_body", "error_code", "error_message",
    "duration_ms", "crm_id", "started_at",
)  # fmt: skip
OPERATIONS = {"sync_meeting": 45, "sync_deal": 35, "meeting_journey": 15, "notion_meeting": 5}
PUSH_STATUSES = {"succeeded": 88, "skipped": 9, "parked": 1.5, "pending": 1, "running": 0.5}
CALLS = {
    "sync_meeting": ("contact.search", "contact.create", "activity.create"),
    "sync_deal": ("contact.search", "deal.search", "deal.update"),
    "meeting_journey": ("contact.search", "contact.update"),
    "notion_meeting": ("page.query", "page.update"),
}


def call_rows(rng: random.Random, push: Row, calls: int, parked: bool) -> list[Row]:
    push_id, tenant, _, provider, *_ = push
    meeting_id, deal_id, operation, at = push[6], push[7], push[10], push[21]
    rows = []
    for k in range(calls):
        roll = rng.random()
        status: int | None = 200 if roll < 0.89 else 404 if roll < 0.95 else 409
        if parked or rng.random() < 0.03:
            status = rng.choice((429, 500, 502, None))
        name = CALLS[operation][k % len(CALLS[operation])]
        rows.append(
            (
                push_id,
                tenant,
                provider,
                meeting_id,
                deal_id,
                1 + k // 2,
                name,
                "POST",
                f"/crm/v3/{name.replace('.', '/')}",
                '{"properties": {"email": "x"}}',
                status,
                '{"id": "1"}' if status == 200 else None,
                None if status and status < 429 else "crm_unavailable",
                None,
                rng.randrange(40, 900),
                "1" if status == 200 else None,
                at + timedelta(milliseconds=300 * k),
            )
        )
    return rows


def push_rows(tenants: tuple[str, str], total: int, share: float) -> Iterator[dict[str, list[Row]]]:
    rng = random.Random(2)
    meetings = [uuid.uuid4() for _ in range(4)]
    for n, tenant, at in timeline(rng, total, tenants, share):
        if n % 4 == 0:
            meetings = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(2)]
        meeting_id, deal_id = meetings
        operation = weighted(rng, OPERATIONS)
        status = weighted(rng, PUSH_STATUSES)
        entity = "deal" if operation == "sync_deal" else "meeting"
        target = "notion" if operation == "notion_meeting" else "crm"
        done = at + timedelta(seconds=2) if status in ("succeeded", "skipped") else None
        push = (
            uuid.UUID(int=rng.getrandbits(128)), tenant, target,
            "notion" if target == "notion" else "hubspot", entity,
            deal_id if entity == "deal" else meeting_id, meeting_id,
            deal_id if entity == "deal" else None, f"evt-{n}", f"{entity}.updated", operation,
            orjson.dumps({"snapshot": filler(rng, 400)}).decode(), at, status,
            5 if status == "parked" else 1, at,
            "stale version" if status == "skipped" else None,
            "HubSpot answered 502 five times" if status == "parked" else None,
            "crm_unavailable" if status == "parked" else None,
            str(n) if status == "succeeded" else None,
            str(n) if status == "succeeded" and entity == "deal" else None, at, at, done,
        )  # fmt: skip
        calls = {"skipped": 0, "parked": rng.randint(3, 5), "pending": 0}.get(
            status, rng.randint(1, 2)
        )
        yield {"pushes": [push], "push_calls": call_rows(rng, push, calls, status == "parked")}


async def load_pushes(
    url: str, tenants: tuple[str, str], count: int, others: int, bar: Any
) -> None:
    total = count + others
    columns = {"pushes": PUSH_COLUMNS, "push_calls": CALL_COLUMNS}
    await copy_stream(
        url, "pushes + calls", total, push_rows(tenants, total, others / total), columns, bar
    )


async def crm_tenant(prefix: str) -> TenantCredentials:
    from crm_push.config import CrmPushSettings
    from crm_push.db.tables import tenants

    return await seeded(tenants, CrmPushSettings().own_database_url, prefix)


async def crm_sample(conn: asyncpg.Connection, tenant: str) -> tuple[Endpoints, Plans]:
    at, push_id = await half_way(conn, "pushes", "created_at", tenant)
    meeting_id, deal_id = await conn.fetchrow(
        "SELECT meeting_id, deal_id FROM pushes WHERE tenant_id = $1 AND deal_id IS NOT NULL"
        " AND created_at <= $2 ORDER BY created_at DESC LIMIT 1",
        tenant,
        at,
    )
    call_at, call_id = await half_way(conn, "push_calls", "started_at", tenant)
    call_push = await conn.fetchval("SELECT push_id FROM push_calls WHERE id = $1", call_id)
    # The log's cursor: (started_at, id) where the log is paged on it (issue 12), the id before.
    paged_on_time = await conn.fetchval(
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_push_calls_tenant_started'"
    )
    call_cursor = (
        encode_cursor(call_at.isoformat(), call_id) if paged_on_time else encode_cursor(call_id)
    )
    cursor = encode_cursor(at.isoformat(), str(push_id))
    list_sql = (
        "SELECT * FROM pushes WHERE tenant_id = $1 AND {} = $2"
        " ORDER BY created_at DESC, id DESC LIMIT 51"
    )
    return [
        ("pushes", "/v1/crm/pushes?limit=50"),
        *((f"pushes status={s}", f"/v1/crm/pushes?status={s}&limit=50") for s in PUSH_STATUSES),
        *((f"pushes operation={o}", f"/v1/crm/pushes?operation={o}") for o in OPERATIONS),
        ("pushes meeting_id", f"/v1/crm/pushes?meeting_id={meeting_id}"),
        ("pushes deal_id", f"/v1/crm/pushes?deal_id={deal_id}"),
        ("pushes since/until a week", f"/v1/crm/pushes?{WEEK}&limit=50"),
        ("pushes deep cursor", f"/v1/crm/pushes?limit=50&cursor={cursor}"),
        ("one push (and its calls)", f"/v1/crm/pushes/{push_id}"),
        ("logs", "/v1/crm/logs?limit=50"),
        ("logs status=failed", "/v1/crm/logs?status=failed&limit=50"),
        ("logs status=ok", "/v1/crm/logs?status=ok&limit=50"),
        ("logs operation=deal.update", "/v1/crm/logs?operation=deal.update&limit=50"),
        ("logs operation=page.update", "/v1/crm/logs?operation=page.update&limit=50"),
        ("logs push_id", f"/v1/crm/logs?push_id={call_push}"),
        ("logs meeting_id", f"/v1/crm/logs?meeting_id={meeting_id}"),
        ("logs deal_id", f"/v1/crm/logs?deal_id={deal_id}"),
        ("logs since/until a week", f"/v1/crm/logs?{WEEK}&limit=50"),
        ("logs deep cursor", f"/v1/crm/logs?limit=50&cursor={call_cursor}"),
        ("one call", f"/v1/crm/logs/{call_id}"),
    ], {
        "pushes status=parked": (list_sql.format("status"), (tenant, "parked")),
        "pushes meeting_id": (list_sql.format("meeting_id"), (tenant, meeting_id)),
        "pushes deal_id": (list_sql.format("deal_id"), (tenant, deal_id)),
        "logs operation=deal.update": (
            "SELECT * FROM push_calls WHERE tenant_id = $1 AND operation = $2"
            " ORDER BY started_at DESC, id DESC LIMIT 51",
            (tenant, "deal.update"),
        ),
        "logs since/until a week": (
            "SELECT * FROM push_calls WHERE tenant_id = $1 AND started_at >= $2::timestamptz"
            " AND started_at < $3::timestamptz ORDER BY started_at DESC, id DESC LIMIT 51",
            (tenant, WEEK_SINCE, WEEK_UNTIL),
        ),
    }


def crm_app() -> Any:
    from crm_push.config import CrmPushSettings
    from crm_push.main import build_app

    return build_app(CrmPushSettings(run_pushes=False))  # the lists alone, no worker


# --- notifications: sends and their attempts -------------------------------------------------

SEND_COLUMNS = (
    "id", "tenant_id", "meeting_id", "kind", "offset_minutes", "send_key", "logical",
    "idempotency_key", "status", "recipients", "from_address", "reply_to", "subject", "html",
    "text", "ics", "transport", "attempts", "next_attempt_at", "provider_message_id",
    "delivery", "reason", "error_code", "error", "source_event_id", "created_at", "updated_at",
    "sent_at",
)  # fmt: skip
ATTEMPT_COLUMNS = ("send_id", "attempt", "status", "error_code", "error", "duration_ms", "at")
RECIPIENT_COLUMNS = ("tenant_id", "email", "created_at", "send_id")
KINDS = {"reminder": 60, "confirmation": 25, "reschedule": 8, "cancellation": 7}
SEND_STATUSES = {"sent": 93, "skipped": 5, "failed": 1.5, "pending": 0.4, "sending": 0.1}


def send_rows(tenants: tuple[str, str], total: int, share: float) -> Iterator[dict[str, list[Row]]]:
    rng = random.Random(3)
    html = "<html><body>" + filler(rng, 1500) + "</body></html>"
    meeting_id = uuid.uuid4()
    for n, tenant, at in timeline(rng, total, tenants, share):
        if n % 4 == 0:
            meeting_id = uuid.UUID(int=rng.getrandbits(128))
        kind, status = weighted(rng, KINDS), weighted(rng, SEND_STATUSES)
        send_id = uuid.UUID(int=rng.getrandbits(128))
        attempts = rng.randint(2, 5) if status == "failed" else int(status in ("sent", "sending"))
        email = f"p{n // 12}@c{n // 48}.example"
        sent = at + timedelta(seconds=1) if status == "sent" else None
        yield {
            "sends": [
                (
                    send_id,
                    tenant,
                    meeting_id,
                    kind,
                    1440 if kind == "reminder" else None,
                    f"{kind}/{meeting_id}/{n}",
                    '{"v": 1}',
                    f"idem-{n}",
                    status,
                    [email],
                    "team@revenueengineer.com",
                    None,
                    f"Your meeting ({kind})",
                    html,
                    "Your meeting is on.",
                    "BEGIN:VCALENDAR" if kind == "confirmation" else None,
                    "resend",
                    attempts,
                    at,
                    f"re_{n}" if sent else None,
                    ("bounced" if rng.random() < 0.01 else "delivered") if sent else None,
                    "suppressed" if status == "skipped" else None,
                    "rate_limited" if status == "failed" else None,
                    None,
                    f"evt-{n}",
                    at,
                    at,
                    sent,
                )
            ],
            "send_attempts": [
                (send_id, k + 1, 200 if status == "sent" else 429, None, None, 120, at)
                for k in range(attempts)
            ],
            "send_recipients": [(tenant, email, at, send_id)],
        }


async def load_sends(url: str, tenants: tuple[str, str], count: int, others: int, bar: Any) -> None:
    total = count + others
    columns = {
        "sends": SEND_COLUMNS,
        "send_attempts": ATTEMPT_COLUMNS,
        "send_recipients": RECIPIENT_COLUMNS,
    }
    await copy_stream(
        url, "sends + attempts", total, send_rows(tenants, total, others / total), columns, bar
    )


async def notifications_tenant(prefix: str) -> TenantCredentials:
    from notifications.config import NotificationsSettings
    from notifications.db.tables import tenants

    return await seeded(tenants, NotificationsSettings().own_database_url, prefix)


async def notifications_sample(conn: asyncpg.Connection, tenant: str) -> tuple[Endpoints, Plans]:
    from notifications.db.repository import SendFilter, sends_query

    at, send_id = await half_way(conn, "sends", "created_at", tenant)
    meeting_id, recipients = await conn.fetchrow(
        "SELECT meeting_id, recipients FROM sends WHERE id = $1", send_id
    )
    cursor = encode_cursor(at.isoformat(), str(send_id))
    list_sql = (
        "SELECT * FROM sends WHERE tenant_id = $1 AND {} ORDER BY created_at DESC, id DESC LIMIT 51"
    )
    return [
        ("notifications", "/v1/notifications?limit=50"),
        *((f"kind={k}", f"/v1/notifications?kind={k}&limit=50") for k in KINDS),
        *((f"status={s}", f"/v1/notifications?status={s}&limit=50") for s in SEND_STATUSES),
        ("meeting_id", f"/v1/notifications?meeting_id={meeting_id}"),
        ("recipient", f"/v1/notifications?recipient={recipients[0]}"),
        ("recipient, no sends", "/v1/notifications?recipient=nobody@c1.example"),
        ("since/until a week", f"/v1/notifications?{WEEK}&limit=50"),
        ("deep cursor", f"/v1/notifications?limit=50&cursor={cursor}"),
        ("one notification", f"/v1/notifications/{send_id}"),
    ], {
        "status=sending": (list_sql.format("status = $2"), (tenant, "sending")),
        # What the app runs (send_recipients joined to sends), not a copy of it.
        "recipient": positional(sends_query(tenant, SendFilter(recipient=recipients[0]), None, 51)),
    }


def notifications_app() -> Any:
    from notifications.config import NotificationsSettings
    from notifications.main import build_app

    return build_app(NotificationsSettings(run_dispatcher=False))


# --- the run -----------------------------------------------------------------------------------


async def half_way(
    conn: asyncpg.Connection, table: str, column: str, tenant: str
) -> tuple[datetime, uuid.UUID]:
    """(sort value, id) of the row half way down the tenant's list: a deep page's cursor."""
    sql = (
        f"SELECT {column}, id FROM {table} WHERE tenant_id = $1"  # noqa: S608 (names from here)
        f" ORDER BY {column} DESC, id DESC"
        f" OFFSET (SELECT count(*) / 2 FROM {table} WHERE tenant_id = $1) LIMIT 1"
    )
    row = await conn.fetchrow(sql, tenant)
    return row[0], row[1]


async def print_index_sizes(conn: asyncpg.Connection, tables: Sequence[str]) -> None:
    """Each index of the loaded tables and its size: what every write also maintains."""
    rows = await conn.fetch(
        "SELECT tablename, indexname, pg_relation_size(indexname::regclass) AS bytes"
        " FROM pg_indexes WHERE tablename = ANY($1) ORDER BY tablename, indexname",
        list(tables),
    )
    for row in rows:
        console.print(f"{row['tablename']}.{row['indexname']}: {row['bytes'] / 2**20:,.0f} MB")


SERVICES = {
    "ingest": Service(
        "ingest", ("raw_events",), ingest_tenant, load_deliveries, ingest_sample, ingest_app
    ),
    "crm_push": Service(
        "crm_push", ("pushes", "push_calls"), crm_tenant, load_pushes, crm_sample, crm_app
    ),
    "notifications": Service(
        "notifications",
        ("sends", "send_attempts", "send_recipients"),
        notifications_tenant,
        load_sends,
        notifications_sample,
        notifications_app,
    ),
}


async def bench(service: Service, count: int, others: int, calls: int, plans: bool) -> Figures:
    async with service_database(service.name) as url:
        measured = await service.make_tenant("big")
        other = await service.make_tenant("other")
        started = time.perf_counter()
        async with loading() as bar:
            await service.load(url, (measured.id, other.id), count, others, bar)
        await vacuum_analyze(url, service.tables)
        console.print(
            f"{service.name}: loaded {count:,} + {others:,} rows"
            f" in {time.perf_counter() - started:.0f} s"
        )
        conn = await asyncpg.connect(plain_url(url))
        try:
            paths, queries = await service.sample(conn, measured.id)
            await print_index_sizes(conn, service.tables)
        finally:
            await conn.close()
        if plans:
            await print_plans(url, queries)
        async with serve(service.app()) as app_url:
            return await time_endpoints(app_url, measured, paths, calls)


async def main(names: list[str], count: int, others: int, calls: int, plans: bool) -> None:
    for name in names:
        figures = await bench(SERVICES[name], count, others, calls, plans)
        print_figures(
            f"{name} list endpoints, {count:,} rows in the tenant, {calls} calls each", figures
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=None, help="the other tenant's rows")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--service", choices=list(SERVICES), action="append")
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    others = args.rows // 4 if args.others is None else args.others
    if args.service and len(args.service) == 1:
        asyncio.run(main(args.service, args.rows, others, args.calls, args.plans))
    else:  # one process per service: each gets a PostgreSQL and broker of its own
        for name in args.service or SERVICES:
            rest = ["--rows", str(args.rows), "--others", str(others), "--calls", str(args.calls)]
            rest += ["--plans"] if args.plans else []
            subprocess.run([sys.executable, __file__, *rest, "--service", name], check=True)
