"""What the pipeline read model costs the write path: deals' own work per meeting event with
the deal_summaries triggers on and off, interleaved so machine noise hits both alike.

    .venv/bin/python bench/queries/writes.py --rounds 10 --batch 200

One throwaway database (deals migrated), one tenant. Each round runs, once with the triggers
enabled and once disabled (ALTER TABLE deals DISABLE TRIGGER, order alternating per round), a
batch of `--batch` bookings from new companies through `record_meeting_events` (companies,
deals, history, outbox in one commit, as the consumer does) and then `--batch` stage moves
through `move_stage` (one commit each, as the HTTP command does). Prints the median ms per
booking batch and per move, on and off, and the difference.
"""

import argparse
import asyncio
import statistics
import time
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.testing.bench import service_database
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.deals import DealStage
from dealflow_schemas.meetings import MeetingBooked
from deals.config import DealsSettings
from deals.db.tables import tenants
from deals.uow import DealsUnitOfWork
from deals.use_cases import move_stage, record_meeting_events

Sessions = async_sessionmaker[AsyncSession]
TRIGGERS = ("deal_summaries_insert", "deal_summaries_update", "deal_summaries_delete")


async def set_triggers(sessions: Sessions, on: bool) -> None:
    async with sessions() as session, session.begin():
        for name in TRIGGERS:
            verb = "ENABLE" if on else "DISABLE"
            await session.execute(text(f"ALTER TABLE deals {verb} TRIGGER {name}"))


async def one_round(sessions: Sessions, tenant_id: str, batch: int) -> tuple[float, float]:
    """(seconds for one batch of bookings, median seconds per stage move)."""
    events = [
        (
            str(uuid.uuid4()),
            meeting_event(
                MeetingBooked,
                tenant_id=tenant_id,
                email=f"b@w{uuid.uuid4().hex[:10]}.io",
                company_domain=f"w{uuid.uuid4().hex[:10]}.io",
            ),
        )
        for _ in range(batch)
    ]
    started = time.perf_counter()
    await record_meeting_events(DealsUnitOfWork(sessions), events)
    booked = time.perf_counter() - started
    async with sessions() as session:
        ids = (
            await session.scalars(
                text("SELECT id FROM deals WHERE tenant_id = :t AND stage = 'booked' LIMIT :n"),
                {"t": tenant_id, "n": batch},
            )
        ).all()
    moves = []
    for deal_id in ids:
        started = time.perf_counter()
        await move_stage(
            DealsUnitOfWork(sessions),
            tenant_id,
            deal_id,
            stage=DealStage.PROPOSAL,
            by="bench",
            reason=None,
        )
        moves.append(time.perf_counter() - started)
    return booked, statistics.median(moves)


async def main(rounds: int, batch: int) -> None:
    async with service_database("deals"):
        engine = create_engine(DealsSettings().own_database_url, pool_size=2)
        sessions = session_factory(engine)
        tenant = await seed_tenant(sessions, tenants, prefix="w", currency="EUR")
        figures: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        await one_round(sessions, tenant.id, batch)  # warm-up
        for n in range(rounds):
            for on in (True, False) if n % 2 == 0 else (False, True):
                await set_triggers(sessions, on)
                figures[on].append(await one_round(sessions, tenant.id, batch))
        await set_triggers(sessions, True)
        await engine.dispose()
    for label, index, unit in (("booking batch", 0, batch), ("stage move", 1, 1)):
        on_ms = statistics.median(f[index] for f in figures[True]) * 1000
        off_ms = statistics.median(f[index] for f in figures[False]) * 1000
        print(
            f"{label:<14} triggers on {on_ms:8.2f} ms  off {off_ms:8.2f} ms  ({on_ms / unit:.3f}"
            f" vs {off_ms / unit:.3f} ms per deal, {100 * (on_ms / off_ms - 1):+.1f}%)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.batch))
