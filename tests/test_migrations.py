"""Every service's migrations produce exactly the schema its tables declare (no drift)."""

import asyncio
import importlib
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from attribution.domain.funnel import DealFact, won_since
from dealflow_libs.devstack.services import installed_services
from dealflow_libs.migrate import alembic_config, upgrade
from dealflow_libs.settings import asyncpg_url
from dealflow_libs.testing.scratch import scratch_database


def downgrade(package: str, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(package, database_url), revision)


async def columns_left(engine: AsyncEngine, table: str, condition: str) -> int:
    """How many of `table`'s columns match the SQL `condition` on column_name (after a
    downgrade: none of those it dropped)."""
    async with engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT count(*) FROM information_schema.columns"  # noqa: S608 - our own constants
                f" WHERE table_name = :table AND ({condition})"
            ),
            {"table": table},
        )
    return int(found or 0)


@pytest.mark.parametrize("service", installed_services(), ids=lambda s: s.name)
async def test_migrations_match_tables(service, prepared_stack: dict[str, str]) -> None:
    metadata = importlib.import_module(f"{service.package}.db.tables").metadata
    engine = create_async_engine(asyncpg_url(prepared_stack[service.name]))
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert diff == [], f"{service.name}: tables and migrations differ; add a migration: {diff}"


async def test_outbox_headers_survive_the_move_from_json_to_kafka_form(stack) -> None:
    """Rows written before 0004_outbox_headers (pending or kept for republishing) keep every
    header, and going back restores the JSON object."""
    url = await scratch_database(stack.database_url)
    headers = {"ce_id": "e-1", "ce_type": "dealflow.deal.created.v1", "ce_subject": "d-ü"}
    engine = create_async_engine(asyncpg_url(url))
    try:
        await asyncio.to_thread(upgrade, "deals", url, "0003_outbox_retention")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO outbox (topic, key, headers, value) "
                    "VALUES ('t', 'k', CAST(:h AS jsonb), 'v'), ('t', 'k', '{}', 'v')"
                ),
                {"h": orjson.dumps(headers).decode()},
            )
        await asyncio.to_thread(upgrade, "deals", url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT header_names, header_values FROM outbox ORDER BY id")
                )
            ).all()
        assert [dict(zip(n, (bytes(v).decode() for v in vs), strict=True)) for n, vs in rows] == [
            headers,
            {},
        ]
        await asyncio.to_thread(downgrade, "deals", url, "0003_outbox_retention")
        async with engine.connect() as conn:
            back = (await conn.scalars(text("SELECT headers FROM outbox ORDER BY id"))).all()
        assert back == [headers, {}]
    finally:
        await engine.dispose()


async def test_deals_enter_their_stage_at_their_latest_history_row(stack) -> None:
    """0009_stage_entered_at backfills from the stage history, else from created_at."""
    url = await scratch_database(stack.database_url)
    company, moved, untouched = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = create_async_engine(asyncpg_url(url))
    try:
        await asyncio.to_thread(upgrade, "deals", url, "0008_deal_summaries_one_lock")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO companies (id, tenant_id, domain, name, created_at) "
                    "VALUES (:c, 't', 'acme.com', 'Acme', '2026-01-01T00:00Z')"
                ),
                {"c": company},
            )
            await conn.execute(
                text(
                    "INSERT INTO deals (id, tenant_id, company_id, name, status, stage, "
                    "probability, currency, created_at, updated_at) VALUES "
                    "(:moved, 't', :c, 'A', 'active', 'proposal', 40, 'EUR', "
                    "'2026-01-01T00:00Z', '2026-03-01T00:00Z'), "
                    "(:untouched, 't', :c, 'B', 'won', 'closed_won', 100, 'EUR', "
                    "'2026-01-05T00:00Z', '2026-03-01T00:00Z')"
                ),
                {"moved": moved, "untouched": untouched, "c": company},
            )
            await conn.execute(
                text(
                    "INSERT INTO deal_stage_history (deal_id, tenant_id, kind, to_stage, "
                    "changed_at) VALUES (:d, 't', 'created', 'booked', '2026-01-01T00:00Z'), "
                    "(:d, 't', 'stage_changed', 'proposal', '2026-02-10T00:00Z')"
                ),
                {"d": moved},
            )
        await asyncio.to_thread(upgrade, "deals", url)
        async with engine.connect() as conn:
            entered = dict(
                (await conn.execute(text("SELECT id, stage_entered_at FROM deals"))).all()
            )
        assert {k: v.isoformat() for k, v in entered.items()} == {
            moved: "2026-02-10T00:00:00+00:00",
            untouched: "2026-01-05T00:00:00+00:00",
        }
        await asyncio.to_thread(downgrade, "deals", url, "0008_deal_summaries_one_lock")
        async with engine.connect() as conn:
            columns = await conn.scalars(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'deals'"
                )
            )
            assert "stage_entered_at" not in columns.all()
    finally:
        await engine.dispose()


async def test_lost_deals_fill_their_monthly_rollup_and_the_closing_rule_holds(stack) -> None:
    """0010 fills deal_lost_months from the lost deals there are (its triggers keep it after);
    0011 adds the closing-window index and constraint; both go on downgrade."""
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    try:
        await asyncio.to_thread(upgrade, "deals", url, "0009_stage_entered_at")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO companies (id, tenant_id, domain, name, created_at) "
                    "VALUES (:c, 't', 'acme.com', 'Acme', '2026-01-01T00:00Z')"
                ),
                {"c": (company := uuid.uuid4())},
            )
            for day, value in ((3, 10), (27, 5), (29, None)):  # February, then March 1st
                closed = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(days=day - 1)
                await conn.execute(
                    text(
                        "INSERT INTO deals (id, tenant_id, company_id, name, status, stage, "
                        "probability, currency, value, lost_reason, stage_before_close, "
                        "closed_at, days_to_close, created_at, updated_at, stage_entered_at) "
                        "VALUES (:id, 't', :c, 'A', 'lost', 'closed_lost', 0, 'EUR', :v, "
                        "'no_budget', 'proposal', CAST(:closed AS timestamptz), 7, "
                        "'2026-01-01T00:00Z', now(), now())"
                    ),
                    {"id": uuid.uuid4(), "c": company, "v": value, "closed": closed},
                )
        await asyncio.to_thread(upgrade, "deals", url)
        async with engine.connect() as conn:
            months = (
                await conn.execute(
                    text(
                        "SELECT month::text, lost_reason, stage_left, deals, value_sum, days_sum,"
                        " days_count FROM deal_lost_months ORDER BY month"
                    )
                )
            ).all()
        assert [tuple(m) for m in months] == [
            ("2026-02-01", "no_budget", "proposal", 2, 15, 14, 2),
            ("2026-03-01", "no_budget", "proposal", 1, 0, 7, 1),
        ]
        await asyncio.to_thread(downgrade, "deals", url, "0009_stage_entered_at")
        async with engine.connect() as conn:
            left = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_class WHERE relname IN"
                    " ('deal_lost_months', 'ix_deals_tenant_closed')"
                )
            )
            constraints = await conn.scalar(
                text("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'ck_deals_%'")
            )
            triggers = await conn.scalar(
                text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'deal_lost_months%'")
            )
        assert (left, constraints, triggers) == (0, 0, 0)
    finally:
        await engine.dispose()


LIST_INDEXES = [  # issue 12: (package, the revision before its list indexes, an index it adds)
    ("ingest", "0006_trail", "ix_raw_events_tenant_verdict"),
    ("crm_push", "0001", "ix_push_calls_tenant_started"),
    ("notifications", "0001", "ix_sends_tenant_status"),
    ("notifications", "0002", "pk_send_recipients"),
    ("attribution", "0014_leads_cohort_facts", "ix_leads_cohort_deals"),
    ("attribution", "0015_leads_cohort_joins", "ix_leads_last_won"),
]


@pytest.mark.parametrize(("package", "before", "index"), LIST_INDEXES, ids=lambda v: str(v))
async def test_list_indexes_go_and_come_back(stack, package: str, before: str, index: str) -> None:
    """Down to the revision before the list indexes and up again, in a database of its own: the
    index goes and comes back, and the schema again equals the tables."""
    url = await scratch_database(stack.database_url)
    metadata = importlib.import_module(f"{package}.db.tables").metadata
    engine = create_async_engine(asyncpg_url(url))
    exists = text("SELECT count(*) FROM pg_indexes WHERE indexname = :name")
    try:
        await asyncio.to_thread(upgrade, package, url)
        await asyncio.to_thread(downgrade, package, url, before)
        async with engine.connect() as conn:
            assert await conn.scalar(exists, {"name": index}) == 0
        await asyncio.to_thread(upgrade, package, url)
        async with engine.connect() as conn:
            assert await conn.scalar(exists, {"name": index}) == 1
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
        assert diff == []
    finally:
        await engine.dispose()


async def test_notifications_send_recipients_are_filled_from_the_sends_already_there(stack) -> None:
    """0003_send_recipients on a database with sends (two tenants, mixed case, an address twice
    in one send, a send without recipients): one row per lower-cased recipient of each send, and
    the GIN index goes; going back restores it and drops the table."""
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    at = datetime(2026, 3, 1, tzinfo=UTC)
    sends = {  # id: (tenant, recipients)
        uuid.uuid4(): ("t1", ["ann@x.io", "Bo@X.io"]),
        uuid.uuid4(): ("t1", ["ANN@x.io", "ann@x.io"]),
        uuid.uuid4(): ("t2", ["ann@x.io"]),
        uuid.uuid4(): ("t2", []),
    }
    gin = text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_sends_recipients'")
    try:
        await asyncio.to_thread(upgrade, "notifications", url, "0002")
        async with engine.begin() as conn:
            for send_id, (tenant, recipients) in sends.items():
                await conn.execute(
                    text(
                        "INSERT INTO sends (id, tenant_id, meeting_id, kind, send_key, logical,"
                        " idempotency_key, status, recipients, from_address, subject, html, text,"
                        " transport, next_attempt_at, source_event_id, created_at, updated_at)"
                        " VALUES (:id, :t, gen_random_uuid(), 'confirmation', :key, '{}', :key,"
                        " 'sent', :r, 'team@x.io', 's', 'h', 't', 'resend', :at, 'e', :at, :at)"
                    ),
                    {"id": send_id, "key": str(send_id), "t": tenant, "r": recipients, "at": at},
                )
        await asyncio.to_thread(upgrade, "notifications", url, "0003")
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT tenant_id, email, created_at, send_id FROM send_recipients")
            )
            assert sorted(rows.all()) == sorted(
                (tenant, email, at, send_id)
                for send_id, (tenant, recipients) in sends.items()
                for email in {r.lower() for r in recipients}
            )
            assert await conn.scalar(gin) == 0
        await asyncio.to_thread(downgrade, "notifications", url, "0002")
        async with engine.connect() as conn:
            assert await conn.scalar(gin) == 1
            assert await conn.scalar(text("SELECT to_regclass('send_recipients')")) is None
    finally:
        await engine.dispose()


async def test_the_show_rate_rollup_is_filled_from_the_meetings_already_there(stack) -> None:
    """0009_show_rate_days on a database with meetings: the rollup starts equal to a recompute
    (deleted and unscheduled meetings left out, two tenants), the trigger keeps it from then on,
    and going back removes table, function and triggers."""
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    insert_meetings = text(
        "INSERT INTO meetings (id, tenant_id, provider, meeting_type, status, meeting_outcome,"
        " scheduled_at, showed_up, deleted_at, created_at, updated_at)"
        " SELECT gen_random_uuid(), 't' || (g % 2), 'calcom', 'demo', 'completed', 'good',"
        " CASE WHEN g % 7 <> 0 THEN now() - g * interval '5 hours' END, g % 3 = 0,"
        " CASE WHEN g % 11 = 0 THEN now() END, now(), now()"
        " FROM generate_series(1, :n) g"
    )
    kept = text("SELECT tenant_id, sum(total), sum(showed) FROM meeting_show_rate_days GROUP BY 1")
    counted = text(
        "SELECT tenant_id, count(*), count(*) FILTER (WHERE showed_up) FROM meetings"
        " WHERE deleted_at IS NULL AND scheduled_at IS NOT NULL GROUP BY 1"
    )
    try:
        await asyncio.to_thread(upgrade, "meetings", url, "0008_show_rate_index")
        async with engine.begin() as conn:
            await conn.execute(insert_meetings, {"n": 500})
        await asyncio.to_thread(upgrade, "meetings", url, "0009_show_rate_days")
        async with engine.begin() as conn:
            assert set((await conn.execute(kept)).all()) == set((await conn.execute(counted)).all())
            await conn.execute(insert_meetings, {"n": 100})
            await conn.execute(text("DELETE FROM meetings WHERE showed_up"))
            assert set((await conn.execute(kept)).all()) == set((await conn.execute(counted)).all())
        await asyncio.to_thread(downgrade, "meetings", url, "0008_show_rate_index")
        async with engine.connect() as conn:
            left = await conn.scalar(
                text(
                    "SELECT (SELECT count(*) FROM pg_class"
                    " WHERE relname = 'meeting_show_rate_days')"
                    " + (SELECT count(*) FROM pg_proc WHERE proname LIKE 'meeting_show%')"
                )
            )
            triggers = await conn.scalar(
                text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'meeting_show_rate%'")
            )
        assert (left, triggers) == (0, 0)
    finally:
        await engine.dispose()


async def test_the_leads_cohort_facts_are_filled_from_the_rows_already_there(stack) -> None:
    """0014_leads_cohort_facts on a database with leads and deal states (two tenants): each
    lead's won_since_first_seen is what `domain.funnel.won_since` says of its account's deals
    (won, created at or after the lead was first seen; another tenant's deal of the same id
    never counts); going back removes the column and the index's included facts."""
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    deals = [  # (tenant, status, created days after t0)
        DealFact(uuid.uuid4(), tenant, "x.com", None, (), status, status, None, "USD",
                 t0 + timedelta(days=days), None)
        for tenant, status, days in [("t1", "won", 5), ("t1", "won", -5), ("t1", "lost", 9),
                                     ("t1", "active", 1), ("t2", "won", 3), ("t2", "cancelled", 8)]
    ]  # fmt: skip
    accounts = {  # (tenant, email): (first seen days after t0, the account's deals)
        ("t1", "a@x.com"): (0, [deals[0], deals[2]]),
        ("t1", "b@x.com"): (0, [deals[1], deals[3]]),
        ("t1", "c@x.com"): (5, [deals[0]]),  # first seen the instant the won deal was created
        ("t1", "d@x.com"): (6, [deals[0], deals[1]]),
        ("t2", "a@x.com"): (0, [deals[4], deals[5]]),
        ("t2", "e@x.com"): (0, [deals[0]]),  # t1's deal id on a t2 lead: not its account
        ("t2", "f@x.com"): (0, []),
    }
    try:
        await asyncio.to_thread(upgrade, "attribution", url, "0013_funnel_windows")
        async with engine.begin() as conn:
            for d in deals:
                await conn.execute(
                    text(
                        "INSERT INTO deal_states (deal_id, tenant_id, status, stage, currency,"
                        " created_at, state_at) VALUES (:id, :t, :s, :s, 'USD', :at, now())"
                    ),
                    {"id": d.deal_id, "t": d.tenant_id, "s": d.status, "at": d.created_at},
                )
            for (tenant, email), (days, account) in accounts.items():
                await conn.execute(
                    text(
                        "INSERT INTO leads (tenant_id, email, status, first_seen_at, touches,"
                        " meetings, deal_ids, updated_at)"
                        " VALUES (:t, :e, 'touched', :at, 1, 0, :ids, now())"
                    ),
                    {"t": tenant, "e": email, "at": t0 + timedelta(days=days),
                     "ids": [d.deal_id for d in account]},
                )  # fmt: skip
        await asyncio.to_thread(upgrade, "attribution", url, "0014_leads_cohort_facts")
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT tenant_id, email, won_since_first_seen FROM leads")
            )
            found = {(tenant, email): won for tenant, email, won in rows}
        expected = {
            key: won_since([d for d in account if d.tenant_id == key[0]], t0 + timedelta(days))
            for key, (days, account) in accounts.items()
        }
        assert found == expected
        assert sorted(k for k, won in expected.items() if won) == [
            ("t1", "a@x.com"), ("t1", "c@x.com"), ("t2", "a@x.com")
        ]  # fmt: skip
        await asyncio.to_thread(downgrade, "attribution", url, "0013_funnel_windows")
        assert await columns_left(engine, "leads", "column_name = 'won_since_first_seen'") == 0
        async with engine.connect() as conn:
            index = await conn.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_first_seen'")
            )
        assert "INCLUDE" not in index
    finally:
        await engine.dispose()


async def test_attribution_leads_period_facts_are_filled_from_the_rows_there(stack) -> None:
    """0016_leads_period_facts on leads, bookings (their attendee rows) and deal states of two
    tenants: the latest activity (touch or booking), booking and won close of each lead's own
    tenant; and its downgrade."""
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    won, other_won, lost = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        await asyncio.to_thread(upgrade, "attribution", url, "0015_leads_cohort_joins")
        async with engine.begin() as conn:
            for deal_id, tenant, status, closed in [
                (won, "t1", "won", 10), (other_won, "t2", "won", 20), (lost, "t1", "lost", 30)
            ]:  # fmt: skip
                await conn.execute(
                    text(
                        "INSERT INTO deal_states (deal_id, tenant_id, status, stage, currency,"
                        " created_at, closed_at, state_at)"
                        " VALUES (:id, :t, :s, :s, 'USD', :created, :closed, now())"
                    ),
                    {"id": deal_id, "t": tenant, "s": status, "created": t0,
                     "closed": t0 + timedelta(days=closed)},
                )  # fmt: skip
            for n, (tenant, booker, people, days) in enumerate(
                [("t1", "a@x.com", ["a@x.com", "c@x.com"], 3), ("t1", "c@x.com", ["a@x.com"], 2)]
            ):
                await conn.execute(
                    text(
                        "INSERT INTO meeting_bookings (meeting_id, tenant_id, person_email,"
                        " attendee_emails, booked_at, touch_id)"
                        " VALUES (gen_random_uuid(), :t, :e, :people, :at, :touch)"
                    ),
                    {"t": tenant, "e": booker, "people": people,
                     "at": t0 + timedelta(days=days), "touch": f"m{n}"},
                )  # fmt: skip
            for tenant, email, touched, account in [
                ("t1", "a@x.com", 1, [won, other_won, lost]),  # t2's deal is not its account
                ("t1", "b@x.com", 5, []),
                ("t1", "c@x.com", None, []),  # booked, never touched
                ("t2", "a@x.com", 7, [other_won]),  # t1's booking is not theirs
            ]:
                await conn.execute(
                    text(
                        "INSERT INTO leads (tenant_id, email, status, first_seen_at,"
                        " last_touch_at, touches, meetings, deal_ids, updated_at)"
                        " VALUES (:t, :e, 'touched', :first, :last, 1, 0, :ids, now())"
                    ),
                    {"t": tenant, "e": email, "first": t0, "ids": account,
                     "last": None if touched is None else t0 + timedelta(days=touched)},
                )  # fmt: skip
        await asyncio.to_thread(upgrade, "attribution", url, "0016_leads_period_facts")
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT tenant_id, email, last_active_at, last_booked_at, last_won_at"
                    " FROM leads"
                )
            )
            found = {(tenant, email): tuple(times) for tenant, email, *times in rows}

        def day(n: int | None) -> datetime | None:
            return None if n is None else t0 + timedelta(days=n)

        assert found == {
            ("t1", "a@x.com"): (day(3), day(3), day(10)),
            ("t1", "b@x.com"): (day(5), None, None),
            ("t1", "c@x.com"): (day(3), day(3), None),
            ("t2", "a@x.com"): (day(7), None, day(20)),
        }
        await asyncio.to_thread(downgrade, "attribution", url, "0015_leads_cohort_joins")
        dropped = "column_name LIKE 'last\\_%\\_at' AND column_name <> 'last_touch_at'"
        assert await columns_left(engine, "leads", dropped) == 0
    finally:
        await engine.dispose()


async def test_attribution_deal_cohort_fact_is_filled_from_the_leads_there(stack) -> None:
    """0020_deal_cohort_seen on leads and deal states of two tenants: each deal's latest
    first-seen of its own tenant's account leads at or before its creation; its downgrade."""
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    deal, other, early = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        await asyncio.to_thread(upgrade, "attribution", url, "0019_report_deals")
        async with engine.begin() as conn:
            for deal_id, tenant, created in [(deal, "t1", 10), (other, "t2", 10), (early, "t1", 0)]:
                await conn.execute(
                    text(
                        "INSERT INTO deal_states (deal_id, tenant_id, status, stage, currency,"
                        " created_at, state_at) VALUES (:id, :t, 'active', 'qualification',"
                        " 'USD', :created, now())"
                    ),
                    {"id": deal_id, "t": tenant, "created": t0 + timedelta(days=created)},
                )
            for tenant, email, first, account in [
                ("t1", "a@x.com", 2, [deal, early]),
                ("t1", "b@x.com", 5, [deal]),
                ("t1", "c@x.com", 12, [deal]),  # first seen after the deal was created
                ("t2", "a@x.com", 9, [deal, other]),  # another tenant's deal is not its account
            ]:
                await conn.execute(
                    text(
                        "INSERT INTO leads (tenant_id, email, status, first_seen_at, touches,"
                        " meetings, deal_ids, updated_at, last_active_at)"
                        " VALUES (:t, :e, 'touched', :first, 1, 0, :ids, now(), :first)"
                    ),
                    {"t": tenant, "e": email, "first": t0 + timedelta(days=first), "ids": account},
                )
        await asyncio.to_thread(upgrade, "attribution", url, "0020_deal_cohort_seen")
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT deal_id, cohort_seen_at FROM deal_states"))
            found = dict(rows.all())
        assert found == {deal: t0 + timedelta(days=5), other: t0 + timedelta(days=9), early: None}
        await asyncio.to_thread(downgrade, "attribution", url, "0019_report_deals")
        assert await columns_left(engine, "deal_states", "column_name = 'cohort_seen_at'") == 0
    finally:
        await engine.dispose()


async def test_attribution_meeting_cohort_fact_is_filled_from_the_leads_there(stack) -> None:
    """0022_meeting_cohort_seen on bookings and leads of two tenants: each booking's latest
    first-seen of its own tenant's leads in a meeting among its people; its downgrade."""
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    shared, alone, nobody = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        await asyncio.to_thread(upgrade, "attribution", url, "0021_report_deals_by_key")
        async with engine.begin() as conn:
            for meeting_id, tenant, people in [
                (shared, "t1", ["a@x.com", "b@x.com", "c@x.com"]),
                (alone, "t2", ["a@x.com"]),
                (nobody, "t1", ["z@x.com"]),  # no lead row for its person
            ]:
                await conn.execute(
                    text(
                        "INSERT INTO meeting_bookings (meeting_id, tenant_id, person_email,"
                        " attendee_emails, booked_at, touch_id)"
                        " VALUES (:id, :t, :person, :people, :at, :touch)"
                    ),
                    {"id": meeting_id, "t": tenant, "person": people[0], "people": people,
                     "at": t0, "touch": f"meeting:{meeting_id}"},
                )  # fmt: skip
            for tenant, email, first, meetings in [
                ("t1", "a@x.com", 2, 1),
                ("t1", "b@x.com", 5, 1),
                ("t1", "c@x.com", 9, 0),  # no meeting counted: not a lead in a meeting
                ("t2", "a@x.com", 7, 1),  # the other tenant's lead of the same person
            ]:
                await conn.execute(
                    text(
                        "INSERT INTO leads (tenant_id, email, status, first_seen_at, touches,"
                        " meetings, deal_ids, updated_at, last_active_at)"
                        " VALUES (:t, :e, 'touched', :first, 1, :meetings, '{}', now(), :first)"
                    ),
                    {"t": tenant, "e": email, "first": t0 + timedelta(days=first),
                     "meetings": meetings},
                )  # fmt: skip
            # The meetings' states: a showed-up meeting, one whose attendance is not known yet.
            for meeting_id, showed in [(shared, True), (alone, None)]:
                await conn.execute(
                    text(
                        "INSERT INTO meeting_states (meeting_id, tenant_id, status, showed_up,"
                        " state_at) VALUES (:id, 't1', 'completed', :showed, now())"
                    ),
                    {"id": meeting_id, "showed": showed},
                )
        await asyncio.to_thread(upgrade, "attribution", url, "0022_meeting_cohort_seen")
        facts = text("SELECT meeting_id, cohort_seen_at, showed_up FROM meeting_bookings")
        async with engine.connect() as conn:
            found = {row.meeting_id: tuple(row[1:]) for row in await conn.execute(facts)}
        assert found == {
            shared: (t0 + timedelta(days=5), True),
            alone: (t0 + timedelta(days=7), None),
            nobody: (None, None),
        }
        # From here the triggers keep the copy: a state written, changed, removed; a booking
        # recorded after its meeting's state.
        late = uuid.uuid4()
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE meeting_states SET showed_up = false WHERE meeting_id = :id"),
                {"id": shared},
            )
            await conn.execute(
                text(
                    "INSERT INTO meeting_states (meeting_id, tenant_id, status, showed_up,"
                    " state_at) VALUES (:id, 't1', 'completed', true, now()),"
                    " (:late, 't1', 'completed', true, now())"
                ),
                {"id": nobody, "late": late},
            )
            await conn.execute(
                text("DELETE FROM meeting_states WHERE meeting_id = :id"), {"id": alone}
            )
            await conn.execute(
                text(
                    "INSERT INTO meeting_bookings (meeting_id, tenant_id, person_email,"
                    " attendee_emails, booked_at, touch_id)"
                    " VALUES (:id, 't1', 'a@x.com', '{a@x.com}', now(), 'late')"
                ),
                {"id": late},
            )
        shown = text("SELECT meeting_id, showed_up FROM meeting_bookings")
        async with engine.connect() as conn:
            copied = dict((await conn.execute(shown)).all())
        assert copied == {shared: False, alone: None, nobody: True, late: True}
        await asyncio.to_thread(downgrade, "attribution", url, "0021_report_deals_by_key")
        dropped = "column_name IN ('cohort_seen_at', 'showed_up')"
        assert await columns_left(engine, "meeting_bookings", dropped) == 0
    finally:
        await engine.dispose()
