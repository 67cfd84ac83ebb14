"""A deep page of the deal list is an index range, not a filter over every newer deal: the
cursor's bound is an index condition of ix_deals_tenant_created, custom and generic plans."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from dealflow_libs.testing.plans import MODES, index_conditions, prepared_plan
from deals.db.repository import list_query

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
