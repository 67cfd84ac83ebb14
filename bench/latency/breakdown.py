"""Where one hop spends its time: meetings, in this process, with its stages timed.

Starts PostgreSQL and the broker (temporary, free ports), the meetings app in this process,
and sends `--bookings` BookingEvents one at a time after an idle gap, as ingest's relay would.
For each it records (one clock, this process):
  sent      the producer has the record (as a relay's send)
  fetched   the subscriber's batch holds it (the broker answered the fetch)
  handled   the use case committed (meeting, inbox claim, outbox row)
  committed the Kafka offsets are committed
  relayed   the meetings relay hands MeetingBooked to its producer (woken by NOTIFY)

    .venv/bin/python bench/latency/breakdown.py --bookings 40
"""

import argparse
import asyncio
import itertools
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvloop

from dealflow_libs import relay, subscriber
from dealflow_libs.devstack.services import installed_services
from dealflow_libs.devstack.stack import prepare, start_stack
from dealflow_libs.kafka import new_producer
from dealflow_libs.settings import CommonSettings
from dealflow_libs.testing.factories import booking_event
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import publish_event
from dealflow_libs.testing.servers import free_port
from dealflow_schemas.bookings import BOOKINGS_TOPIC

sys.path.insert(0, str(Path(__file__).parent))
from proc import percentiles

STAGES = ("sent", "fetched", "handled", "committed", "relayed")
stamps: dict[str, dict[str, float]] = {}  # booking key (the attendee's email) -> stage -> time


def stamp(key: str, stage: str) -> None:
    stamps.setdefault(key, {}).setdefault(stage, time.perf_counter())


def instrument() -> None:
    """Wraps the subscriber's batch step and the relay's send to note when each happens."""
    process, send = subscriber.KafkaSubscriber._process, relay.OutboxRelay._send

    async def timed_process(self: subscriber.KafkaSubscriber, batch: Any) -> None:
        keys = [r.key.decode() for rs in batch.values() for r in rs if r.key]
        for key in keys:
            stamp(key, "fetched")
        await process(self, batch)
        for key in keys:
            stamp(key, "committed")

    async def timed_send(self: relay.OutboxRelay, rows: Sequence[Any]) -> Any:
        for row in rows:  # MeetingBooked carries the attendee's email, the booking's key
            for key in [k for k, s in stamps.items() if "relayed" not in s]:
                if key.encode() in row.value:
                    stamp(key, "relayed")
        return await send(self, rows)

    subscriber.KafkaSubscriber._process = timed_process  # type: ignore[method-assign]
    relay.OutboxRelay._send = timed_send  # type: ignore[method-assign]


async def measure(bookings: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="dealflow-breakdown-"))
    stack = start_stack(data, pg_port=free_port(), kafka_port=free_port())
    os.environ.update({**stack.env(), "DEALFLOW_LOG_LEVEL": "WARNING"})
    try:
        await prepare(stack, [s for s in installed_services() if s.name == "meetings"], seed=False)
        from meetings.main import build_app  # after the environment names the stack

        instrument()
        instrument_handler()
        app = build_app()
        producer = new_producer(CommonSettings(), "breakdown")
        await producer.start()
        async with serve(app):
            await asyncio.sleep(5)  # groups joined, the idle fetch cycle running
            for n in range(bookings):
                await asyncio.sleep(random.uniform(0.3, 0.8))
                event = booking_event(tenant_id="t", email=f"p{n}@c{uuid.uuid4().hex[:6]}.com")
                stamp(event.partition_key, "sent")
                await publish_event(producer, BOOKINGS_TOPIC, event, key=event.partition_key)
                for _ in range(5000):
                    if "relayed" in stamps[event.partition_key]:
                        break
                    await asyncio.sleep(0.002)
        await producer.stop()
    finally:
        stack.stop()
        shutil.rmtree(data, ignore_errors=True)
    rows = [s for s in stamps.values() if all(stage in s for stage in STAGES)]
    for a, b in [*itertools.pairwise(STAGES), ("sent", "relayed")]:
        print(f"{a:>9} -> {b:<9}", percentiles([(s[b] - s[a]) * 1000 for s in rows]))


def instrument_handler() -> None:
    """Notes when the bookings use case returns (its transaction committed)."""
    from meetings import consumers

    record = consumers.record_booking_events

    async def timed(uow: Any, events: Any, **kwargs: Any) -> Any:
        result = await record(uow, events, **kwargs)
        for _, event in events:
            stamp(event.partition_key, "handled")
        return result

    consumers.record_booking_events = timed  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bookings", type=int, default=40)
    uvloop.run(measure(parser.parse_args().bookings))


if __name__ == "__main__":
    main()
