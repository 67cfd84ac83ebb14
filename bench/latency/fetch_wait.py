"""How the local broker's fetch wait shapes one hop: delivery latency and idle CPU.

Starts a Tansu broker on a free port (or uses `--bootstrap`), one topic with 6 partitions, one
consumer in a group (as a service's subscriber is), and for each `--wait` value:
- idle: nothing is produced for `--idle` seconds; CPU of this process (the consumer; the
  producer is idle) and of the broker, from /proc/<pid>/stat;
- latency: `--records` records, one at a time at random moments, each timed from just before
  `send` to the moment `getmany` hands it to the consumer.

    .venv/bin/python bench/latency/fetch_wait.py --wait 10 50 100 500
"""

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from dealflow_libs.devstack.broker import LocalBroker
from dealflow_libs.kafka import ensure_topics
from dealflow_libs.testing.servers import free_port

sys.path.insert(0, str(Path(__file__).parent))
from proc import CpuMeter, percentiles


async def measure(
    bootstrap: str, broker_pid: int | None, wait_ms: int, args: argparse.Namespace
) -> dict[str, object]:
    topic = f"probe-{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic], partitions=args.partitions)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"g-{topic}",
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=wait_ms,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    received: dict[bytes, float] = {}
    arrived = asyncio.Event()

    async def consume() -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=60_000)).values():
                now = time.perf_counter()
                for record in records:
                    received[record.value] = now
                arrived.set()

    task = asyncio.create_task(consume())
    await asyncio.sleep(1)
    meter = CpuMeter(
        {
            "consumer": (os.getpid(), False),
            **({"broker": (broker_pid, False)} if broker_pid else {}),
        }
    )
    meter.start()
    await asyncio.sleep(args.idle)
    idle = meter.stop()
    latencies = []
    for n in range(args.records):
        await asyncio.sleep(random.uniform(0.05, 0.3))
        value = f"{n}".encode()
        sent = time.perf_counter()
        arrived.clear()
        await producer.send_and_wait(topic, value, key=value)
        while value not in received:
            await arrived.wait()
            arrived.clear()
        latencies.append((received[value] - sent) * 1000)
    task.cancel()
    await consumer.stop()
    await producer.stop()
    return {
        "fetch_max_wait_ms": wait_ms,
        "idle_cpu_percent_of_a_core": idle,
        "latency_ms": percentiles(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wait", type=int, nargs="+", default=[10, 50, 100, 500])
    parser.add_argument("--idle", type=float, default=10)
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    args = parser.parse_args()
    broker = None
    if args.bootstrap is None:
        broker = LocalBroker(free_port(), Path(tempfile.mkdtemp()) / "broker.log")
        broker.start()
    bootstrap = args.bootstrap or (broker.bootstrap if broker else "")
    pid = broker.process.pid if broker and broker.process else None
    try:
        for wait_ms in args.wait:
            print(asyncio.run(measure(bootstrap, pid, wait_ms, args)), flush=True)
    finally:
        if broker:
            broker.stop()


if __name__ == "__main__":
    main()
