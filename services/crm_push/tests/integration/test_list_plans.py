"""The push list and the push log at scale: each filter and a deep cursor are an index range,
newest first (custom and generic plans, as asyncpg's prepared statements get them)."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Select

from crm_push.db.repository import PushFilter, calls_query, pushes_query
from crm_push.domain.model import PushStatus
from dealflow_libs.testing.plans import MODES, analyzed, index_conditions, prepared_plan

TENANT = "t-plan-pushes"
# 40,000 pushes (1 in 100 parked, four per meeting, one deal in two) and a call each (1 in 500
# a rare operation), a quarter of an hour apart.
PUSHES = """
INSERT INTO pushes (id, tenant_id, target, entity, entity_id, meeting_id, deal_id,
                    source_event_id, source_event_type, operation, payload, version, status,
                    next_attempt_at, created_at, updated_at)
SELECT gen_random_uuid(), 't-plan-pushes', 'crm', 'meeting', m, m,
       CASE WHEN g % 2 = 0 THEN m END, 'e' || g, 'meeting.updated', 'sync_meeting', '{}',
       now(), CASE WHEN g % 100 = 0 THEN 'parked' ELSE 'succeeded' END, now(),
       now() - g * interval '15 minutes', now()
FROM (SELECT g, md5((g / 4)::text)::uuid AS m FROM generate_series(1, 40000) g) AS s
"""
CALLS = """
INSERT INTO push_calls (push_id, tenant_id, provider, meeting_id, deal_id, attempt, operation,
                        method, path, status, duration_ms, started_at)
SELECT gen_random_uuid(), 't-plan-pushes', 'hubspot', m, CASE WHEN g % 2 = 0 THEN m END, 1,
       CASE WHEN g % 500 = 0 THEN 'deal.update' ELSE 'op.' || g % 8 END, 'POST', '/x', 200,
       100, now() - (40000 - g) * interval '15 minutes'
FROM (SELECT g, md5((g / 4)::text)::uuid AS m FROM generate_series(1, 40000) g) AS s
"""
SOME_ID = uuid.UUID(int=7)
CURSOR = (datetime(2026, 1, 1, tzinfo=UTC), uuid.uuid4())


@pytest.fixture(scope="module")
async def planned(sessions: Any) -> AsyncIterator[Any]:
    engine = sessions.kw["bind"]
    async with (
        analyzed(engine, "pushes", PUSHES, TENANT),
        analyzed(engine, "push_calls", CALLS, TENANT),
    ):
        yield sessions


async def _plan(sessions: Any, query: Select[Any], mode: str) -> str:
    async with sessions() as session:
        return await prepared_plan(session, query, mode)


PUSH_CASES = [
    (PushFilter(status=PushStatus.PARKED), None, "ix_pushes_tenant_status", "status ="),
    (PushFilter(meeting_id=SOME_ID), None, "ix_pushes_tenant_meeting", "meeting_id ="),
    (PushFilter(deal_id=SOME_ID), None, "ix_pushes_tenant_deal", "deal_id ="),
    (PushFilter(), CURSOR, "ix_pushes_tenant_created", "created_at <="),
    (PushFilter(status=PushStatus.PARKED), CURSOR, "ix_pushes_tenant_status", "created_at <="),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("where", "after", "index", "condition"), PUSH_CASES)
async def test_a_push_filter_or_cursor_is_an_index_range(
    planned: Any, mode: str, where: PushFilter, after: Any, index: str, condition: str
) -> None:
    plan = await _plan(planned, pushes_query(TENANT, where, after, 51), mode)
    assert f"Index Scan Backward using {index}" in plan, plan
    assert any(condition in line for line in index_conditions(plan)), plan
    assert "Sort" not in plan, plan


CALL_CASES = [
    ({"operation": "deal.update"}, "ix_push_calls_tenant_operation", "operation ="),
    ({"meeting_id": SOME_ID}, "ix_push_calls_tenant_meeting", "meeting_id ="),
    ({"deal_id": SOME_ID}, "ix_push_calls_tenant_deal", "deal_id ="),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("filters", "index", "condition"), CALL_CASES)
async def test_a_log_filter_or_cursor_is_an_index_range(
    planned: Any, mode: str, filters: dict[str, Any], index: str, condition: str
) -> None:
    plan = await _plan(planned, calls_query(TENANT, **filters, limit=51), mode)
    assert f"Index Scan Backward using {index}" in plan, plan
    assert any(condition in line for line in index_conditions(plan)), plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("mode", MODES)
async def test_a_log_cursor_is_an_index_bound(planned: Any, mode: str) -> None:
    plan = await _plan(planned, calls_query(TENANT, after=(CURSOR[0], 20000), limit=51), mode)
    assert "Index Scan Backward using ix_push_calls_tenant_started" in plan, plan
    assert any("started_at <=" in line for line in index_conditions(plan)), plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("mode", MODES)
async def test_a_log_window_reads_the_window_only(planned: Any, mode: str) -> None:
    since, until = datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 11, 8, tzinfo=UTC)
    plan = await _plan(planned, calls_query(TENANT, since=since, until=until, limit=51), mode)
    assert "Index Scan Backward using ix_push_calls_tenant_started" in plan, plan
    assert any("started_at >=" in line for line in index_conditions(plan)), plan
    assert "Sort" not in plan, plan
