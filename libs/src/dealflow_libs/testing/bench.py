"""What the benchmarks in bench/ share: one percentile definition, one throwaway database."""

import asyncio
import importlib.util
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dealflow_libs.devstack.postgres import wait_for_port
from dealflow_libs.devstack.services import installed_services
from dealflow_libs.devstack.stack import prepare, start_stack
from dealflow_libs.testing.kafka import enqueue_event
from dealflow_libs.testing.servers import free_port
from dealflow_schemas.base import EventModel


def percentile(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile (the smallest value with at least p% of values at or below it);
    NaN when there are none, so every benchmark reports p50/p99 the same way."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@asynccontextmanager
async def service_database(service: str) -> AsyncIterator[str]:
    """A local PostgreSQL and broker in a temp dir with `service`'s database migrated; yields
    its URL (also set as DEALFLOW_<SERVICE>_DATABASE_URL) and removes everything afterwards."""
    data = Path(tempfile.mkdtemp(prefix=f"dealflow-bench-{service}-"))
    # `prepare` points the environment at this stack; it is put back afterwards, so a test
    # session that runs a bench first does not go on to use the stopped servers.
    environment = dict(os.environ)
    os.environ.setdefault("DEALFLOW_LOG_LEVEL", "WARNING")
    stack = start_stack(data, pg_port=free_port(), kafka_port=free_port())
    try:
        spec = [s for s in installed_services() if s.name == service]
        urls = await prepare(stack, spec, seed=False)
        os.environ[f"DEALFLOW_{service.upper()}_DATABASE_URL"] = urls[service]
        yield urls[service]
    finally:
        stack.stop()
        shutil.rmtree(data, ignore_errors=True)
        os.environ.clear()
        os.environ.update(environment)


def start_process(command: list[str], env: dict[str, str], port: int) -> "subprocess.Popen[bytes]":
    """Starts a server process and waits until it listens on `port` (killed if it never does).
    Its logs go to a file in the temp directory, not a pipe nobody reads: a full pipe would
    stop the process at its next log line."""
    with tempfile.NamedTemporaryFile(
        prefix=f"dealflow-bench-{port}-", suffix=".log", delete=False
    ) as log:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
    except TimeoutError as exc:
        process.kill()
        tail = Path(log.name).read_text(errors="replace")[-2000:]
        raise TimeoutError(
            f"{' '.join(command)} never listened on {port}; its log:\n{tail}"
        ) from exc
    return process


async def publish_and_collect(
    bootstrap: str,
    publish_topic: str,
    events: Sequence[tuple[EventModel, str]],
    result_topic: str,
    *,
    label: str,
    within: float = 600,
) -> tuple[float, list[dict[str, Any]]]:
    """Publishes (event, key) pairs and collects, from `result_topic`, the results whose
    `caused_by` is one of them, each event once (by CloudEvent id: a relay may publish one
    again); answers (seconds from the first publish to the last result, the results). A
    progress bar shows the results coming in."""
    consumer = AIOKafkaConsumer(
        result_topic, bootstrap_servers=bootstrap, auto_offset_reset="latest"
    )
    await consumer.start()
    await consumer.seek_to_end()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    wanted: set[str] = set()
    seen: set[bytes | None] = set()
    again = 0
    results: list[dict[str, Any]] = []
    columns = (TextColumn(f"{label:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns) as progress:
            task = progress.add_task(label, total=len(events))
            started = time.perf_counter()
            # All handed to the producer at once (it batches them): waiting for each ack in
            # turn would cap the load near 1 / (linger + round trip), not the service's rate.
            acknowledgements = []
            for event, key in events:
                published, acknowledged = await enqueue_event(
                    producer, publish_topic, event, key=key
                )
                wanted.add(published)
                acknowledgements.append(acknowledged)
            await asyncio.gather(*acknowledgements)
            while len(results) < len(events):
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    for record in records:
                        event_id = dict(record.headers or ()).get("ce_id")
                        if event_id in seen:  # published again (at-least-once): counted once
                            again += 1
                            continue
                        seen.add(event_id)
                        body = orjson.loads(record.value) if record.value else {}
                        if body.get("caused_by") in wanted:
                            results.append(body)
                progress.update(task, completed=len(results))
                if time.perf_counter() - started > within:
                    raise TimeoutError(f"{len(results)}/{len(events)} results after {within} s")
            if again:
                progress.console.print(f"{label}: {again} result events delivered again, ignored")
            return time.perf_counter() - started, results
    finally:
        await consumer.stop()
        await producer.stop()


async def run_bench_script(script: Path, argv: list[str]) -> None:
    """Runs a bench/ script's `main(parse(argv))` in this process (the smoke tests that keep a
    benchmark from rotting); its `service_database` puts the environment back afterwards."""
    spec = importlib.util.spec_from_file_location(f"bench_{script.parent.name}_run", script)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    await bench.main(bench.parse(argv))
