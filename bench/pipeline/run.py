"""Pipeline benchmark: signed Cal.com bookings in at a steady rate, DealCreated out.

Starts the whole system the way `make run` does (every service its own process, local
PostgreSQL and broker in a temp dir), sends one new-company booking per request at `--rate`
per second for `--duration` seconds (open loop: the schedule does not wait for answers), and
watches `dealflow.deals.v1`. It reports the sustained bookings/s that reached DealCreated and the
latency from "webhook accepted" (202 received) to "DealCreated seen on Kafka".

    .venv/bin/python bench/pipeline/run.py --rate 500 --duration 20
"""

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from dealflow_libs.devstack.__main__ import start_services, stop_processes
from dealflow_libs.devstack.services import installed_services
from dealflow_libs.devstack.stack import Stack, prepare, start_stack
from dealflow_libs.testing.bench import percentile
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_libs.testing.raw_http import RawSender
from dealflow_libs.testing.servers import free_port
from dealflow_schemas.deals import DEALS_TOPIC
from ingest.domain.signatures import signed_headers
from ingest.samples.builders import calcom

SECRET, API_KEY, TENANT = "demo-calcom-secret", "demo-api-key", "demo"


@dataclass
class Run:
    accepted: dict[str, float] = field(default_factory=dict)  # email -> when 202 came back
    created: dict[str, float] = field(default_factory=dict)  # email -> when DealCreated was seen
    errors: dict[str, int] = field(default_factory=dict)


@contextmanager
def local_system() -> Iterator[tuple[Stack, dict[str, str]]]:
    data = Path(tempfile.mkdtemp(prefix="dealflow-bench-"))
    os.environ.setdefault("DEALFLOW_LOG_LEVEL", "WARNING")
    stack = start_stack(data, pg_port=free_port(), kafka_port=free_port())
    processes = []
    try:
        services = installed_services()
        asyncio.run(prepare(stack, services, seed=True))
        ports = {s.name: free_port() for s in services}
        processes = start_services(stack, services, ports=ports, quiet=True)
        yield stack, {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        stop_processes(processes)
        stack.stop()
        shutil.rmtree(data, ignore_errors=True)


async def wait_ready(urls: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(600):
            answers = [
                await http.get(
                    f"{urls[s]}/v1/settings", headers={"Authorization": f"Bearer {API_KEY}"}
                )
                for s in ("meetings", "deals")
            ]
            if all(a.status_code == 200 for a in answers):
                return
            await asyncio.sleep(0.1)
    raise TimeoutError("demo tenant never reached meetings and deals")


async def send_at_rate(
    url: str, rate: int, duration: float, run: Run, connections: int = 64
) -> None:
    """Open loop: requests are due at `rate` per second whatever the answers; `connections`
    keep-alive senders take them from a queue (a backlog there shows the gateway falling behind)."""
    start_time = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    due: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()

    async def sender() -> None:
        client = RawSender(url, f"/webhooks/calcom/{TENANT}")
        try:
            while (item := await due.get()) is not None:
                email, body = item
                headers = {
                    "content-type": "application/json",
                    **signed_headers("calcom", body, SECRET, timestamp=int(time.time())),
                }
                try:
                    status, _ = await client.post(body, headers)
                except (OSError, TimeoutError) as exc:
                    run.errors[type(exc).__name__] = run.errors.get(type(exc).__name__, 0) + 1
                    continue
                if status == 202:
                    run.accepted[email] = time.time()
                else:
                    run.errors[str(status)] = run.errors.get(str(status), 0) + 1
        finally:
            await client.aclose()

    senders = [asyncio.create_task(sender()) for _ in range(connections)]
    began, sent, printed = time.perf_counter(), 0, 0
    while (elapsed := time.perf_counter() - began) < duration:
        for _ in range(int(elapsed * rate) - sent):
            email = f"buyer@bench-{sent}-{uuid.uuid4().hex[:6]}.com"
            due.put_nowait(
                (
                    email,
                    orjson.dumps(
                        calcom(
                            "BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=start_time
                        )
                    ),
                )
            )
            sent += 1
        if int(elapsed) > printed:
            printed = int(elapsed)
            print(
                f"    t={printed:3d}s sent={sent} accepted={len(run.accepted)}"
                f" backlog={due.qsize()} errors={sum(run.errors.values())}",
                flush=True,
            )
        await asyncio.sleep(0.005)
    for _ in senders:
        due.put_nowait(None)
    await asyncio.gather(*senders)


async def measure(
    stack: Stack, urls: dict[str, str], rate: int, duration: float, drain: float
) -> dict[str, object]:
    await wait_ready(urls)
    run = Run()
    async with TopicProbe(stack.kafka_bootstrap, DEALS_TOPIC) as deals:
        began = time.time()
        await send_at_rate(urls["ingest"], rate, duration, run)
        deadline = time.monotonic() + drain
        while time.monotonic() < deadline:
            # The record timestamp is when the deals relay published DealCreated.
            for record in deals.matching(
                lambda r: header(r, "ce_type") == "dealflow.deal.created.v1"
            ):
                email = orjson.loads(record.value)["deal"]["primary_contact_email"]
                run.created.setdefault(email, record.timestamp / 1000)
            if not set(run.accepted) - set(run.created):
                break
            print(f"    draining: {len(run.created)}/{len(run.accepted)} deals", flush=True)
            await asyncio.sleep(1)
    done = [e for e in run.accepted if e in run.created]
    latencies = [(run.created[e] - run.accepted[e]) * 1000 for e in done]
    finished = max((run.created[e] for e in done), default=began)
    return {
        "offered_rate": rate,
        "duration_s": duration,
        "accepted": len(run.accepted),
        "errors": run.errors,
        "deals_created": len(done),
        "missing": len(run.accepted) - len(done),
        "sustained_bookings_per_s": round(len(done) / max(finished - began, 1e-9), 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rate",
        type=int,
        nargs="+",
        default=[200, 500, 1000, 2000],
        help="bookings per second (several: one run each)",
    )
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument(
        "--drain", type=float, default=120, help="seconds to wait for the last deals"
    )
    args = parser.parse_args()
    print("==> starting the whole system (local PostgreSQL, broker, every service)", flush=True)
    failed = False
    with local_system() as (stack, urls):
        for rate in args.rate:
            print(f"==> {rate} bookings/s for {args.duration:.0f}s", flush=True)
            result = asyncio.run(measure(stack, urls, rate, args.duration, args.drain))
            print("    " + orjson.dumps(result).decode(), flush=True)
            failed = failed or bool(result["missing"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
