"""Idle hop latency and idle CPU: one signed booking at a time on an otherwise idle system.

Starts the whole system the way `make run` does (every service its own uvicorn process, local
PostgreSQL and broker, in a temporary folder, on free ports), or measures a running one
(`--ingest`, `--meetings`, `--deals`, `--kafka`; the `demo` tenant must exist). Then:

1. latency: `--bookings` times, a signed Cal.com BOOKING_CREATED for a new company is sent
   after an idle gap of `--gap` seconds (random in the range); from the 202 on, meetings'
   `GET /v1/meetings?attendee_email=` is polled until the meeting is there, then deals'
   `GET /v1/deals?company_domain=` until the deal is there (`--poll-ms` between answers and
   the next request, one request in flight). Each hop is also timed from the records' Kafka
   timestamps (when each relay handed its event to the producer).
2. idle: nothing is sent for `--idle` seconds; the CPU each process used in that window, from
   /proc/<pid>/stat (PostgreSQL: the postmaster and all its backends).

    .venv/bin/python bench/latency/run.py --bookings 100
    make bench-latency BENCH_ARGS="--bookings 50"
"""

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from dealflow_libs.devstack.__main__ import start_services, stop_processes
from dealflow_libs.devstack.services import installed_services
from dealflow_libs.devstack.stack import prepare, start_stack
from dealflow_libs.testing.kafka import TopicProbe
from dealflow_libs.testing.raw_http import RawSender
from dealflow_libs.testing.servers import free_port
from dealflow_schemas.bookings import BOOKINGS_TOPIC
from dealflow_schemas.deals import DEALS_TOPIC
from dealflow_schemas.meetings import MEETINGS_TOPIC
from ingest.domain.signatures import signed_headers
from ingest.samples.builders import calcom

sys.path.insert(0, str(Path(__file__).parent))
from proc import CpuMeter, percentiles, pid_listening_on, port_of

SECRET, API_KEY, TENANT = "demo-calcom-secret", "demo-api-key", "demo"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@dataclass
class System:
    urls: dict[str, str]
    kafka: str
    pids: dict[str, tuple[int, bool]] = field(default_factory=dict)  # name -> (pid, tree)


@dataclass
class Sample:
    email: str
    accepted: float  # wall clock when the 202 arrived
    meeting: float  # ... when a GET first showed the meeting
    deal: float  # ... the deal
    polls: int


@contextmanager
def local_system() -> Iterator[System]:
    data = Path(tempfile.mkdtemp(prefix="dealflow-latency-"))
    os.environ.setdefault("DEALFLOW_LOG_LEVEL", "WARNING")
    pg_port, kafka_port = free_port(), free_port()
    stack = start_stack(data, pg_port=pg_port, kafka_port=kafka_port)
    processes = []
    try:
        os.environ.update(stack.env())  # seeds read the settings the services get
        services = installed_services()
        asyncio.run(prepare(stack, services, seed=True))
        ports = {s.name: free_port() for s in services}
        processes = start_services(stack, services, ports=ports, quiet=True)
        pids = {s.name: (p.pid, True) for s, p in zip(services, processes, strict=True)}
        for name, port, tree in (("broker", kafka_port, False), ("postgres", pg_port, True)):
            if (pid := pid_listening_on(port)) is not None:
                pids[name] = (pid, tree)
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        yield System(urls, stack.kafka_bootstrap, pids)
    finally:
        stop_processes(processes)
        stack.stop()
        shutil.rmtree(data, ignore_errors=True)


def given_system(args: argparse.Namespace) -> System:
    urls = {"ingest": args.ingest, "meetings": args.meetings, "deals": args.deals}
    pids: dict[str, tuple[int, bool]] = {}
    for name, address, tree in [
        *((name, url, True) for name, url in urls.items()),
        ("broker", args.kafka, False),
        *((("postgres", args.postgres, True),) if args.postgres else ()),
    ]:
        if (pid := pid_listening_on(port_of(address))) is not None:
            pids[name] = (pid, tree)
    return System(urls, args.kafka, pids)


async def wait_ready(clients: dict[str, RawSender]) -> None:
    for _ in range(600):
        answers = [await clients[s].get("/v1/settings", AUTH) for s in ("meetings", "deals")]
        if all(status == 200 for status, _ in answers):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the demo tenant never reached meetings and deals")


async def poll(client: RawSender, path: str, every: float, within: float = 30) -> tuple[float, int]:
    """Asks until the list has an item; returns when that answer arrived and how many asks."""
    deadline = time.monotonic() + within
    asks = 0
    while True:
        status, body = await client.get(path, AUTH)
        asks += 1
        if status == 200 and orjson.loads(body)["items"]:
            return time.time(), asks
        if status != 200 or time.monotonic() > deadline:
            raise RuntimeError(f"GET {path} answered {status} {body[:200]!r} after {asks} asks")
        await asyncio.sleep(every)


async def one_booking(clients: dict[str, RawSender], n: int, every: float) -> Sample:
    domain = f"latency-{n}-{uuid.uuid4().hex[:6]}.com"
    email = f"buyer@{domain}"
    start = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    body = orjson.dumps(calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=start))
    headers = {
        "content-type": "application/json",
        **signed_headers("calcom", body, SECRET, timestamp=int(time.time())),
    }
    status, answer = await clients["ingest"].post(body, headers)
    accepted = time.time()
    if status != 202:
        raise RuntimeError(f"webhook answered {status}: {answer[:200]!r}")
    meeting, asks = await poll(clients["meetings"], f"/v1/meetings?attendee_email={email}", every)
    deal, more = await poll(clients["deals"], f"/v1/deals?company_domain={domain}", every)
    return Sample(email, accepted, meeting, deal, asks + more)


def first_timestamp(probe: TopicProbe, email: str) -> float | None:
    """When the first record mentioning `email` was handed to a producer (Kafka CreateTime)."""
    needle = email.encode()
    for record in probe.records:
        if record.value and needle in record.value:
            return float(record.timestamp) / 1000
    return None


async def measure_latency(system: System, args: argparse.Namespace) -> dict[str, Any]:
    clients = {
        name: RawSender(url, f"/webhooks/calcom/{TENANT}") for name, url in system.urls.items()
    }
    every = args.poll_ms / 1000
    samples: list[Sample] = []
    async with AsyncExitStack() as stack:
        probes = {
            topic: await stack.enter_async_context(TopicProbe(system.kafka, topic))
            for topic in (BOOKINGS_TOPIC, MEETINGS_TOPIC, DEALS_TOPIC)
        }
        await wait_ready(clients)
        for n in range(args.warmup + args.bookings):
            await asyncio.sleep(random.uniform(*args.gap))
            sample = await one_booking(clients, n, every)
            if n >= args.warmup:
                samples.append(sample)
        await asyncio.sleep(1)  # the probes' last records
        stamps = {s.email: [first_timestamp(probes[t], s.email) for t in probes] for s in samples}
    for client in clients.values():
        await client.aclose()
    ms = 1000
    figures: dict[str, Any] = {
        "meeting_visible_ms": percentiles([(s.meeting - s.accepted) * ms for s in samples]),
        "deal_visible_ms": percentiles([(s.deal - s.accepted) * ms for s in samples]),
        "polls_per_booking": round(sum(s.polls for s in samples) / max(len(samples), 1), 1),
    }
    complete = [
        (s, booking, meeting, deal)
        for s in samples
        for booking, meeting, deal in [stamps[s.email]]
        if booking is not None and meeting is not None and deal is not None
    ]
    hops: dict[str, list[float]] = {
        "202_to_booking_published": [],
        "booking_published_to_meeting_published": [],
        "meeting_published_to_deal_published": [],
        "deal_published_to_deal_visible": [],
    }
    for sample, booking, meeting, deal in complete:
        hops["202_to_booking_published"].append((booking - sample.accepted) * ms)
        hops["booking_published_to_meeting_published"].append((meeting - booking) * ms)
        hops["meeting_published_to_deal_published"].append((deal - meeting) * ms)
        hops["deal_published_to_deal_visible"].append((sample.deal - deal) * ms)
    figures["hops_ms (Kafka timestamps, 1 ms resolution)"] = {
        name: percentiles(values) for name, values in hops.items()
    }
    return figures


async def measure_idle(system: System, seconds: float) -> dict[str, float]:
    await asyncio.sleep(3)  # let the last booking's work and the probes' goodbyes settle
    meter = CpuMeter(system.pids)
    meter.start()
    await asyncio.sleep(seconds)
    return meter.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bookings", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--gap", type=float, nargs=2, default=(1.0, 2.0), metavar=("MIN", "MAX"))
    parser.add_argument("--poll-ms", type=float, default=2.0)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of the idle CPU window")
    parser.add_argument("--ingest", help="URL of a running ingest (else start everything)")
    parser.add_argument("--meetings", help="URL of a running meetings service")
    parser.add_argument("--deals", help="URL of a running deals service")
    parser.add_argument("--kafka", help="bootstrap address of the running broker")
    parser.add_argument("--postgres", help="host:port of the running PostgreSQL (for its CPU)")
    args = parser.parse_args()

    def run(system: System) -> dict[str, Any]:
        print(f"==> {args.bookings} bookings, one at a time", flush=True)
        latency = asyncio.run(measure_latency(system, args))
        print(f"==> idle for {args.idle:.0f}s", flush=True)
        idle = asyncio.run(measure_idle(system, args.idle))
        return {**latency, "idle_cpu_percent_of_a_core": idle}

    if args.ingest:
        if not (args.meetings and args.deals and args.kafka):
            parser.error("--ingest needs --meetings, --deals and --kafka too")
        result = run(given_system(args))
    else:
        print("==> starting the whole system (local PostgreSQL, broker, every service)", flush=True)
        with local_system() as system:
            result = run(system)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
