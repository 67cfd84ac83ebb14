"""`python -m dealflow_libs.devstack run`: the whole system on this machine, no Docker.

Starts PostgreSQL and the broker (unless DEALFLOW_DATABASE_URL / DEALFLOW_KAFKA_BOOTSTRAP name
running ones), creates topics and databases, migrates, seeds the `demo` tenant, starts every
installed service, and on Ctrl-C stops everything in reverse order.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dealflow_libs.devstack.postgres import wait_for_port
from dealflow_libs.devstack.services import ServiceSpec, installed_services
from dealflow_libs.devstack.stack import Stack, prepare, start_stack

PROJECT_ROOT = Path.cwd()


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def start_services(
    stack: Stack,
    services: list[ServiceSpec],
    *,
    ports: dict[str, int] | None = None,
    quiet: bool = False,
) -> list[subprocess.Popen[bytes]]:
    """Starts each service as its own uvicorn process and waits until each listens."""
    ports = ports or {spec.name: spec.port for spec in services}
    env = {**os.environ, **stack.env()}
    host = os.environ.get("DEALFLOW_HTTP_HOST", "127.0.0.1")
    processes = []
    for spec in services:
        if not quiet:
            say(f"starting {spec.name} on http://{host}:{ports[spec.name]}")
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
        processes.append(subprocess.Popen(command, env=env, start_new_session=True))
    for spec, process in zip(services, processes, strict=True):
        try:
            wait_for_port("127.0.0.1", ports[spec.name], timeout=60)
        except TimeoutError:
            if process.poll() is not None:
                raise RuntimeError(f"{spec.name} exited with code {process.returncode}") from None
            raise
    return processes


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 15
    for process in reversed(processes):
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    services = installed_services()
    say(
        "starting PostgreSQL and the Kafka-protocol broker"
        if not os.environ.get("DEALFLOW_DATABASE_URL")
        else "using the given servers"
    )
    stack = start_stack(data_dir, pg_port=args.pg_port, kafka_port=args.kafka_port)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        say(f"PostgreSQL: {stack.database_url}")
        say(f"Kafka bootstrap: {stack.kafka_bootstrap}")
        say("creating topics, databases and applying migrations")
        asyncio.run(prepare(stack, services, seed=True))
        processes = start_services(stack, services)
        say("Dealflow is up:")
        for spec in services:
            print(
                f"    {spec.name:<12} http://127.0.0.1:{spec.port}  (docs: /docs, health: /ready)",
                flush=True,
            )
        print(
            "    demo tenant: 'demo', API key 'demo-api-key', Cal.com secret 'demo-calcom-secret', "
            "Calendly key 'demo-calendly-secret'",
            flush=True,
        )
        say("press Ctrl-C to stop")
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        failed = [s.name for s, p in zip(services, processes, strict=True) if p.poll() is not None]
        say(f"service(s) exited: {', '.join(failed)}; stopping the rest")
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        stop_processes(processes)
        stack.stop()
        say("stopped")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dealflow_libs.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start everything; Ctrl-C stops it")
    run_parser.add_argument("--data-dir", default=str(PROJECT_ROOT / ".data"))
    run_parser.add_argument("--pg-port", type=int, default=55432)
    run_parser.add_argument("--kafka-port", type=int, default=59092)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
