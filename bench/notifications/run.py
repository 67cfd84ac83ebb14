"""Booking confirmations through the running notifications service into the Resend emulator.

    make bench-notifications                 # 8,000 bookings, clean and with 10% 429s
    .venv/bin/python bench/notifications/run.py --bookings 500 --concurrency 64 --instances 2

Starts a local PostgreSQL and broker in a temp dir, migrates notifications' database, runs the
Resend emulator (its limiter off, so it answers at once) and notifications (uvicorn) as
processes, and configures a tenant (demo senders, Resend transport). Per scenario it publishes
`--bookings` MeetingBooked events to dealflow.meetings.v1 and waits for every NotificationSent
on dealflow.notifications.v1:
* `clean`: the emulator accepts every email;
* `429s`: 10% of its answers are 429 (Retry-After 0), which the sends retry.
Emails/s is bookings / (last result - first publish). Duplicates = emails in the emulator
beyond one per NotificationSent (must be 0); a send whose three attempts all met a 429 ends
failed (NotificationFailed, resend by hand), as the issue's "up to 3 attempts" says.
Issue 11's target: >= 500 emails/s, 0 duplicates.
"""

import argparse
import asyncio
import os
import sys
import uuid
from dataclasses import dataclass

import httpx
from rich.console import Console

from dealflow_emulators.resend import ResendConfig
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.testing.bench import publish_and_collect, service_database, start_process
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.servers import free_port
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingBooked
from dealflow_schemas.notifications import NOTIFICATIONS_TOPIC
from notifications.config import NotificationsSettings
from notifications.db.tables import tenants
from notifications.domain.senders import DEMO_SENDERS

console = Console()
KEY = ResendConfig().api_keys[0]
ORGANIZER = {"email": "rep@revenueengineer.com", "name": "Rep"}


@dataclass
class Figures:
    scenario: str
    bookings: int
    seconds: float
    sent: int
    attempts: int
    emails: int

    @property
    def rate(self) -> float:
        return self.bookings / self.seconds

    @property
    def duplicates(self) -> int:
        """Emails the emulator holds beyond one per send that succeeded."""
        return self.emails - self.sent


async def configure(service: str, tenant: TenantCredentials) -> None:
    async with httpx.AsyncClient(base_url=service, headers=tenant.auth, timeout=30) as api:
        senders = DEMO_SENDERS.model_dump(mode="json")
        (await api.put("/v1/settings/senders", json=senders)).raise_for_status()
        transport = {"kind": "resend", "api_key": KEY}
        (await api.put("/v1/settings/transport", json=transport)).raise_for_status()


async def run_scenario(
    name: str, bookings: int, tenant: TenantCredentials, bootstrap: str, emulator: str
) -> Figures:
    async with httpx.AsyncClient(base_url=f"{emulator}/_emulator", timeout=30) as control:
        (await control.post("/reset")).raise_for_status()
        (await control.patch("/config", json={"rate_limit": None})).raise_for_status()
        if name == "429s":
            fault = {"kind": "rate_limit", "ratio": 0.1, "seed": 7, "retry_after_ms": 0}
            (await control.post("/faults", json=fault)).raise_for_status()
    run = uuid.uuid4().hex[:6]
    events = [
        meeting_event(
            MeetingBooked,
            tenant_id=tenant.id,
            email=f"p{i}-{run}@prospect{i}.io",
            organizer=ORGANIZER,
        )
        for i in range(bookings)
    ]
    seconds, results = await publish_and_collect(
        bootstrap,
        MEETINGS_TOPIC,
        [(e, str(e.meeting_id)) for e in events],
        NOTIFICATIONS_TOPIC,
        label=name,
    )
    async with httpx.AsyncClient(base_url=f"{emulator}/_emulator", timeout=30) as control:
        counts = (await control.get("/state")).json()["counts"]
        (await control.delete("/faults")).raise_for_status()
    return Figures(
        scenario=name,
        bookings=bookings,
        seconds=seconds,
        sent=sum(1 for r in results if "sent_at" in r),  # the rest: NotificationFailed
        attempts=sum(int(r.get("attempts", 0)) for r in results),
        emails=counts["emails"],
    )


async def main(args: argparse.Namespace) -> None:
    async with service_database("notifications"):
        emulator_port = free_port()
        # Instances share the consumer group and claim due sends with SKIP LOCKED.
        service_ports = [free_port() for _ in range(args.instances)]
        emulator = f"http://127.0.0.1:{emulator_port}"
        service = f"http://127.0.0.1:{service_ports[0]}"
        env = {
            **os.environ,
            "DEALFLOW_LOG_LEVEL": "WARNING",
            "DEALFLOW_RESEND_API_BASE": emulator,
            "DEALFLOW_DISPATCH_CONCURRENCY": str(args.concurrency),
        }
        processes = [
            start_process(
                [
                    sys.executable,
                    "-m",
                    "dealflow_emulators",
                    "resend",
                    "--port",
                    str(emulator_port),
                ],
                env,
                emulator_port,
            ),
            *(
                start_process(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "notifications.main:app",
                        "--port",
                        str(port),
                        "--loop",
                        "uvloop",
                        "--http",
                        "httptools",
                        "--no-access-log",
                    ],
                    env,
                    port,
                )
                for port in service_ports
            ),
        ]
        try:
            engine = create_engine(NotificationsSettings().own_database_url, pool_size=1)
            tenant = await seed_tenant(session_factory(engine), tenants, prefix="bench")
            await engine.dispose()
            await configure(service, tenant)
            await asyncio.sleep(3)  # let the consumer join its group
            bootstrap = os.environ["DEALFLOW_KAFKA_BOOTSTRAP"]
            figures = [
                await run_scenario(name, args.bookings, tenant, bootstrap, emulator)
                for name in ("clean", "429s")
            ]
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
    console.print(
        f"\nnotifications -> Resend emulator, {args.bookings} bookings per scenario, "
        f"{args.instances} instance(s), dispatch concurrency {args.concurrency} each"
    )
    console.print(
        f"{'scenario':<9}{'emails/s':>10}{'seconds':>9}{'sent':>7}{'attempts':>10}"
        f"{'emails':>8}{'duplicates':>12}"
    )
    for f in figures:
        console.print(
            f"{f.scenario:<9}{f.rate:>10.0f}{f.seconds:>9.1f}{f.sent:>7}"
            f"{f.attempts:>10}{f.emails:>8}{f.duplicates:>12}"
        )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=8000)
    parser.add_argument(
        "--concurrency", type=int, default=128, help="sends in flight per instance (the default)"
    )
    parser.add_argument("--instances", type=int, default=1, help="notifications processes")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
