"""Show-rate's daily rollup (meeting_show_rate_days, kept by a trigger on meetings) against a
full recompute and against the per-row figures: seeded random sequences of meeting changes
through the real use cases (and bulk SQL) in two tenants leave no difference after any step;
show-rate counts for any window equal the per-row counts (partial first and last days, a
meeting earlier today or later today, windows shorter than a day); the endpoint answers what
the per-row computation gives; `dealflow-meetings check-summaries` finds a drifted day."""

import asyncio
import contextlib
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from typer.testing import CliRunner

from dealflow_libs.testing.factories import booking_event
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_libs.utc_days import midnight
from dealflow_schemas.bookings import BookingTrigger
from meetings.api.analytics import ShowRateOut
from meetings.cli import app as cli
from meetings.db.tables import meetings, tenants
from meetings.domain.analytics import (
    AttendanceCounts,
    AttendanceRow,
    counts_of,
    show_rate_of,
)
from meetings.domain.meeting import RECORDABLE_OUTCOMES, MeetingClosed, OutcomeNotRecordable
from meetings.use_cases import (
    NotFound,
    confirm_meeting,
    delete_meeting,
    record_attendance,
    record_booking_events,
    record_outcome,
    show_rate_differences,
)

from .test_query_plans import _random_meeting


def identify(email: str, extra: tuple[str, ...]) -> tuple[str | None, bool]:
    return email.split("@")[1], False


def some_time(rng: random.Random, now: datetime) -> datetime:
    """Days ago, earlier today, later today or days ahead: every side of the window's ends."""
    today = midnight(now.date())
    kind = rng.choice(["past", "past", "earlier_today", "later_today", "future"])
    if kind == "past":
        at = now - timedelta(days=rng.uniform(0, 40))
    elif kind == "earlier_today":
        at = today + (now - today) * rng.random()
    elif kind == "later_today":
        at = now + (today + timedelta(days=1) - now) * rng.random()
    else:
        at = now + timedelta(days=rng.uniform(0, 10))
    return at.replace(microsecond=0)


class Run:
    """One tenant's meetings driven by a seeded random sequence of use-case calls."""

    def __init__(self, uow_factory, tenant_id: str, rng: random.Random) -> None:
        self.uow, self.tenant_id, self.rng = uow_factory, tenant_id, rng
        self.uids: dict[uuid.UUID, str] = {}  # meeting id -> its current booking uid

    async def step(self) -> str:
        actions = ["book", "book", "reschedule", "cancel", "ended", "confirm", "attendance"]
        actions += ["attendance", "outcome", "delete", "bulk_move"]
        action = self.rng.choice(actions if self.uids else ["book"])
        # A refused change must leave the rows and the rollup both as they were.
        with contextlib.suppress(MeetingClosed, NotFound, OutcomeNotRecordable):
            await getattr(self, action)()
        return action

    async def _booking(self, trigger: BookingTrigger, uid: str, **fields: Any) -> None:
        event = booking_event(
            tenant_id=self.tenant_id,
            trigger=trigger,
            uid=uid,
            email=f"p{self.rng.randrange(1000)}@acme.com",
            start=fields.pop("start", None) or some_time(self.rng, datetime.now(UTC)),
            **fields,
        )
        await record_booking_events(self.uow(), [(str(uuid.uuid4()), event)], identify=identify)

    def _meeting(self) -> uuid.UUID:
        return self.rng.choice(sorted(self.uids))

    async def book(self) -> None:
        uid = uuid.uuid4().hex
        await self._booking(BookingTrigger.CREATED, uid)
        async with self.uow() as uow:
            found = await uow.meetings.by_uids([(self.tenant_id, uid)])
        self.uids[found[(self.tenant_id, uid)].id] = uid

    async def reschedule(self) -> None:
        """To another time, often another day (past, today or ahead)."""
        meeting_id, new_uid = self._meeting(), uuid.uuid4().hex
        old = self.uids[meeting_id]
        await self._booking(
            BookingTrigger.RESCHEDULED, new_uid, previous_booking_uid=old, is_reschedule=True
        )
        self.uids[meeting_id] = new_uid

    async def cancel(self) -> None:
        await self._booking(
            BookingTrigger.CANCELLED, self.uids[self._meeting()], status="CANCELLED"
        )

    async def ended(self) -> None:
        await self._booking(BookingTrigger.MEETING_ENDED, self.uids[self._meeting()])

    async def confirm(self) -> None:
        await confirm_meeting(self.uow(), self.tenant_id, self._meeting(), request_id="t")

    async def attendance(self) -> None:
        showed = self.rng.random() < 0.6
        await record_attendance(
            self.uow(),
            self.tenant_id,
            self._meeting(),
            showed_up=showed,
            confirmed_by="t",
            no_show_reason=None if showed else "absent",
            request_id="t",
        )

    async def outcome(self) -> None:
        await record_outcome(
            self.uow(),
            self.tenant_id,
            self._meeting(),
            outcome=self.rng.choice(RECORDABLE_OUTCOMES),
            notes=None,
            next_steps=None,
            create_deal=False,
            deal_value=None,
            deal_name=None,
            request_id="t",
        )

    async def delete(self) -> None:
        await delete_meeting(self.uow(), self.tenant_id, self._meeting(), request_id="t")

    async def bulk_move(self) -> None:
        """A writer around the use cases (bulk SQL): several meetings moved a day, attendance
        flipped, one statement."""
        async with self.uow() as uow:
            await uow.session.execute(
                text(
                    "UPDATE meetings SET scheduled_at = scheduled_at + interval '1 day',"
                    " showed_up = NOT COALESCE(showed_up, false)"
                    " WHERE tenant_id = :t AND id = ANY(:ids)"
                ),
                {
                    "t": self.tenant_id,
                    "ids": self.rng.sample(sorted(self.uids), min(2, len(self.uids))),
                },
            )
            await uow.commit()


async def per_row_counts(uow_factory, tenant_id: str, since: datetime, until: datetime):
    """The old computation: every meeting of the window, counted in Python."""
    c = meetings.c
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(c.status, c.showed_up, c.confirmed, c.reminder_sent, c.rescheduled_count).where(
                c.tenant_id == tenant_id,
                c.deleted_at.is_(None),
                c.scheduled_at >= since,
                c.scheduled_at < until,
            )
        )
        return counts_of(AttendanceRow(*row) for row in rows)


async def counted(uow_factory, tenant_id: str, since: datetime, until: datetime):
    async with uow_factory() as uow:
        return await uow.meetings.show_rate_counts(tenant_id, since, until)


async def differences(uow_factory, tenant_id: str | None) -> list:
    return list(await show_rate_differences(uow_factory(), tenant_id))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_changes_keep_the_rollup_equal_to_a_recompute(
    seed, uow_factory, sessions
) -> None:
    rng = random.Random(seed)
    runs = [
        Run(uow_factory, (await seed_tenant(sessions, tenants, prefix=p)).id, rng)
        for p in ("r", "beside")
    ]
    done = set()
    for _ in range(70):
        run = rng.choice(runs)
        done.add(await run.step())
        assert await differences(uow_factory, run.tenant_id) == []
        now = datetime.now(UTC)
        for since in (now - timedelta(days=30), now - timedelta(hours=20), midnight(now.date())):
            expected = await per_row_counts(uow_factory, run.tenant_id, since, now)
            assert await counted(uow_factory, run.tenant_id, since, now) == expected
    assert done >= {"book", "reschedule", "cancel", "attendance", "delete", "bulk_move"}
    history = [
        await per_row_counts(uow_factory, r.tenant_id, now - timedelta(days=60), now) for r in runs
    ]
    # The windows had something to count, attendance included.
    assert any(m.total > 0 for m in history), history
    assert any(m.known > 0 for m in history), history


NOW = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)


def windows() -> list[tuple[datetime, datetime]]:
    """Windows ending at NOW (mid-afternoon) or at midnight, starting mid-day or at midnight,
    longer and shorter than a day."""
    at_midnight = midnight(NOW.date())
    return [
        (NOW - timedelta(days=30), NOW),
        (NOW - timedelta(days=3, minutes=1), NOW),
        (NOW - timedelta(hours=20), NOW),  # crosses one midnight, no whole day
        (NOW - timedelta(hours=2), NOW),  # today only
        (at_midnight - timedelta(days=7), NOW),  # starts at midnight
        (at_midnight - timedelta(days=7), at_midnight),  # whole days only
        (NOW - timedelta(days=60), NOW + timedelta(days=5)),  # reaches into future days
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_show_rate_counts_equal_the_per_row_counts_for_any_window(seed, uow_factory) -> None:
    """Random rows inserted and then moved by bulk SQL (across days, deleted, attendance
    changed), around NOW: every window's counts equal the per-row ones."""
    rng = random.Random(seed)
    tenant, other = f"t-roll-{uuid.uuid4().hex[:8]}", f"t-other-{uuid.uuid4().hex[:8]}"
    rows = [_random_meeting(rng, rng.choice([tenant, tenant, other])) for _ in range(300)]
    for row in rows:  # within hours of NOW's ends as well as days
        if row["scheduled_at"] is not None and rng.random() < 0.4:
            row["scheduled_at"] = NOW + timedelta(hours=rng.uniform(-30, 10))
    ours = [r["id"] for r in rows if r["tenant_id"] == tenant]
    moved = rng.sample(ours, len(ours) // 3)
    async with uow_factory() as uow:
        await uow.session.execute(insert(meetings), rows)
        await uow.session.execute(
            text(
                "UPDATE meetings SET scheduled_at = scheduled_at - interval '1 day 3 hours',"
                " deleted_at = CASE WHEN id = ANY(:deleted) THEN now() END,"
                " showed_up = CASE WHEN showed_up IS NULL THEN true END"
                " WHERE tenant_id = :t AND id = ANY(:moved)"
            ),
            {"t": tenant, "moved": moved, "deleted": moved[: len(moved) // 5]},
        )
        assert list(await uow.meetings.show_rate_differences(None)) == []
        for since, until in windows():
            c = meetings.c
            found = await uow.session.execute(
                select(
                    c.status, c.showed_up, c.confirmed, c.reminder_sent, c.rescheduled_count
                ).where(
                    c.tenant_id == tenant,
                    c.deleted_at.is_(None),
                    c.scheduled_at >= since,
                    c.scheduled_at < until,
                )
            )
            expected = counts_of(AttendanceRow(*row) for row in found)
            assert await uow.meetings.show_rate_counts(tenant, since, until) == expected
        await uow.session.rollback()


async def test_the_endpoint_answers_what_the_per_row_computation_gives(
    client, tenant, uow_factory
) -> None:
    run = Run(uow_factory, tenant.id, random.Random(7))
    for _ in range(40):
        await run.step()
    for days in (1, 30):
        answer = await client.get(f"/v1/analytics/show-rate?days={days}", headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        since, until = (datetime.fromisoformat(body[k]) for k in ("since", "until"))
        counts = await per_row_counts(uow_factory, tenant.id, since, until)
        expected = ShowRateOut(days=days, since=since, until=until, **show_rate_of(counts).__dict__)
        assert body == expected.model_dump(mode="json")
    assert counts.total > 0


async def test_check_summaries_reports_a_day_that_drifted(tenant, uow_factory) -> None:
    run = Run(uow_factory, tenant.id, random.Random(11))
    for _ in range(5):
        await run.book()
    assert await differences(uow_factory, tenant.id) == []
    async with uow_factory() as uow:  # a write around the trigger
        day = await uow.session.scalar(
            text(
                "UPDATE meeting_show_rate_days SET total = total + 1 WHERE tenant_id = :t"
                " AND (tenant_id, day, shard) IN (SELECT tenant_id, day, shard"
                " FROM meeting_show_rate_days WHERE tenant_id = :t AND total > 0 LIMIT 1)"
                " RETURNING day"
            ),
            {"t": tenant.id},
        )
        await uow.commit()
    [drifted] = await differences(uow_factory, tenant.id)
    assert drifted.day == day
    assert drifted.kept.total == drifted.recomputed.total + 1
    assert isinstance(drifted.kept, AttendanceCounts)

    # In a thread: the command runs its own event loop.
    command = ["check-summaries", "--tenant", tenant.id]
    result = await asyncio.to_thread(CliRunner().invoke, cli, command)
    assert result.exit_code == 1, result.output
    assert "1 difference(s)" in result.output
    assert day.isoformat() in result.output


async def test_concurrent_writers_keep_the_rollup_exact(uow_factory, sessions) -> None:
    """Batches booking onto the same days of two tenants at once, from several connections:
    every batch commits (no deadlock, no lost update) and the rollup equals a recompute."""
    tenant_ids = [(await seed_tenant(sessions, tenants, prefix=p)).id for p in ("cx", "cy")]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)

    async def batch(n: int) -> int:
        order = tenant_ids if n % 2 else tenant_ids[::-1]
        events = [
            (
                str(uuid.uuid4()),
                booking_event(tenant_id=t, email=f"k{n}-{d}@acme.com", start=start + timedelta(d)),
            )
            for t in order
            for d in range(3)
        ]
        return await record_booking_events(uow_factory(), events, identify=identify)

    assert await asyncio.gather(*(batch(n) for n in range(8))) == [6] * 8
    for tenant_id in tenant_ids:
        assert await differences(uow_factory, tenant_id) == []
    async with uow_factory() as uow:
        kept = await uow.session.scalar(
            text("SELECT sum(total) FROM meeting_show_rate_days WHERE tenant_id = ANY(:t)"),
            {"t": tenant_ids},
        )
    assert kept == 48
