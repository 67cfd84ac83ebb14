"""`python -m dealflow_libs.devstack run`: the whole system on this machine, no Docker.

Starts PostgreSQL and the broker (unless DEALFLOW_DATABASE_URL / DEALFLOW_KAFKA_BOOTSTRAP name
running ones), creates topics and databases, migrates, seeds the `demo` tenant, starts the
provider emulators (HubSpot, Pipedrive, Close, Notion, Resend, an SMTP sink; crm_push and
notifications are pointed at them) and every installed service, and on Ctrl-C stops everything
in reverse order.
"""

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dealflow_libs.devstack.emulators import (
    DEFAULT_BASE_PORT,
    LocalEmulators,
    emulator_env,
    send_resend_webhooks_to,
)
from dealflow_libs.devstack.postgres import wait_for_port
from dealflow_libs.devstack.processes import PidFiles, StackBusyError, require_free_port
from dealflow_libs.devstack.services import ServiceSpec, installed_services
from dealflow_libs.devstack.stack import Stack, prepare, start_stack

PROJECT_ROOT = Path.cwd()

#: The development tenant the services' devseed modules create (ingest's `devseed.DEMO`).
DEMO_TENANT = "demo"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def start_services(
    stack: Stack,
    services: list[ServiceSpec],
    *,
    ports: dict[str, int] | None = None,
    quiet: bool = False,
    started: list[subprocess.Popen[bytes]] | None = None,
    pid_files: PidFiles | None = None,
    extra_env: dict[str, str] | None = None,
) -> list[subprocess.Popen[bytes]]:
    """Starts each service as its own uvicorn process and waits until each listens.

    Each process is appended to `started` as soon as it exists, so that a caller interrupted
    while waiting still knows what to stop."""
    ports = ports or {spec.name: spec.port for spec in services}
    # Where every service listens, for those that call others (the console).
    urls = {
        f"DEALFLOW_{spec.name.upper()}_URL": f"http://127.0.0.1:{ports[spec.name]}"
        for spec in services
        if f"DEALFLOW_{spec.name.upper()}_URL" not in os.environ
    }
    env = {**os.environ, **stack.env(), **urls, **(extra_env or {})}
    host = os.environ.get("DEALFLOW_HTTP_HOST", "127.0.0.1")
    processes = started if started is not None else []
    for spec in services:
        if not quiet:
            say(f"starting {spec.name} on http://{host}:{ports[spec.name]}")
        require_free_port(ports[spec.name], spec.name)
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            spec.app,
            "--host",
            host,
            "--port",
            str(ports[spec.name]),
        ]
        command += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        process = subprocess.Popen(command, env=env, start_new_session=True)
        processes.append(process)
        if pid_files:
            pid_files.record(spec.name, process.pid)
    for spec, process in zip(services, processes, strict=True):
        try:
            wait_for_port("127.0.0.1", ports[spec.name], timeout=60)
        except TimeoutError:
            if process.poll() is not None:
                raise RuntimeError(f"{spec.name} exited with code {process.returncode}") from None
            raise
    return processes


def stop_processes(processes: list[subprocess.Popen[bytes]], *, timeout: float = 15) -> None:
    """Asks every process to stop (SIGINT; SIGCONT wakes one that was stopped), waits up to
    `timeout` in all, then kills what is left. Safe to call again."""
    for process in reversed(processes):
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
                process.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + timeout
    for process in reversed(processes):
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP stop the run: the first one interrupts it (KeyboardInterrupt),
    later ones are ignored so that cleanup always finishes. A terminal's Ctrl-C reaches the
    devstack twice under `make run` (directly and passed on by make); a process manager may
    repeat SIGTERM."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def install(self) -> None:
        for signum in self.SIGNALS:
            signal.signal(signum, self._interrupt)

    def hold(self) -> None:
        """From now on a stop signal changes nothing: the stop is under way."""
        for signum in self.SIGNALS:
            signal.signal(signum, self._ignore)

    def _interrupt(self, *_: object) -> None:
        self.hold()
        raise KeyboardInterrupt

    def _ignore(self, *_: object) -> None:
        pass


def parse_ports(values: list[str], services: list[ServiceSpec]) -> dict[str, int]:
    ports = {spec.name: spec.port for spec in services}
    for value in values:
        name, _, port = value.partition("=")
        if name not in ports or not port.isdigit():
            raise SystemExit(f"--service-port wants NAME=PORT with NAME one of {', '.join(ports)}")
        ports[name] = int(port)
    return ports


def run(args: argparse.Namespace) -> int:
    signals = StopSignals()
    signals.install()
    data_dir = Path(args.data_dir).resolve()
    services = installed_services()
    ports = parse_ports(args.service_port, services)
    pid_files = PidFiles(data_dir / "pids")
    try:
        stale = pid_files.claim()
    except StackBusyError as exc:
        say(str(exc))
        return 1
    if stale:
        say(f"stopped what a previous run left running: {', '.join(stale)}")
    stack: Stack | None = None
    emulators = LocalEmulators(args.emulator_base_port, data_dir / "emulators.log", pid_files)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        say(
            "starting PostgreSQL and the Kafka-protocol broker"
            if not os.environ.get("DEALFLOW_DATABASE_URL")
            else "using the given servers"
        )
        stack = start_stack(
            data_dir, pg_port=args.pg_port, kafka_port=args.kafka_port, pid_files=pid_files
        )
        say(f"PostgreSQL: {stack.database_url}")
        say(f"Kafka bootstrap: {stack.kafka_bootstrap}")
        say("creating topics, databases and applying migrations")
        asyncio.run(prepare(stack, services, seed=True))
        if emulators.ports:
            say(f"starting the provider emulators: {', '.join(emulators.ports)}")
            emulators.start()
        crm_push = f"http://127.0.0.1:{ports['crm_push']}" if "crm_push" in ports else None
        if "resend" in emulators.urls and "notifications" in ports:
            notifications = f"http://127.0.0.1:{ports['notifications']}"
            send_resend_webhooks_to(emulators.urls, notifications, DEMO_TENANT)
        start_services(
            stack,
            services,
            ports=ports,
            started=processes,
            pid_files=pid_files,
            extra_env=emulator_env(emulators.urls, crm_push),
        )
        say("Dealflow is up:")
        for spec in services:
            what = (
                "the web console: open it and sign in with the API key"
                if spec.name == "console"
                else "docs: /docs, health: /ready"
            )
            print(f"    {spec.name:<12} http://127.0.0.1:{ports[spec.name]}  ({what})", flush=True)
        for name, url in emulators.urls.items():
            what = (
                "emulator; what it holds: /_emulator/state"
                if url.startswith("http")
                else f"sink; what it received: {name}-control's /_emulator/state"
            )
            print(f"    {name:<12} {url}  ({what})", flush=True)
        print(
            f"    demo tenant: '{DEMO_TENANT}', API key 'demo-api-key', Cal.com secret "
            "'demo-calcom-secret', Calendly key 'demo-calendly-secret'",
            flush=True,
        )
        if "resend" in emulators.urls:
            print(
                "    demo emails: sent through the resend emulator (its /_emulator/state, "
                "objects 'emails'); reminders 72 h, 24 h and 2 h before each meeting",
                flush=True,
            )
        say("press Ctrl-C to stop")
        watched = dict(zip((s.name for s in services), processes, strict=True))
        if emulators.process is not None:
            watched["emulators"] = emulators.process
        while all(p.poll() is None for p in watched.values()):
            time.sleep(0.5)
        failed = [name for name, p in watched.items() if p.poll() is not None]
        say(f"exited: {', '.join(failed)}; stopping the rest")
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        signals.hold()
        stop_processes(processes)
        for spec in services:
            pid_files.forget(spec.name)
        emulators.stop()
        if stack is not None:
            stack.stop()
        pid_files.release()
        say("stopped")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dealflow_libs.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start everything; Ctrl-C stops it")
    run_parser.add_argument("--data-dir", default=str(PROJECT_ROOT / ".data"))
    run_parser.add_argument("--pg-port", type=int, default=55432)
    run_parser.add_argument("--kafka-port", type=int, default=59092)
    run_parser.add_argument(
        "--service-port",
        action="append",
        default=[],
        metavar="NAME=PORT",
        help="listen on PORT instead of the service's default (repeatable)",
    )
    run_parser.add_argument(
        "--emulator-base-port",
        type=int,
        default=DEFAULT_BASE_PORT,
        metavar="PORT",
        help="the provider emulators listen on PORT (hubspot), PORT+1 (pipedrive), ...",
    )
    args = parser.parse_args()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
