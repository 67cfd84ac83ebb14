"""report_deals' add trigger must find each deal's row by its key whatever the planner knows:
before the table has statistics (a first recompute, a bulk load), a join it could also serve
from ix_report_deals_close read every deal of the same close once per deal (migration 0021)."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from dealflow_libs.migrate import upgrade
from dealflow_libs.settings import asyncpg_url
from dealflow_libs.testing.scratch import scratch_database

DEALS = 3_000


@pytest.fixture
async def fresh_engine(stack) -> AsyncIterator[AsyncEngine]:  # type: ignore[no-untyped-def]
    """A database of its own, migrated, that no statistics have been gathered for."""
    url = await scratch_database(stack.database_url, "dealflow_plantest")
    await asyncio.to_thread(upgrade, "attribution", url)
    engine = create_async_engine(asyncpg_url(url))
    yield engine
    await engine.dispose()


def index_scans(plan: dict[str, Any]) -> list[str]:
    """The indexes a JSON plan reads, depth first."""
    found = [plan["Index Name"]] if "Index Name" in plan else []
    for child in plan.get("Plans", []):
        found.extend(index_scans(child))
    return found


async def test_agreeing_runs_update_their_deals_by_key(fresh_engine: AsyncEngine) -> None:
    async with fresh_engine.connect() as conn:
        await conn.begin()  # uncommitted: no autovacuum can analyze these rows meanwhile
        # Many deals closing at one instant, each with a linear run (the triggers make their
        # report_deals rows).
        await conn.execute(
            text(
                "INSERT INTO report_credits (run_id, channel, tenant_id, deal_id, model,"
                " minor_units, weight_num, weight_den, touches, value_minor, currency,"
                " conversion_at)"
                " SELECT gen_random_uuid(), 'Email', 't1', d, 'linear', 100, 1, 1, 1, 100,"
                " 'USD', timestamptz '2026-06-01 12:00+00'"
                " FROM (SELECT gen_random_uuid() AS d FROM generate_series(1, :deals)) deals"
            ),
            {"deals": DEALS},
        )
        installed = text("SELECT prosrc FROM pg_proc WHERE proname = 'report_deals_add'")
        body = await conn.scalar(installed)
        update = body[body.index("UPDATE report_deals") : body.index(";")]
        # The trigger's transition table, as a table of the same shape holding the next
        # model's credits of a few of those deals.
        await conn.execute(
            text(
                "CREATE TEMP TABLE new_credits ON COMMIT DROP AS SELECT * FROM report_credits"
                " WHERE false"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO new_credits SELECT gen_random_uuid(), channel, tenant_id, deal_id,"
                " 'time_decay', minor_units, weight_num, weight_den, touches, value_minor,"
                " currency, conversion_at FROM report_credits LIMIT 20"
            )
        )
        explained = await conn.scalar(text(f"EXPLAIN (FORMAT JSON) {update}"))
        plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
        assert "ix_report_deals_close" not in index_scans(plan), plan
        await conn.rollback()
