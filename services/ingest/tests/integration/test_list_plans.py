"""The delivery list at scale: each filter and a deep cursor are an index range, newest first
(custom and generic plans, as asyncpg's prepared statements get them)."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.testing.plans import MODES, analyzed, index_conditions, prepared_plan
from ingest.config import IngestSettings
from ingest.db.repository import list_query

TENANT = "t-plan-deliveries"
# 40,000 deliveries: 1 in 2,000 too large, 1 in 1,000 a rare trigger (as at scale).
FILL = """
INSERT INTO raw_events (id, tenant_id, provider, trigger, verdict, status_code, headers, body,
                        body_truncated, received_at)
SELECT gen_random_uuid(), 't-plan-deliveries', 'calcom',
       CASE WHEN g % 1000 = 0 THEN 'routing_form_submission.created' ELSE 'BOOKING_CREATED' END,
       CASE WHEN g % 2000 = 0 THEN 'too_large' ELSE 'accepted' END, 202, '{}', '\\x00', false,
       now() - g * interval '15 minutes'
FROM generate_series(1, 40000) g
"""
NO_FILTERS: dict[str, Any] = {
    "provider": None,
    "trigger": None,
    "verdict": None,
    "since": None,
    "until": None,
    "after": None,
}


@pytest.fixture(scope="module")
async def sessions(ingest_settings: IngestSettings) -> AsyncIterator[Any]:
    engine = create_engine(ingest_settings.own_database_url, pool_size=2)
    async with analyzed(engine, "raw_events", FILL, TENANT):
        yield session_factory(engine)
    await engine.dispose()


async def _plan(sessions: Any, mode: str, **filters: Any) -> str:
    query = list_query(TENANT, **{**NO_FILTERS, **filters}, limit=51)
    async with sessions() as session:
        return await prepared_plan(session, query, mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("filters", "index", "condition"),
    [
        ({"verdict": "too_large"}, "ix_raw_events_tenant_verdict", "verdict ="),
        (
            {"trigger": "routing_form_submission.created"},
            "ix_raw_events_tenant_trigger",
            "trigger =",
        ),
        (
            {"after": (datetime(2026, 1, 1, tzinfo=UTC), uuid.uuid4())},
            "ix_raw_events_tenant_received",
            "received_at <=",
        ),
        (
            {"verdict": "too_large", "after": (datetime(2026, 1, 1, tzinfo=UTC), uuid.uuid4())},
            "ix_raw_events_tenant_verdict",
            "received_at <=",
        ),
    ],
)
async def test_a_filter_or_cursor_is_an_index_range(
    sessions: Any, mode: str, filters: dict[str, Any], index: str, condition: str
) -> None:
    plan = await _plan(sessions, mode, **filters)
    assert f"Index Scan Backward using {index}" in plan, plan
    assert any(condition in line for line in index_conditions(plan)), plan
    assert "Sort" not in plan, plan
