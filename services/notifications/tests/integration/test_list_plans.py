"""The send log at scale: a rare status, a recipient and a deep cursor are index ranges, not a
walk down every send of the tenant (custom and generic plans, as asyncpg's prepared statements
get them)."""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Select

from dealflow_libs.testing.plans import MODES, analyzed, index_conditions, prepared_plan
from notifications.db.repository import SendFilter, sends_query
from notifications.domain.model import SendStatus

TENANT = "t-plan-sends"
# 40,000 sends a quarter of an hour apart, 1 in 1,000 still sending, each attendee in twelve.
SENDS = """
INSERT INTO sends (id, tenant_id, meeting_id, kind, send_key, logical, idempotency_key, status,
                   recipients, from_address, subject, html, text, transport, next_attempt_at,
                   source_event_id, created_at, updated_at)
SELECT gen_random_uuid(), 't-plan-sends', gen_random_uuid(), 'reminder', 'k' || g, '{}',
       'i' || g, CASE WHEN g % 1000 = 0 THEN 'sending' ELSE 'sent' END,
       ARRAY['p' || g / 12 || '@x.example'], 'team@x.example', 's', 'h', 't', 'resend', now(),
       'e' || g, now() - g * interval '15 minutes', now()
FROM generate_series(1, 40000) g
"""
# Their recipients, as NotificationRepository.add_sends writes them with each send.
RECIPIENTS = """
INSERT INTO send_recipients (tenant_id, email, created_at, send_id)
SELECT tenant_id, lower(r), created_at, id FROM sends, unnest(recipients) r
WHERE tenant_id = 't-plan-sends'
"""
CURSOR = (datetime(2026, 1, 1, tzinfo=UTC), uuid.uuid4())


@pytest.fixture(scope="module")
async def planned(sessions: Any) -> AsyncIterator[Any]:
    engine = sessions.kw["bind"]
    async with (
        analyzed(engine, "sends", SENDS, TENANT),
        analyzed(engine, "send_recipients", RECIPIENTS, TENANT),
    ):
        yield sessions


async def _plan(sessions: Any, query: Select[Any], mode: str) -> str:
    async with sessions() as session:
        return await prepared_plan(session, query, mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("where", "after", "index", "condition"),
    [
        (SendFilter(status=SendStatus.SENDING), None, "ix_sends_tenant_status", "status ="),
        (SendFilter(), CURSOR, "ix_sends_tenant_created", "created_at <="),
        (SendFilter(status=SendStatus.SENDING), CURSOR, "ix_sends_tenant_status", "created_at <="),
    ],
)
async def test_a_status_or_cursor_is_an_index_range(
    planned: Any, mode: str, where: SendFilter, after: Any, index: str, condition: str
) -> None:
    plan = await _plan(planned, sends_query(TENANT, where, after, 51), mode)
    assert f"Index Scan Backward using {index}" in plan, plan
    assert any(condition in line for line in index_conditions(plan)), plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("after", "condition"), [(None, "email ="), (CURSOR, "created_at <=")])
async def test_a_recipient_is_a_range_of_send_recipients(
    planned: Any, mode: str, after: Any, condition: str
) -> None:
    """The recipient's rows of send_recipients in the list's order, each joined to its send;
    never the tenant's whole list (a generic plan's 0.5% guess for `recipients @>` walked
    ix_sends_tenant_created: docs/performance.md, issue 12)."""
    where = SendFilter(recipient="P100@x.example")
    plan = await _plan(planned, sends_query(TENANT, where, after, 51), mode)
    assert re.search(r"Index (Only )?Scan Backward using pk_send_recipients", plan), plan
    assert any(condition in line for line in index_conditions(plan)), plan
    assert "Sort" not in plan, plan
    assert "ix_sends_tenant_created" not in plan, plan
