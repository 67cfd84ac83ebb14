"""Meetings' query endpoints at scale: show-rate counted in SQL agrees with the per-row
figures, and the hot queries use their indexes (custom and generic plans)."""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, insert, text

from dealflow_libs.testing.plans import MODES, prepared_plan
from dealflow_schemas.meetings import MeetingOutcome, MeetingStatus, MeetingType
from meetings.db.repository import list_query, show_rate_query, show_rate_window_query
from meetings.db.tables import meetings
from meetings.domain.analytics import AttendanceRow, counts_of

NOW = datetime(2026, 6, 1, tzinfo=UTC)
NO_FILTERS: dict[str, Any] = {
    "status": None,
    "upcoming": None,
    "email": None,
    "meeting_type": None,
    "outcome": None,
    "since": None,
    "until": None,
}


def _random_meeting(rng: random.Random, tenant_id: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "provider": "calcom",
        "meeting_type": rng.choice(list(MeetingType)),
        "status": rng.choice(list(MeetingStatus)),
        "meeting_outcome": rng.choice(list(MeetingOutcome)),
        "scheduled_at": rng.choice([None, NOW - timedelta(days=rng.uniform(-10, 60))]),
        "showed_up": rng.choice([None, True, False]),
        "confirmed": rng.random() < 0.5,
        "reminder_sent": rng.random() < 0.5,
        "rescheduled_count": rng.choice([0, 0, 1, 3]),
        "deleted_at": NOW if rng.random() < 0.1 else None,
        "created_at": NOW,
        "updated_at": NOW,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_show_rate_counted_in_sql_equals_the_per_row_figures(seed, uow_factory) -> None:
    rng = random.Random(seed)
    tenant, other = f"t-show-{uuid.uuid4().hex[:8]}", f"t-other-{uuid.uuid4().hex[:8]}"
    rows = [_random_meeting(rng, rng.choice([tenant, tenant, other])) for _ in range(300)]
    since, until = NOW - timedelta(days=30), NOW
    async with uow_factory() as uow:
        await uow.session.execute(insert(meetings), rows)
        counted = await uow.meetings.show_rate_counts(tenant, since, until)
        await uow.session.rollback()
    in_window = [
        AttendanceRow(
            r["status"], r["showed_up"], r["confirmed"], r["reminder_sent"], r["rescheduled_count"]
        )
        for r in rows
        if r["tenant_id"] == tenant
        and r["deleted_at"] is None
        and r["scheduled_at"] is not None
        and since <= r["scheduled_at"] < until
    ]
    assert counted == counts_of(in_window)
    assert counted.total > 0
    assert counted.known > 0


SPREAD = text(
    "INSERT INTO meetings (id, tenant_id, provider, meeting_type, status, meeting_outcome,"
    " scheduled_at, primary_email, created_at, updated_at)"
    " SELECT gen_random_uuid(), 't-plan', 'calcom', 'demo', 'completed', 'good',"
    " now() - g * interval '15 minutes', 'p' || g || '@x.example', now(), now()"
    " FROM generate_series(1, 40000) g"
)


@pytest.fixture
async def spread(sessions) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """A year of meetings of tenant t-plan, committed and vacuumed (statistics and visibility
    map as at scale, where an index-only scan pays); removed afterwards."""
    engine = sessions.kw["bind"]
    async with engine.connect() as conn:
        await conn.execute(SPREAD)
        await conn.commit()
    try:
        async with engine.connect() as conn:
            vacuum = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await vacuum.execute(text("VACUUM ANALYZE meetings, meeting_show_rate_days"))
        yield
    finally:
        async with engine.connect() as conn:
            await conn.execute(text("DELETE FROM meetings WHERE tenant_id = 't-plan'"))
            await conn.commit()


async def _explain(uow_factory, query: Select[Any], mode: str) -> str:  # type: ignore[no-untyped-def]
    """The plan of `query` as a prepared statement (custom or generic)."""
    async with uow_factory() as uow:
        return await prepared_plan(uow.session, query, mode)


@pytest.mark.parametrize("mode", MODES)
async def test_a_cursor_bounds_the_index_range(mode, uow_factory, spread) -> None:
    after = (NOW, uuid.uuid4())
    query = list_query("t-plan", **NO_FILTERS, after=after, now=NOW, limit=51)
    plan_text = await _explain(uow_factory, query, mode)
    index_conditions = [line for line in plan_text.splitlines() if "Index Cond" in line]
    assert "ix_meetings_tenant_scheduled" in plan_text, plan_text
    assert any("scheduled_at >=" in line for line in index_conditions), plan_text


@pytest.mark.parametrize("mode", MODES)
async def test_newest_first_reads_the_index_backward_from_the_cursor(
    mode, uow_factory, spread
) -> None:
    after = (NOW, uuid.uuid4())
    query = list_query("t-plan", **NO_FILTERS, after=after, now=NOW, limit=51, newest_first=True)
    plan_text = await _explain(uow_factory, query, mode)
    index_conditions = [line for line in plan_text.splitlines() if "Index Cond" in line]
    assert "Index Scan Backward using ix_meetings_tenant_scheduled" in plan_text, plan_text
    assert any("scheduled_at <=" in line for line in index_conditions), plan_text


@pytest.mark.parametrize("mode", MODES)
async def test_show_rate_is_an_index_only_scan_of_the_window(mode, uow_factory, spread) -> None:
    query = show_rate_query("t-plan", NOW - timedelta(days=90), NOW)
    # The window answered from the index alone: it covers every column counted, and its partial
    # predicate (a literal) holds in the generic plan too.
    plan_text = await _explain(uow_factory, query, mode)
    index_conditions = [line for line in plan_text.splitlines() if "Index Cond" in line]
    assert "Index Only Scan using ix_meetings_show_rate" in plan_text, plan_text
    assert any("scheduled_at >=" in line for line in index_conditions), plan_text


@pytest.mark.parametrize("mode", MODES)
async def test_a_long_show_rate_window_reads_the_rollup_and_two_partial_days(
    mode, uow_factory, spread
) -> None:
    """A year: the whole days from the rollup, the partial first and last day as index-only
    scans of ix_meetings_show_rate; meetings are never read beyond those. (How the rollup is
    read depends on its size: a few hundred rows of one tenant are read whole, a big table by
    its primary key.)"""
    now = datetime.now(UTC)
    query = show_rate_window_query("t-plan", now - timedelta(days=365), now)
    plan_text = await _explain(uow_factory, query, mode)
    assert "meeting_show_rate_days" in plan_text, plan_text
    assert plan_text.count("Index Only Scan using ix_meetings_show_rate") == 2, plan_text
    assert "Seq Scan on meetings" not in plan_text, plan_text


@pytest.mark.parametrize("mode", MODES)
async def test_a_status_and_outcome_no_meeting_has_is_an_empty_index_range(
    mode, uow_factory, spread
) -> None:
    """Every meeting of the spread is completed with a good outcome: a list of scheduled
    no-shows reads ix_meetings_status_outcome's empty range, not the tenant's 40,000 rows."""
    filters = {**NO_FILTERS, "status": MeetingStatus.SCHEDULED, "outcome": MeetingOutcome.NO_SHOW}
    query = list_query("t-plan", **filters, after=None, now=NOW, limit=51)
    plan_text = await _explain(uow_factory, query, mode)
    index_conditions = [line for line in plan_text.splitlines() if "Index Cond" in line]
    assert "ix_meetings_status_outcome" in plan_text, plan_text
    assert any("meeting_outcome" in line for line in index_conditions), plan_text


@pytest.mark.parametrize("mode", MODES)
async def test_a_rare_outcome_and_type_is_an_index_range_in_order(
    mode, uow_factory, spread
) -> None:
    """Rescheduled closing calls (none in the spread): ix_meetings_outcome_type's range, not a
    walk of the tenant's meetings checking each one's outcome and type."""
    filters = {
        **NO_FILTERS,
        "outcome": MeetingOutcome.RESCHEDULED,
        "meeting_type": MeetingType.CLOSE,
    }
    query = list_query("t-plan", **filters, after=None, now=NOW, limit=51)
    plan_text = await _explain(uow_factory, query, mode)
    index_conditions = [line for line in plan_text.splitlines() if "Index Cond" in line]
    assert "ix_meetings_outcome_type" in plan_text, plan_text
    assert any("meeting_type" in line for line in index_conditions), plan_text
    assert "Sort" not in plan_text, plan_text
