"""The funnel's reads at scale: the window's leads and meetings, each read from its time index
(migration 0013), equal what the funnel read before (a left join of every lead to the people
active in the window, a full join of meeting states and bookings) on random rows of two
tenants; and their plans use the indexes (custom and generic)."""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, text

from attribution.db.reporting import funnel_leads_query, funnel_meetings_query
from attribution.db.tables import leads, meeting_bookings, meeting_states, touches
from dealflow_libs.testing.plans import prepared_plan

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SINCE, UNTIL = NOW - timedelta(days=30), NOW - timedelta(days=2)


def _at(rng: random.Random) -> datetime:
    return NOW - timedelta(days=rng.uniform(0, 60))


def _rows(rng: random.Random, tenants: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Touches, bookings, meeting states and leads of random people, some only in one table."""
    people = [(rng.choice(tenants), f"p{i}@co{i % 7}.com") for i in range(80)]
    rows: dict[str, list[dict[str, Any]]] = {"touches": [], "bookings": [], "states": []}
    for n in range(300):
        tenant, email = rng.choice(people)
        rows["touches"].append(
            {"tenant_id": tenant, "touch_id": f"t{n}", "person_email": email,
             "occurred_at": _at(rng), "activity_type": "call", "channel": "Phone",
             "channel_rule_id": "r", "rule_version": 1, "source": "api", "received_at": NOW}
        )  # fmt: skip
    for n in range(60):
        meeting_id, (tenant, email) = uuid.uuid4(), rng.choice(people)
        kind = rng.choice(["booked", "state", "both", "both"])
        if kind != "state":
            others = [e for t, e in rng.sample(people, 2) if t == tenant]
            rows["bookings"].append(
                {"meeting_id": meeting_id, "tenant_id": tenant, "person_email": email,
                 "attendee_emails": sorted({email, *others}), "booked_at": _at(rng),
                 "touch_id": f"m{n}"}
            )  # fmt: skip
        if kind != "booked":
            rows["states"].append(
                {"meeting_id": meeting_id, "tenant_id": tenant, "status": "scheduled",
                 "scheduled_at": rng.choice([None, _at(rng)]),
                 "showed_up": rng.choice([None, True, False]), "state_at": NOW}
            )  # fmt: skip
    rows["leads"] = [
        {"tenant_id": tenant, "email": email, "status": "touched", "first_seen_at": _at(rng),
         "touches": 1, "meetings": 0, "updated_at": NOW}
        for tenant, email in people
        if rng.random() < 0.9  # some people's lead not derived (yet)
    ]  # fmt: skip
    return rows


def _leads_before(rows: dict[str, list[dict[str, Any]]], tenant: str) -> list[tuple[Any, ...]]:
    """The funnel's leads as its left join defined them."""
    active = {
        t["person_email"]
        for t in rows["touches"]
        if t["tenant_id"] == tenant and SINCE <= t["occurred_at"] <= UNTIL
    } | {
        e
        for b in rows["bookings"]
        if b["tenant_id"] == tenant and SINCE <= b["booked_at"] <= UNTIL
        for e in b["attendee_emails"]
    }
    return sorted(
        (lead["email"], lead["first_seen_at"], lead["email"] in active)
        for lead in rows["leads"]
        if lead["tenant_id"] == tenant
        and (lead["email"] in active or SINCE <= lead["first_seen_at"] <= UNTIL)
    )


def _meetings_before(rows: dict[str, list[dict[str, Any]]], tenant: str) -> list[tuple[Any, ...]]:
    """The funnel's meetings as the full join of states and bookings defined them."""
    states = {s["meeting_id"]: s for s in rows["states"]}
    bookings = {b["meeting_id"]: b for b in rows["bookings"]}
    found = []
    for meeting_id in states.keys() | bookings.keys():
        s, b = states.get(meeting_id), bookings.get(meeting_id)
        if (s or b or {})["tenant_id"] != tenant:
            continue
        booked = b is not None and b["booked_at"] >= SINCE
        scheduled = s is not None and s["scheduled_at"] is not None and s["scheduled_at"] >= SINCE
        if booked or scheduled:
            found.append(
                (meeting_id, b and b["booked_at"], b and b["attendee_emails"],
                 s and s["scheduled_at"], s and s["showed_up"])
            )  # fmt: skip
    return sorted(found, key=str)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_the_window_reads_equal_the_joins_they_replace(seed, uow_factory) -> None:
    rng = random.Random(seed)
    tenant, other = f"t-fun-{uuid.uuid4().hex[:8]}", f"t-oth-{uuid.uuid4().hex[:8]}"
    rows = _rows(rng, [tenant, tenant, other])
    async with uow_factory() as uow:
        for table, found in (
            (touches, rows["touches"]),
            (meeting_bookings, rows["bookings"]),
            (meeting_states, rows["states"]),
            (leads, rows["leads"]),
        ):
            await uow.session.execute(insert(table), found)
        read = await uow.session.execute(funnel_leads_query(tenant, SINCE, UNTIL))
        got_leads = sorted(tuple(r) for r in read)
        read = await uow.session.execute(funnel_meetings_query(tenant, SINCE))
        got_meetings = sorted((tuple(r) for r in read), key=str)
        await uow.session.rollback()
    assert got_leads == _leads_before(rows, tenant)
    assert any(active for *_, active in got_leads)
    assert not all(active for *_, active in got_leads)
    assert got_meetings == _meetings_before(rows, tenant)
    assert {m[1] is None for m in got_meetings} == {True, False}  # state-only ones come too


SPREAD = [
    "INSERT INTO touches (tenant_id, touch_id, person_email, occurred_at, activity_type,"
    " channel, channel_rule_id, rule_version, source, received_at)"
    " SELECT 't-plan', 't' || g, 'p' || (g / 10) || '@x.com', now() - g * interval '10 minutes',"
    " 'call', 'Phone', 'r', 1, 'api', now() FROM generate_series(1, 100000) g",
    "INSERT INTO meeting_bookings (meeting_id, tenant_id, person_email, attendee_emails,"
    " booked_at, touch_id)"
    " SELECT gen_random_uuid(), 't-plan', 'p' || g || '@x.com', ARRAY['p' || g || '@x.com'],"
    " now() - g * interval '30 minutes', 'm' || g FROM generate_series(1, 20000) g",
    "INSERT INTO meeting_states (meeting_id, tenant_id, status, scheduled_at, state_at)"
    " SELECT meeting_id, tenant_id, 'scheduled', booked_at + interval '3 days', now()"
    " FROM meeting_bookings WHERE tenant_id = 't-plan'",
    "INSERT INTO leads (tenant_id, email, status, first_seen_at, touches, meetings, updated_at)"
    " SELECT 't-plan', 'p' || g || '@x.com', 'touched', now() - g * interval '100 minutes', 1,"
    " 0, now() FROM generate_series(1, 10000) g",
]
PLANNED = ("touches", "meeting_bookings", "meeting_attendees", "meeting_states", "leads")


@pytest.fixture
async def spread(sessions) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """Two years of tenant t-plan's touches, bookings and leads, committed and vacuumed
    (statistics and visibility map as at scale); removed afterwards."""
    engine = sessions.kw["bind"]
    async with engine.connect() as conn:
        for statement in SPREAD:
            await conn.execute(text(statement))
        await conn.commit()
    try:
        async with engine.connect() as conn:
            vacuum = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await vacuum.execute(text(f"VACUUM ANALYZE {', '.join(PLANNED)}"))
        yield
    finally:
        async with engine.connect() as conn:
            for table in (meeting_states, meeting_bookings, touches, leads):
                await conn.execute(delete(table).where(table.c.tenant_id == "t-plan"))
            await conn.commit()


async def _plan(uow_factory, query, mode: str) -> str:  # type: ignore[no-untyped-def]
    async with uow_factory() as uow:
        return await prepared_plan(uow.session, query, mode)


def _index_conditions(plan: str) -> str:
    return "\n".join(line for line in plan.splitlines() if "Index Cond" in line)


@pytest.mark.parametrize("mode", ["force_custom_plan", "force_generic_plan"])
async def test_the_window_leads_start_from_the_time_indexes(mode, uow_factory, spread) -> None:
    query = funnel_leads_query("t-plan", datetime.now(UTC) - timedelta(days=30), datetime.now(UTC))
    plan = await _plan(uow_factory, query, mode)
    # The people touched from the time index (index-only, or a bitmap scan when the planner
    # finds too few pages all-visible), the bookings by booking time, the leads first seen by
    # first_seen_at. (The tenant's leads and attendees may be hashed whole when the window's
    # people are a large share of them: the planner's choice, not a window's scan.)
    assert "ix_touches_occurred" in plan, plan
    assert "ix_meeting_bookings_booked" in plan, plan
    assert "ix_leads_first_seen" in plan, plan
    assert "occurred_at >=" in _index_conditions(plan), plan
    assert "Seq Scan on touches" not in plan, plan
    assert "Seq Scan on meeting_bookings" not in plan, plan


async def test_the_window_meetings_start_from_the_time_indexes(uow_factory, spread) -> None:
    # Custom plans only: a generic plan guesses a third of the tenant's meetings for `>= $n`
    # and hashes both tables whole (tens of thousands of rows, a few ms); PostgreSQL keeps
    # custom plans for a statement whose generic plan costs more than they do.
    query = funnel_meetings_query("t-plan", datetime.now(UTC) - timedelta(days=30))
    plan = await _plan(uow_factory, query, "force_custom_plan")
    assert "ix_meeting_bookings_booked" in plan, plan
    assert "ix_meeting_states_tenant" in plan, plan
    assert "booked_at >=" in _index_conditions(plan), plan
    assert "scheduled_at >=" in _index_conditions(plan), plan
    # Each part starts from its window's index; the other table is joined by meeting id (by its
    # key, or hashed whole when the window holds many of its rows: the planner's choice).
    assert "Seq Scan on meeting_states meeting_states_1" not in plan, plan
    assert "Seq Scan on meeting_bookings  (" not in plan, plan  # the first part's window
