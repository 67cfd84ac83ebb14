"""The plans of deals' hot reads, custom and generic: a deep page of the deal list is an index
range, not a filter over every newer deal (the cursor's bound is an index condition of
ix_deals_tenant_created); a lost-deal window reads its whole months from the rollup and only its
partial first month from ix_deals_tenant_lost_closed."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from dealflow_libs.testing.plans import MODES, analyzed, index_conditions, prepared_plan
from deals.db.repository import list_query, lost_window_query

NO_FILTERS = {
    "status": None,
    "stage": None,
    "company_domain": None,
    "created_since": None,
    "created_until": None,
    "closed_since": None,
    "closed_until": None,
}


@pytest.mark.parametrize("mode", MODES)
async def test_a_cursor_bounds_the_index_range(mode, uow_factory) -> None:
    after = (datetime(2025, 1, 1, tzinfo=UTC), uuid.uuid4())
    query = list_query("t-plan", **NO_FILTERS, after=after, limit=51)
    async with uow_factory() as uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan_text = await prepared_plan(uow.session, query, mode)
    assert "ix_deals_tenant_created" in plan_text, plan_text
    assert any("created_at <=" in line for line in index_conditions(plan_text)), plan_text


COMPANIES = (
    "INSERT INTO companies (id, tenant_id, domain, name, created_at)"
    " SELECT gen_random_uuid(), 't-plan', 'c' || g || '.plan.example', 'C', now()"
    " FROM generate_series(1, 30000) g"
)
DEALS = (
    "INSERT INTO deals (id, tenant_id, company_id, name, status, stage, probability, currency,"
    " lost_reason, stage_before_close, closed_at, days_to_close, value, created_at, updated_at,"
    " stage_entered_at)"
    " SELECT gen_random_uuid(), 't-plan', id, 'D',"
    " CASE g % 5 WHEN 0 THEN 'lost' WHEN 1 THEN 'won' ELSE 'active' END,"
    " CASE g % 5 WHEN 0 THEN 'closed_lost' WHEN 1 THEN 'closed_won' ELSE 'booked' END,"
    " 10, 'EUR', CASE g % 5 WHEN 0 THEN 'no_budget' END, CASE WHEN g % 5 < 2 THEN 'proposal' END,"
    " CASE WHEN g % 5 < 2 THEN now() - g * interval '1 hour' END, CASE WHEN g % 5 < 2 THEN 3 END,"
    " 100, now() - g * interval '1 hour' - interval '3 days', now(), now()"
    " FROM (SELECT id, row_number() OVER () AS g FROM companies WHERE tenant_id = 't-plan') AS c"
)


@pytest.fixture
async def spread(sessions) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """30,000 deals of tenant t-plan over three and a half years, a fifth lost, committed and
    vacuumed (statistics and visibility map as at scale); removed afterwards."""
    engine = sessions.kw["bind"]
    async with (
        analyzed(engine, "companies", COMPANIES, "t-plan"),
        analyzed(engine, "deals", DEALS, "t-plan"),
    ):
        yield


@pytest.mark.parametrize("days", [40, 3650])
@pytest.mark.parametrize("mode", MODES)
async def test_a_lost_window_reads_the_rollup_and_one_partial_month(
    mode, days, uow_factory, spread
) -> None:
    """Whole months from deal_lost_months, the partial first month an index-only range of
    ix_deals_tenant_lost_closed; the deals are never read beyond it."""
    query = lost_window_query("t-plan", datetime.now(UTC) - timedelta(days=days))
    async with uow_factory() as uow:
        plan_text = await prepared_plan(uow.session, query, mode)
    assert "deal_lost_months" in plan_text, plan_text
    assert "Index Only Scan using ix_deals_tenant_lost_closed" in plan_text, plan_text
    conditions = index_conditions(plan_text)
    assert any("closed_at >=" in c and "closed_at <" in c for c in conditions), plan_text
    assert "Seq Scan on deals" not in plan_text, plan_text


@pytest.mark.parametrize("days", [7, 180])
@pytest.mark.parametrize("mode", MODES)
async def test_a_closing_window_never_walks_the_deals_newer_than_its_end(
    mode, days, uow_factory, spread
) -> None:
    """A window ending a year ago in 30,000 deals: read from ix_deals_tenant_closed, or from
    ix_deals_tenant_created bounded by the window's end, never from today down."""
    until = datetime.now(UTC) - timedelta(days=365)
    filters = {**NO_FILTERS, "closed_since": until - timedelta(days=days), "closed_until": until}
    query = list_query("t-plan", **filters, after=None, limit=51)
    async with uow_factory() as uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan_text = await prepared_plan(uow.session, query, mode)
    walks = [line for line in plan_text.splitlines() if "ix_deals_tenant_created" in line]
    conditions = index_conditions(plan_text)
    assert walks or "ix_deals_tenant_closed" in plan_text, plan_text
    assert not walks or any("created_at <" in c for c in conditions), plan_text
