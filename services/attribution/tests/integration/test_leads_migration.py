"""0009_leads builds the leads read model from what was recorded before it, by the rule the
service applies live (the tenant's personal domains included); 0024, 0025 and 0026 count leads,
deal states and meetings per day."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from attribution.db.leads import LeadsRepository
from attribution.db.reporting import ReportingRepository
from attribution.domain.lead_days import lead_day_totals
from dealflow_libs.migrate import alembic_config, upgrade
from dealflow_libs.settings import asyncpg_url
from dealflow_libs.testing.scratch import scratch_database

BEFORE = "0008_closed_deals_by_tenant"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
MEETING, DEAL = uuid.uuid4(), uuid.uuid4()


async def test_existing_touches_bookings_and_deals_become_leads(stack) -> None:
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    try:
        await asyncio.to_thread(upgrade, "attribution", url, BEFORE)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tenants (tenant_id, name, personal_domains, changed_at)"
                    " VALUES ('t1', 't1', '{mailcorp.com}', now())"
                )
            )
            for touch_id, email, days, channel in [
                ("a1", "ana@acme.com", 0, "Outbound Email"),
                ("a2", "ana@acme.com", 4, "Phone"),
                ("b1", "bo@eu.acme.com", 2, "Paid Search"),
                ("d1", "dee@mailcorp.com", 1, "Phone"),
                ("x1", "ana@acme.com", 9, "Phone"),  # another tenant's
            ]:
                await conn.execute(
                    text(
                        "INSERT INTO touches (tenant_id, touch_id, person_email, occurred_at,"
                        " activity_type, channel, channel_rule_id, rule_version, source,"
                        " received_at) VALUES (:tenant, :id, :email, :at, 'call', :channel,"
                        " 'r', 1, 'api', now())"
                    ),
                    {
                        "tenant": "t2" if touch_id == "x1" else "t1",
                        "id": touch_id,
                        "email": email,
                        "at": T0 + timedelta(days=days),
                        "channel": channel,
                    },
                )
            await conn.execute(
                text(
                    "INSERT INTO meeting_bookings (meeting_id, tenant_id, person_email,"
                    " attendee_emails, company_domain, booked_at, touch_id) VALUES (:m, 't1',"
                    " 'ana@acme.com', '{ana@acme.com,eve@gmail.com}', 'acme.com', :at, 'mt')"
                ),
                {"m": MEETING, "at": T0 - timedelta(days=1)},
            )
            await conn.execute(
                text(
                    "INSERT INTO deal_states (deal_id, tenant_id, company_domain, meeting_ids,"
                    " status, stage, currency, created_at, state_at) VALUES (:d, 't1',"
                    " 'acme.com', ARRAY[CAST(:m AS uuid)], 'active', 'met', 'USD', :at, :at)"
                ),
                {"d": DEAL, "m": MEETING, "at": T0 + timedelta(days=5)},
            )
        await asyncio.to_thread(upgrade, "attribution", url)
        rows = await stored_leads(engine)
        async with engine.connect() as conn:
            attendees = (
                await conn.execute(text("SELECT * FROM meeting_attendees ORDER BY email"))
            ).all()
        # 0010 indexes every booking's people (backfilled, then kept by a trigger).
        assert [tuple(a) for a in attendees] == [
            ("t1", "ana@acme.com", MEETING),
            ("t1", "eve@gmail.com", MEETING),
        ]
        assert [tuple(row) for row in rows] == [
            (
                "t1",
                "ana@acme.com",
                "acme.com",
                "opportunity",
                T0 - timedelta(days=1),
                "Outbound Email",
                2,
                1,
                [DEAL],
            ),
            (
                "t1",
                "bo@eu.acme.com",
                "acme.com",
                "opportunity",
                T0 + timedelta(days=2),
                "Paid Search",
                1,
                0,
                [DEAL],
            ),
            # The tenant's personal domain: no company, so not in acme's account.
            ("t1", "dee@mailcorp.com", None, "touched", T0 + timedelta(days=1), "Phone", 1, 0, []),
            # An attendee with no touch: a lead through the meeting the deal links.
            (
                "t1",
                "eve@gmail.com",
                None,
                "opportunity",
                T0 - timedelta(days=1),
                None,
                0,
                1,
                [DEAL],
            ),
            (
                "t2",
                "ana@acme.com",
                "acme.com",
                "touched",
                T0 + timedelta(days=9),
                "Phone",
                1,
                0,
                [],
            ),
        ]
        # 0024 counts the rows per day as the unit of work keeps them.
        async with AsyncSession(engine) as session:
            repository = LeadsRepository(session)
            for tenant in ("t1", "t2"):
                kept = await repository.lead_days(tenant)
                assert kept
                assert kept == lead_day_totals((await repository.stored(tenant)).values())
            # 0025 counts the deal states per day as its triggers keep them.
            assert await session.scalar(text("SELECT count(*) FROM deal_days")) == 1
            assert await ReportingRepository(session).deal_day_differences(None) == []
            # 0026 the bookings (the one meeting has no state).
            assert await session.scalar(text("SELECT sum(booked) FROM meeting_days")) == 1
            assert await ReportingRepository(session).meeting_day_differences(None) == []
            # 0028 the same by cohort fact.
            repository = ReportingRepository(session)
            assert await repository.deal_day_differences(None, cohort=True) == []
            assert await repository.meeting_day_differences(None, cohort=True) == []
            assert await session.scalar(text("SELECT sum(created) FROM deal_cohort_days")) == 1
        # Down and up again: the table goes and comes back with the same rows.
        await asyncio.to_thread(command.downgrade, alembic_config("attribution", url), BEFORE)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT to_regclass('leads')")) is None
        await asyncio.to_thread(upgrade, "attribution", url)
        assert await stored_leads(engine) == rows
    finally:
        await engine.dispose()


async def stored_leads(engine: AsyncEngine) -> list[Row[Any]]:
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT tenant_id, email, company_domain, status, first_seen_at,"
                " first_touch_channel, touches, meetings, deal_ids FROM leads"
                " ORDER BY tenant_id, email"
            )
        )
        return list(found.all())
