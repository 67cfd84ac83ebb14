"""`python -m dealflow_emulators <name> [--port N]`, or `all [--base-port N]` to serve every
available emulator on consecutive ports (hubspot 9101, pipedrive 9102, close 9103, notion 9104,
email 9105 by default)."""

import argparse
import asyncio
import contextlib
import sys

import uvicorn

from dealflow_emulators.registry import EMULATORS, EmulatorSpec, available, spec


async def serve(plan: list[tuple[EmulatorSpec, int]], host: str) -> None:
    servers = [
        uvicorn.Server(uvicorn.Config(s.build_app(), host=host, port=port, log_level="warning"))
        for s, port in plan
    ]
    for (s, port), _ in zip(plan, servers, strict=True):
        print(f"{s.name} emulator: http://{host}:{port}", flush=True)
    await asyncio.gather(*(server.serve() for server in servers))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dealflow_emulators", description=__doc__)
    parser.add_argument("name", choices=[*(s.name for s in EMULATORS), "all"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="one emulator: its port (default: its own)")
    parser.add_argument(
        "--base-port", type=int, help="all: the first port; each emulator keeps its offset"
    )
    args = parser.parse_args(argv)
    if args.name == "all":
        base = args.base_port
        first = EMULATORS[0].port
        plan = [(s, s.port if base is None else base + s.port - first) for s in available()]
    else:
        chosen = spec(args.name)
        if not chosen.available():
            sys.exit(f"the {chosen.name} emulator is not written yet")
        plan = [(chosen, args.port or chosen.port)]
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop it
        asyncio.run(serve(plan, args.host))


if __name__ == "__main__":
    main()
