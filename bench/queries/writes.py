"""What a trigger-kept read model costs the write path: a service's own write paths with the
summary triggers on and off, interleaved so machine noise hits both alike.

    .venv/bin/python bench/queries/writes.py --service deals --rounds 10 --batch 200
    .venv/bin/python bench/queries/writes.py --service meetings --rounds 10 --batch 200

One throwaway database (the service migrated), one tenant. Each round runs, once with the
triggers enabled and once disabled (ALTER TABLE ... DISABLE TRIGGER, order alternating per
round), a batch of `--batch` writes through the service's consumer path (one commit, as the
consumer does) and then one command per written row through its HTTP use case (one commit
each). Prints the median ms per batch and per command, on and off, and the difference.

- deals (deal_summaries, deal_lost_months): bookings of new companies through
  `record_meeting_events` (companies, deals, history, outbox), then `move_stage` to proposal.
- meetings (meeting_show_rate_days): bookings through `record_booking_events` (meetings,
  uids, reminders, outbox; times spread over the past month and the next), then
  `record_attendance`.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.summaries import Summary
from dealflow_libs.testing.bench import service_database
from dealflow_libs.testing.factories import booking_event, meeting_event
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.deals import DealStage
from dealflow_schemas.meetings import MeetingBooked

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class WritePaths:
    """A service's summaries and the two write paths timed with their triggers on and off."""

    summaries: tuple[Summary, ...]
    database_url: Callable[[], str]
    seed: Callable[[Sessions], Awaitable[str]]
    #: writes `n` rows in one commit, returns their ids
    batch: Callable[[Sessions, str, int], Awaitable[Sequence[Any]]]
    #: one command on one of those rows, its own commit
    command: Callable[[Sessions, str, Any], Awaitable[object]]
    labels: tuple[str, str]


def deals_paths() -> WritePaths:
    from deals.config import DealsSettings
    from deals.db.lost_sql import LOST_MONTHS
    from deals.db.summaries_sql import DEAL_SUMMARIES
    from deals.db.tables import tenants
    from deals.uow import DealsUnitOfWork
    from deals.use_cases import move_stage, record_meeting_events

    async def seed(sessions: Sessions) -> str:
        return (await seed_tenant(sessions, tenants, prefix="w", currency="EUR")).id

    async def book(sessions: Sessions, tenant_id: str, n: int) -> Sequence[Any]:
        domains = [f"w{uuid.uuid4().hex[:10]}.io" for _ in range(n)]
        events = [
            (
                str(uuid.uuid4()),
                meeting_event(MeetingBooked, tenant_id=tenant_id, email=f"b@{d}", company_domain=d),
            )
            for d in domains
        ]
        await record_meeting_events(DealsUnitOfWork(sessions), events)
        async with sessions() as session:
            found = await session.scalars(
                text("SELECT id FROM deals WHERE tenant_id = :t AND stage = 'booked' LIMIT :n"),
                {"t": tenant_id, "n": n},
            )
            return found.all()

    async def move(sessions: Sessions, tenant_id: str, deal_id: Any) -> object:
        return await move_stage(
            DealsUnitOfWork(sessions),
            tenant_id,
            deal_id,
            stage=DealStage.PROPOSAL,
            by="bench",
            reason=None,
        )

    return WritePaths(
        (DEAL_SUMMARIES, LOST_MONTHS),
        lambda: DealsSettings().own_database_url,
        seed,
        book,
        move,
        ("booking batch", "stage move"),
    )


def meetings_paths() -> WritePaths:
    from meetings.config import MeetingsSettings
    from meetings.db.show_rate_sql import SHOW_RATE_DAYS
    from meetings.db.tables import tenants
    from meetings.uow import MeetingsUnitOfWork
    from meetings.use_cases import record_attendance, record_booking_events

    def identify(email: str, extra: tuple[str, ...]) -> tuple[str | None, bool]:
        return email.split("@")[1], False

    async def seed(sessions: Sessions) -> str:
        return (await seed_tenant(sessions, tenants, prefix="w")).id

    async def book(sessions: Sessions, tenant_id: str, n: int) -> Sequence[Any]:
        now = datetime.now(UTC).replace(microsecond=0)
        events = [
            booking_event(
                tenant_id=tenant_id,
                email=f"b{k}@w{uuid.uuid4().hex[:10]}.io",
                start=now + timedelta(hours=k * 61 % 1440 - 720),
            )
            for k in range(n)
        ]
        deliveries = [(str(uuid.uuid4()), e) for e in events]
        await record_booking_events(MeetingsUnitOfWork(sessions), deliveries, identify=identify)
        async with sessions() as session:
            found = await session.scalars(
                text("SELECT meeting_id FROM meeting_uids WHERE tenant_id = :t AND uid = ANY(:u)"),
                {"t": tenant_id, "u": [e.booking_uid for e in events]},
            )
            return found.all()

    async def attend(sessions: Sessions, tenant_id: str, meeting_id: Any) -> object:
        return await record_attendance(
            MeetingsUnitOfWork(sessions),
            tenant_id,
            meeting_id,
            showed_up=True,
            confirmed_by="bench",
            no_show_reason=None,
            request_id="bench",
        )

    return WritePaths(
        (SHOW_RATE_DAYS,),
        lambda: MeetingsSettings().own_database_url,
        seed,
        book,
        attend,
        ("booking batch", "attendance"),
    )


SERVICES = {"deals": deals_paths, "meetings": meetings_paths}


async def set_triggers(sessions: Sessions, summaries: Sequence[Summary], on: bool) -> None:
    verb = "ENABLE" if on else "DISABLE"
    async with sessions() as session, session.begin():
        for summary in summaries:
            for name in summary.triggers:
                await session.execute(text(f"ALTER TABLE {summary.source} {verb} TRIGGER {name}"))


async def one_round(
    paths: WritePaths, sessions: Sessions, tenant_id: str, batch: int
) -> tuple[float, float]:
    """(seconds for one batch, median seconds per command)."""
    started = time.perf_counter()
    ids = await paths.batch(sessions, tenant_id, batch)
    written = time.perf_counter() - started
    commands = []
    for row_id in ids:
        started = time.perf_counter()
        await paths.command(sessions, tenant_id, row_id)
        commands.append(time.perf_counter() - started)
    return written, statistics.median(commands)


async def main(service: str, rounds: int, batch: int) -> None:
    paths = SERVICES[service]()
    async with service_database(service):
        engine = create_engine(paths.database_url(), pool_size=2)
        sessions = session_factory(engine)
        tenant_id = await paths.seed(sessions)
        figures: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        await one_round(paths, sessions, tenant_id, batch)  # warm-up
        for n in range(rounds):
            for on in (True, False) if n % 2 == 0 else (False, True):
                await set_triggers(sessions, paths.summaries, on)
                figures[on].append(await one_round(paths, sessions, tenant_id, batch))
        await set_triggers(sessions, paths.summaries, True)
        await engine.dispose()
    for label, index, unit in ((paths.labels[0], 0, batch), (paths.labels[1], 1, 1)):
        on_ms = statistics.median(f[index] for f in figures[True]) * 1000
        off_ms = statistics.median(f[index] for f in figures[False]) * 1000
        print(
            f"{label:<14} triggers on {on_ms:8.2f} ms  off {off_ms:8.2f} ms  ({on_ms / unit:.3f}"
            f" vs {off_ms / unit:.3f} ms per row, {100 * (on_ms / off_ms - 1):+.1f}%)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--service", choices=sorted(SERVICES), default="deals")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.service, args.rounds, args.batch))
