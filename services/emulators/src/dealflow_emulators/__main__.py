"""`python -m dealflow_emulators <name> [--port N]`, or `all [--base-port N]` to serve every
available emulator on consecutive ports (hubspot 9101, pipedrive 9102, close 9103, notion 9104,
resend 9105, the SMTP sink 9106 with its HTTP control side on 9107, by default)."""

import argparse
import asyncio
import contextlib
import sys
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from dealflow_emulators.registry import EMULATORS, EmulatorSpec, available, shifted, spec


@dataclass(frozen=True)
class Planned:
    spec: EmulatorSpec
    port: int
    control_port: int | None = None


async def serve(plan: list[Planned], host: str) -> None:
    servers = []
    for item in plan:
        app = item.spec.build_app()
        if item.control_port is None:
            servers.append(_http(app, host, item.port))
            print(f"{item.spec.name} emulator: http://{host}:{item.port}", flush=True)
            continue
        await item.spec.start_server(app, host, item.port)  # serves until the loop ends
        servers.append(_http(app, host, item.control_port))
        print(
            f"{item.spec.name} emulator: {item.spec.scheme}://{host}:{item.port} "
            f"(control: http://{host}:{item.control_port})",
            flush=True,
        )
    await asyncio.gather(*(server.serve() for server in servers))


def _http(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dealflow_emulators", description=__doc__)
    parser.add_argument("name", choices=[*(s.name for s in EMULATORS), "all"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="one emulator: its port (default: its own)")
    parser.add_argument(
        "--control-port", type=int, help="one non-HTTP emulator (smtp): its HTTP control port"
    )
    parser.add_argument(
        "--base-port", type=int, help="all: the first port; each emulator keeps its offset"
    )
    args = parser.parse_args(argv)
    if args.name == "all":
        plan = [
            Planned(
                s,
                shifted(s.port, args.base_port),
                None if s.control_port is None else shifted(s.control_port, args.base_port),
            )
            for s in available()
        ]
    else:
        chosen = spec(args.name)
        if not chosen.available():
            sys.exit(f"the {chosen.name} emulator is not written yet")
        port = args.port or chosen.port
        control = None
        if chosen.control_port is not None:
            control = args.control_port or port + chosen.control_port - chosen.port
        plan = [Planned(chosen, port, control)]
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop it
        asyncio.run(serve(plan, args.host))


if __name__ == "__main__":
    main()
