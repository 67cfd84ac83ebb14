"""CRM pushes through the running service into the HubSpot emulator.

    make bench-crm                          # 6,000 bookings, clean and with 10% 429s
    .venv/bin/python bench/crm/run.py --bookings 500 --concurrency 100

Starts a local PostgreSQL and broker in a temp dir, migrates crm_push's database, runs the
HubSpot emulator (its own limiter off, so it answers at once) and crm_push (uvicorn) as
processes, connects a tenant with a private-app token and a rate limit far above the load. Then,
per scenario, it publishes `--bookings` MeetingBooked events at once (each a new attendee: the
push upserts a new contact, finds no company, creates company and meeting; the pushes in flight
share each of those HubSpot batch calls) to dealflow.meetings.v1 and waits for every CrmPushed
result on dealflow.crm.v1:
* `clean`: the emulator answers every call;
* `429s`: 10% of the emulator's answers are 429 (Retry-After 0), which the pushes retry.
Pushes/s is bookings / (last result - first publish); `cpu ms` is CPU time per push of the
crm_push and emulator processes over the scenario (less at the mercy of a shared machine).
Duplicates = CRM objects beyond one contact and one meeting per booking (must be 0). Issue 10's
target: >= 500 pushes/s, 0 duplicates.
"""

import argparse
import asyncio
import os
import sys
import uuid
from dataclasses import dataclass

import httpx
import psutil
from rich.console import Console

from crm_push.config import CrmPushSettings
from crm_push.db.tables import tenants
from dealflow_emulators.hubspot import HubSpotConfig
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.testing.bench import publish_and_collect, service_database, start_process
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.servers import free_port
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.crm import CRM_TOPIC
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingBooked

console = Console(soft_wrap=True)
TOKEN = HubSpotConfig().api_keys[0]


@dataclass
class Figures:
    scenario: str
    pushes: int
    seconds: float
    succeeded: int
    attempts: int
    contacts: int
    meetings: int
    crm_cpu: float
    emulator_cpu: float

    @property
    def rate(self) -> float:
        return self.pushes / self.seconds

    @property
    def duplicates(self) -> int:
        return (self.contacts - self.pushes) + (self.meetings - self.pushes)


async def connect(crm: str, tenant: TenantCredentials) -> None:
    async with httpx.AsyncClient(base_url=crm, headers=tenant.auth, timeout=30) as api:
        answer = await api.post("/v1/crm/connect/hubspot", json={"private_app_token": TOKEN})
        answer.raise_for_status()
        limit = {"rate_limit": {"requests": 100_000, "per_seconds": 1}}
        (await api.put("/v1/crm/config", json=limit)).raise_for_status()


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def run_scenario(
    name: str,
    bookings: int,
    tenant: TenantCredentials,
    bootstrap: str,
    urls: tuple[str, str],
    processes: tuple[psutil.Process, psutil.Process],
) -> Figures:
    emulator, crm = urls
    async with httpx.AsyncClient(base_url=f"{emulator}/_emulator", timeout=30) as control:
        (await control.post("/reset")).raise_for_status()
        (await control.patch("/config", json={"rate_limit": None})).raise_for_status()
        await connect(crm, tenant)
        if name == "429s":
            fault = {"kind": "rate_limit", "ratio": 0.1, "seed": 7, "retry_after_ms": 0}
            (await control.post("/faults", json=fault)).raise_for_status()
    run = uuid.uuid4().hex[:6]
    events = [
        meeting_event(
            MeetingBooked,
            tenant_id=tenant.id,
            email=f"p{i}-{run}@c{i}-{run}.com",
            company_domain=f"c{i}-{run}.com",
        )
        for i in range(bookings)
    ]
    cpu_before = [cpu_seconds(p) for p in processes]
    seconds, results = await publish_and_collect(
        bootstrap,
        MEETINGS_TOPIC,
        [(e, str(e.meeting_id)) for e in events],
        CRM_TOPIC,
        label=name,
    )
    emulator_cpu, crm_cpu = (cpu_seconds(p) - b for p, b in zip(processes, cpu_before, strict=True))
    async with httpx.AsyncClient(base_url=f"{emulator}/_emulator", timeout=30) as control:
        counts = (await control.get("/state")).json()["counts"]
        (await control.delete("/faults")).raise_for_status()
    return Figures(
        scenario=name,
        pushes=bookings,
        seconds=seconds,
        succeeded=sum(1 for r in results if r.get("outcome") == "succeeded"),
        attempts=sum(int(r.get("attempts", 0)) for r in results),  # type: ignore[call-overload]
        contacts=counts["contacts"],
        meetings=counts["meetings"],
        crm_cpu=crm_cpu,
        emulator_cpu=emulator_cpu,
    )


async def main(args: argparse.Namespace) -> None:
    async with service_database("crm_push") as database_url:
        emulator_port, crm_port = free_port(), free_port()
        emulator = f"http://127.0.0.1:{emulator_port}"
        crm = f"http://127.0.0.1:{crm_port}"
        env = {
            **os.environ,
            "DEALFLOW_LOG_LEVEL": "WARNING",
            "DEALFLOW_HUBSPOT_API_BASE": emulator,
            "DEALFLOW_PUSH_CONCURRENCY": str(args.concurrency),
        }
        processes = [
            start_process(
                [
                    sys.executable,
                    "-m",
                    "dealflow_emulators",
                    "hubspot",
                    "--port",
                    str(emulator_port),
                ],
                env,
                emulator_port,
            ),
            start_process(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "crm_push.main:app",
                    "--port",
                    str(crm_port),
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "--no-access-log",
                ],
                env,
                crm_port,
            ),
        ]
        try:
            engine = create_engine(CrmPushSettings().own_database_url, pool_size=1)
            tenant = await seed_tenant(session_factory(engine), tenants, prefix="bench")
            await engine.dispose()
            await asyncio.sleep(3)  # the tenant feed is not involved; let the consumers join
            bootstrap = os.environ["DEALFLOW_KAFKA_BOOTSTRAP"]
            watched = (psutil.Process(processes[0].pid), psutil.Process(processes[1].pid))
            figures = [
                await run_scenario(name, args.bookings, tenant, bootstrap, (emulator, crm), watched)
                for name in args.scenarios.split(",")
            ]
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
    console.print(
        f"\ncrm_push -> HubSpot emulator, {args.bookings} bookings per scenario, "
        f"concurrency {args.concurrency} per connection ({database_url.rsplit('/', 1)[-1]})"
    )
    console.print(
        f"{'scenario':<9}{'pushes/s':>10}{'seconds':>9}{'ok':>7}{'attempts':>10}"
        f"{'contacts':>10}{'meetings':>10}{'duplicates':>12}{'crm cpu ms':>12}{'emu cpu ms':>12}"
    )
    for f in figures:
        console.print(
            f"{f.scenario:<9}{f.rate:>10.0f}{f.seconds:>9.1f}{f.succeeded:>7}"
            f"{f.attempts:>10}{f.contacts:>10}{f.meetings:>10}{f.duplicates:>12}"
            f"{f.crm_cpu * 1000 / f.pushes:>12.1f}{f.emulator_cpu * 1000 / f.pushes:>12.1f}"
        )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=6000)
    parser.add_argument(
        "--concurrency", type=int, default=512, help="pushes in flight (DEALFLOW_PUSH_CONCURRENCY)"
    )
    parser.add_argument("--scenarios", default="clean,429s", help="clean, 429s or both")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
