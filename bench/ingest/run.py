"""Load generator for the ingest gateway: signed Cal.com webhooks at a fixed concurrency.

Closed loop: `--concurrency` coroutines each send one webhook, wait for the answer, send the
next. Every body is a unique BOOKING_CREATED (own booking uid and attendee email), built and
signed before the timed phase. Reports accepted/s and latency percentiles over the measured
window (after `--warmup`), then checks that every accepted event is stored in `raw_events` and
published exactly once on `dealflow.bookings.v1`.

Without `--url` it starts its own system in a temporary folder (PostgreSQL, the local broker,
migrations, the `demo` tenant, then the gateway under uvicorn) and removes it at the end.

    .venv/bin/python bench/ingest/run.py --duration 20 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import importlib.util
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httptools
import httpx
import orjson
import psutil
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import percentile
from dealflow_libs.testing.raw_http import RawSender
from dealflow_schemas.bookings import BOOKINGS_TOPIC
from ingest import samples
from ingest.config import IngestSettings
from ingest.domain.signatures import signed_headers

SAMPLE = "calcom_booking_created"
ACCEPTED = 202
#: Bodies built ahead per second of run time; beyond that they are built on the fly.
PREBUILT_PER_SECOND = 5_000
PUBLISH_WAIT_SECONDS = 60.0
READY_WAIT_SECONDS = 90.0

Request = tuple[bytes, dict[str, str]]


def _skip_sniffio_probe() -> None:
    """httpcore runs `import sniffio` for every lock and event it creates; when sniffio is not
    installed each attempt searches all of sys.path (15% of the generator's CPU). A None entry
    in sys.modules makes the import fail at once; httpcore then assumes asyncio, as it does."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- requests -------------------------------------------------------------------------------


class RequestFactory:
    """Unique signed Cal.com BOOKING_CREATED deliveries; the first `prebuilt` are built up front."""

    def __init__(self, *, secret: str, run_id: str, prebuilt: int) -> None:
        self._template: dict[str, Any] = samples.load(SAMPLE)
        self._secret = secret
        self._run_id = run_id
        self._timestamp = int(time.time())
        self.built_on_the_fly = 0
        self._ready = [self._build(i) for i in range(prebuilt)]

    def _build(self, index: int) -> Request:
        payload = self._template["payload"]
        email = f"bench+{self._run_id}-{index}@example.org"
        payload["uid"] = f"bench-{self._run_id}-{index:08d}"
        payload["attendees"][0]["email"] = email
        payload["responses"]["email"]["value"] = email
        body = orjson.dumps(self._template)
        return body, signed_headers("calcom", body, self._secret, timestamp=self._timestamp)

    def get(self, index: int) -> Request:
        if index < len(self._ready):
            return self._ready[index]
        self.built_on_the_fly += 1
        return self._build(index)


# --- the load -------------------------------------------------------------------------------


@dataclass
class LoadLog:
    """One entry per completed request (start time, latency, status), plus accepted event ids."""

    starts: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    sent: int = 0

    def record(self, started: float, latency: float, status: int, content: bytes) -> None:
        self.starts.append(started)
        self.latencies.append(latency)
        self.statuses.append(status)
        if status == ACCEPTED:
            self.event_ids.append(orjson.loads(content)["event_id"])

    @property
    def errors(self) -> int:
        return sum(self.failures.values()) + sum(1 for s in self.statuses if s != ACCEPTED)


class Sender(Protocol):
    """One keep-alive connection to the gateway; one request at a time."""

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]: ...

    async def aclose(self) -> None: ...


class HttpxSender:
    """httpx with a pool of one connection per sender (see `--client httpx`).

    Not one shared pool of `concurrency` connections: httpcore checks every pooled connection
    (a poll() syscall and several attribute lookups each) on every request and every response,
    which at 32 connections costs the generator milliseconds of CPU per request.
    """

    def __init__(self, url: str, path: str, timeout: float = 30.0) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._client = httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout)
        self._path = path

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        response = await self._client.post(self._path, content=body, headers=headers)
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self._client.aclose()


CLIENTS: dict[str, Callable[[str, str], Sender]] = {"raw": RawSender, "httpx": HttpxSender}
#: What a request can fail with, short of an HTTP status.
TRANSPORT_ERRORS = (OSError, TimeoutError, httpx.HTTPError, httptools.HttpParserError)


async def _send_loop(
    sender: Sender,
    factory: RequestFactory,
    counter: Iterator[int],
    log: LoadLog,
    stop_at: float,
) -> None:
    clock = time.perf_counter
    while clock() < stop_at:
        body, headers = factory.get(next(counter))
        log.sent += 1
        started = clock()
        try:
            status, content = await sender.post(body, headers)
        except TRANSPORT_ERRORS as exc:
            log.failures[type(exc).__name__] += 1
            await asyncio.sleep(0.05)  # a gateway that is down must not make this a busy loop
            continue
        log.record(started, clock() - started, status, content)


async def _progress(log: LoadLog, began: float, warmup: float) -> None:
    last_accepted = 0
    while True:
        await asyncio.sleep(1.0)
        accepted = len(log.event_ids)
        elapsed = time.perf_counter() - began
        phase = "warmup" if elapsed < warmup else "measure"
        say(
            f"  {elapsed:5.1f}s [{phase}] sent={log.sent} accepted/s={accepted - last_accepted} "
            f"errors={log.errors}"
        )
        last_accepted = accepted


@dataclass(frozen=True)
class Window:
    began: float
    measured_from: float
    ended: float


async def run_load(
    senders: Sequence[Sender], factory: RequestFactory, *, warmup: float, duration: float
) -> tuple[LoadLog, Window]:
    """Closed loop: each sender sends, waits for the answer, sends the next, until the end."""
    log = LoadLog()
    counter = iter(range(sys.maxsize))
    began = time.perf_counter()
    stop_at = began + warmup + duration
    reporter = asyncio.create_task(_progress(log, began, warmup))
    try:
        await asyncio.gather(*(_send_loop(s, factory, counter, log, stop_at) for s in senders))
    finally:
        reporter.cancel()
        for sender in senders:
            await sender.aclose()
    return log, Window(began=began, measured_from=began + warmup, ended=stop_at)


# --- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    sent: int
    accepted: int
    other_statuses: dict[str, int]
    transport_errors: dict[str, int]
    measured_seconds: float
    measured_requests: int
    accepted_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def figures(log: LoadLog, window: Window) -> Figures:
    """Rates and latencies of the requests that started inside the measured window."""
    measured = [
        (lat, status)
        for start, lat, status in zip(log.starts, log.latencies, log.statuses, strict=True)
        if window.measured_from <= start < window.ended
    ]
    latencies = sorted(lat * 1000 for lat, _ in measured)
    accepted_in_window = sum(1 for _, status in measured if status == ACCEPTED)
    seconds = window.ended - window.measured_from
    others = collections.Counter(str(s) for s in log.statuses if s != ACCEPTED)
    return Figures(
        sent=log.sent,
        accepted=len(log.event_ids),
        other_statuses=dict(others),
        transport_errors=dict(log.failures),
        measured_seconds=round(seconds, 2),
        measured_requests=len(measured),
        accepted_per_second=round(accepted_in_window / seconds, 1),
        p50_ms=round(percentile(latencies, 50), 2),
        p90_ms=round(percentile(latencies, 90), 2),
        p99_ms=round(percentile(latencies, 99), 2),
        max_ms=round(latencies[-1], 2) if latencies else math.nan,
    )


# --- CPU accounting (where the two cores went) ------------------------------------------------


def _tree(pid: int, *, children: bool) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)] if children else [root]
    except psutil.Error:
        return []


def _cpu_seconds(processes: Sequence[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
    return seconds


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (Linux counts guest time inside user too)."""
    times = psutil.cpu_times()._asdict()
    not_busy = ("idle", "iowait", "guest", "guest_nice")
    return float(sum(v for k, v in times.items() if k not in not_busy))


@dataclass(frozen=True)
class ProcessGroup:
    """A process, or a process and all its descendants (uvicorn workers, PostgreSQL backends)."""

    name: str
    pid: int
    with_children: bool = True

    def processes(self) -> list[psutil.Process]:
        return _tree(self.pid, children=self.with_children)


class CpuMeter:
    """CPU seconds used per process group between `start` and `stop`, as average cores."""

    def __init__(self, groups: Sequence[ProcessGroup]) -> None:
        self._groups = groups
        self._before: dict[str, dict[int, float]] = {}
        self._machine_before = 0.0
        self._started = 0.0

    def start(self) -> None:
        self._before = {g.name: _cpu_seconds(g.processes()) for g in self._groups}
        self._machine_before = _machine_busy_seconds()
        self._started = time.perf_counter()

    def stop(self) -> dict[str, float]:
        """Average cores per group, plus `other`: the rest of the machine."""
        elapsed = time.perf_counter() - self._started
        used = {}
        for group in self._groups:
            before = self._before.get(group.name, {})
            now = _cpu_seconds(group.processes())
            used[group.name] = sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())
        machine = _machine_busy_seconds() - self._machine_before
        used["other"] = max(0.0, machine - sum(used.values()))
        return {name: round(seconds / elapsed, 2) for name, seconds in used.items()}


async def _meter_window(
    meter: CpuMeter, window_start: float, window_end: float
) -> dict[str, float]:
    await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
    meter.start()
    await asyncio.sleep(max(0.0, window_end - time.perf_counter()))
    return meter.stop()


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_answers(result: Figures) -> Check:
    """Every delivery is unique and correctly signed: anything but a 202 is a failure."""
    refused = sum(result.other_statuses.values()) + sum(result.transport_errors.values())
    ok = result.accepted > 0 and refused == 0
    return Check("accepted", ok, f"{result.accepted}/{result.sent} answered 202")


async def check_stored(database_url: str, event_ids: Sequence[str]) -> Check:
    """Every accepted event id has its delivery in `raw_events`, with verdict accepted."""
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM raw_events WHERE event_id = ANY($1::uuid[]) "
            "AND verdict = 'accepted'",
            [uuid.UUID(e) for e in event_ids],
        )
    finally:
        await conn.close()
    ok = found == len(event_ids)
    return Check("stored", ok, f"{found}/{len(event_ids)} accepted events in raw_events")


def _ce_id(record: ConsumerRecord[Any, Any]) -> str | None:
    for key, value in record.headers or ():
        if key == "ce_id":
            return bytes(value).decode()
    return None


class TopicTally:
    """Counts, per wanted event id, the records on the bookings topic carrying it as `ce_id`."""

    def __init__(self, bootstrap: str, event_ids: Sequence[str]) -> None:
        self.wanted = set(event_ids)
        self.seen: collections.Counter[str] = collections.Counter()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self._partitions: list[TopicPartition] = []

    async def __aenter__(self) -> TopicTally:
        await self._consumer.start()
        await self._consumer.topics()  # loads the metadata
        numbers = self._consumer.partitions_for_topic(BOOKINGS_TOPIC) or set()
        self._partitions = [TopicPartition(BOOKINGS_TOPIC, p) for p in sorted(numbers)]
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    @property
    def all_seen(self) -> bool:
        return len(self.seen) == len(self.wanted)

    async def read(self) -> None:
        batches = await self._consumer.getmany(timeout_ms=500, max_records=20_000)
        for records in batches.values():
            for record in records:
                ce_id = _ce_id(record)
                if ce_id in self.wanted:
                    self.seen[ce_id] += 1

    async def end_offsets(self) -> dict[TopicPartition, int]:
        offsets: dict[TopicPartition, int] = await self._consumer.end_offsets(self._partitions)
        return offsets

    async def reached(self, offsets: dict[TopicPartition, int]) -> bool:
        for tp in self._partitions:
            if await self._consumer.position(tp) < offsets[tp]:
                return False
        return True


async def check_published(
    bootstrap: str, event_ids: Sequence[str], *, load_ended: float, wait: float
) -> Check:
    """Reads the topic from the beginning until every id was seen, then on to the end of the
    log as it is at that moment, so that a record published twice is counted twice."""
    deadline = time.monotonic() + wait
    all_seen_after: float | None = None
    async with TopicTally(bootstrap, event_ids) as tally:
        end: dict[TopicPartition, int] | None = None
        next_note = time.monotonic() + 1
        while time.monotonic() < deadline:
            await tally.read()
            if end is None and tally.all_seen:
                all_seen_after = time.perf_counter() - load_ended
                end = await tally.end_offsets()
            if end is not None and await tally.reached(end):
                break
            if time.monotonic() >= next_note:
                say(f"    {len(tally.seen)}/{len(tally.wanted)} accepted events seen on the topic")
                next_note += 1
    missing = len(tally.wanted) - len(tally.seen)
    duplicated = sum(1 for count in tally.seen.values() if count > 1)
    detail = f"{len(tally.seen)}/{len(tally.wanted)} published, {duplicated} more than once"
    if all_seen_after is not None:
        detail += f"; all on the topic {all_seen_after:.1f}s after the load ended"
    else:
        detail += f"; {missing} still missing after {wait:g}s"
    return Check("published", missing == 0 and duplicated == 0, detail)


# --- the system under test ------------------------------------------------------------------


@dataclass
class Target:
    url: str
    database_url: str
    kafka_bootstrap: str
    processes: list[ProcessGroup] = field(default_factory=list)


def _log_tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path, workers: int) -> None:
    """Waits for /ready, then (best effort) for every worker to have finished starting."""
    deadline = time.monotonic() + READY_WAIT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited with {process.returncode}:\n{_log_tail(log_path)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                break
        if time.monotonic() > deadline:
            raise TimeoutError(f"gateway not ready after {READY_WAIT_SECONDS}s")
        time.sleep(0.2)
    while time.monotonic() < deadline:
        started = log_path.read_text(errors="replace").count("Application startup complete")
        if started >= workers:
            return
        time.sleep(0.2)


def _start_gateway(
    env: dict[str, str], port: int, workers: int, log_path: Path, app: str = "ingest.main:app"
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--workers",
        str(workers),
    ]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop_gateway(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _postmaster_pid(pgdata: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    return None


@contextlib.contextmanager
def local_system(workers: int, keep: bool) -> Iterator[Target]:
    """PostgreSQL, the broker, migrations, the demo tenant and the gateway, in a temp folder."""
    # Imported here: only this mode needs the local servers (the `devstack` extra).
    from dealflow_libs.devstack.services import ALL_SERVICES
    from dealflow_libs.devstack.stack import Stack, prepare, start_stack
    from dealflow_libs.testing.servers import free_port

    data_dir = Path(tempfile.mkdtemp(prefix="dealflow-bench-"))
    stack: Stack | None = None
    gateway: subprocess.Popen[bytes] | None = None
    try:
        say(f"==> starting PostgreSQL and the broker in {data_dir}")
        stack = start_stack(data_dir, pg_port=free_port(), kafka_port=free_port())
        say("==> topics, database, migrations, demo tenant")
        spec = next(s for s in ALL_SERVICES if s.name == "ingest")
        asyncio.run(prepare(stack, [spec], seed=True))
        env = {**os.environ, **stack.env(), "DEALFLOW_LOG_LEVEL": "WARNING"}
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = data_dir / "gateway.log"
        say(f"==> starting the gateway ({workers} worker(s)) on {url}")
        gateway = _start_gateway(env, port, workers, log_path)
        _wait_ready(url, gateway, log_path, workers)
        say(f"    gateway pid {gateway.pid}, log {log_path}")
        groups = [ProcessGroup("gateway", gateway.pid)]
        if stack.postgres and (pid := _postmaster_pid(stack.postgres.pgdata)):
            groups.append(ProcessGroup("postgres", pid))
        if stack.broker and stack.broker.process:
            groups.append(ProcessGroup("broker", stack.broker.process.pid))
        database_url = IngestSettings(database_url=stack.database_url).own_database_url
        yield Target(url, database_url, stack.kafka_bootstrap, groups)
    finally:
        say("==> stopping")
        if gateway is not None:
            _stop_gateway(gateway)
        if stack is not None:
            stack.stop()
        if keep:
            say(f"    kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.contextmanager
def floor_system(workers: int) -> Iterator[Target]:
    """Only uvicorn with `floor.py`: what serving the same requests costs before any work."""
    from dealflow_libs.testing.servers import free_port

    data_dir = Path(tempfile.mkdtemp(prefix="dealflow-bench-floor-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "floor.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    say(f"==> starting the floor app ({workers} worker(s)) on {url}: no database, no broker")
    server = _start_gateway(env, port, workers, log_path, app="floor:app")
    try:
        _wait_ready(url, server, log_path, workers)
        yield Target(url, "", "", [ProcessGroup("gateway", server.pid)])
    finally:
        say("==> stopping")
        _stop_gateway(server)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.contextmanager
def given_system(args: argparse.Namespace) -> Iterator[Target]:
    settings = IngestSettings()
    yield Target(
        url=args.url.rstrip("/"),
        database_url=args.database_url or settings.own_database_url,
        kafka_bootstrap=args.kafka_bootstrap or settings.kafka_bootstrap,
    )


# --- the run --------------------------------------------------------------------------------


@dataclass
class Report:
    url: str
    client: str
    concurrency: int
    workers: int | None
    warmup_seconds: float
    figures: Figures
    cpu_cores_used: dict[str, float]
    bodies_built_on_the_fly: int
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


async def measure(args: argparse.Namespace, target: Target) -> Report:
    run_id = uuid.uuid4().hex[:8]
    prebuilt = int(PREBUILT_PER_SECOND * (args.warmup + args.duration))
    say(f"==> building {prebuilt} signed bodies (run {run_id})")
    factory = RequestFactory(secret=args.secret, run_id=run_id, prebuilt=prebuilt)
    path = f"/webhooks/calcom/{args.tenant}"
    meter = CpuMeter([ProcessGroup("generator", os.getpid(), False), *target.processes])
    say(
        f"==> {args.concurrency} connections ({args.client} client) for {args.warmup:g}s warmup + "
        f"{args.duration:g}s measured against {target.url}{path}"
    )
    began = time.perf_counter()
    cpu_task = asyncio.create_task(
        _meter_window(meter, began + args.warmup, began + args.warmup + args.duration)
    )
    senders = [CLIENTS[args.client](target.url, path) for _ in range(args.concurrency)]
    log, window = await run_load(senders, factory, warmup=args.warmup, duration=args.duration)
    load_ended = time.perf_counter()
    cpu = await cpu_task
    result = figures(log, window)
    checks = [check_answers(result)]
    if not args.floor:
        say(f"==> verifying {result.accepted} accepted events (stored, then published)")
        checks += [
            await check_stored(target.database_url, log.event_ids),
            await check_published(
                target.kafka_bootstrap, log.event_ids, load_ended=load_ended, wait=args.publish_wait
            ),
        ]
    return Report(
        url=target.url,
        client=args.client,
        concurrency=args.concurrency,
        workers=None if args.url else args.workers,
        warmup_seconds=args.warmup,
        figures=result,
        cpu_cores_used=cpu,
        bodies_built_on_the_fly=factory.built_on_the_fly,
        checks=checks,
    )


def print_report(report: Report) -> None:
    f = report.figures
    workers = f", {report.workers} worker(s)" if report.workers else ""
    lines = [
        "",
        f"Ingest gateway, {report.concurrency} connections{workers}, {report.client} client, "
        f"{f.measured_seconds:g}s measured after {report.warmup_seconds:g}s warmup",
        f"  sent              {f.sent}",
        f"  accepted (202)    {f.accepted}",
        f"  other statuses    {f.other_statuses or 'none'}",
        f"  transport errors  {f.transport_errors or 'none'}",
        f"  accepted/s        {f.accepted_per_second:,.1f}",
        f"  latency ms        p50 {f.p50_ms}  p90 {f.p90_ms}  p99 {f.p99_ms}  max {f.max_ms}",
        "  cpu cores used    "
        + "  ".join(f"{name} {cores}" for name, cores in report.cpu_cores_used.items()),
    ]
    if report.bodies_built_on_the_fly:
        lines.append(f"  bodies built during the run: {report.bodies_built_on_the_fly}")
    for check in report.checks:
        lines.append(f"  {'PASS' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    print("\n".join(lines), flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load generator for the ingest gateway (signed Cal.com webhooks)."
    )
    parser.add_argument("--url", help="gateway base URL (default: start a system of its own)")
    parser.add_argument("--concurrency", type=int, default=32, help="connections (default 32)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not measured")
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--secret", default="demo-calcom-secret", help="tenant's Cal.com secret")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn workers of the self-started gateway"
    )
    parser.add_argument("--database-url", help="ingest database (with --url)")
    parser.add_argument("--kafka-bootstrap", help="Kafka bootstrap servers (with --url)")
    parser.add_argument(
        "--publish-wait",
        type=float,
        default=PUBLISH_WAIT_SECONDS,
        help="seconds to wait for the relay to publish every accepted event",
    )
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="raw",
        help="raw: minimal keep-alive HTTP/1.1 client (default, cheapest); httpx: for comparison",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="drive bench/ingest/floor.py (read the body, answer 202) instead of the gateway: "
        "the cost of HTTP serving and load generation alone",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.duration <= 0 or args.warmup < 0 or args.workers < 1:
        parser.error("concurrency and workers must be >= 1, duration > 0, warmup >= 0")
    return args


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.client == "httpx":
        _skip_sniffio_probe()
    if args.floor:
        system = floor_system(args.workers)
    elif args.url:
        system = given_system(args)
    else:
        system = local_system(args.workers, args.keep)
    with system as target, _event_loop_runner() as runner:
        report = runner.run(measure(args, target))
    if args.json:
        print(orjson.dumps(asdict(report) | {"ok": report.ok}, option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
