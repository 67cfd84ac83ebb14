"""The emulators this package knows, their default ports, and how to build each one's app.

An emulator lives in `dealflow_emulators.<package>` (by default its name) and exposes
`build_app(config=None)`; one not written yet is listed (its port is reserved) but not served.
An emulator that speaks another protocol than HTTP (the SMTP sink) listens on `port` with its
`scheme` and takes its control calls over HTTP on `control_port`; its package also exposes
`start_server(app, host, port)`.
"""

import asyncio
import importlib
import importlib.util
from dataclasses import dataclass

from fastapi import FastAPI


@dataclass(frozen=True)
class EmulatorSpec:
    name: str
    port: int
    package: str | None = None
    scheme: str = "http"
    control_port: int | None = None

    @property
    def module(self) -> str:
        return f"dealflow_emulators.{self.package or self.name}"

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def build_app(self) -> FastAPI:
        module = importlib.import_module(self.module)
        app: FastAPI = module.build_app()
        return app

    async def start_server(self, app: FastAPI, host: str, port: int) -> asyncio.Server:
        """The non-HTTP side (SMTP) over the state of `app`, the emulator's control app."""
        module = importlib.import_module(self.module)
        server: asyncio.Server = await module.start_server(app, host, port)
        return server


@dataclass(frozen=True)
class Listener:
    """One port an emulator listens on: `smtp` (SMTP) and `smtp-control` (HTTP) for the sink."""

    name: str
    scheme: str
    port: int


EMULATORS = (
    EmulatorSpec("hubspot", 9101),
    EmulatorSpec("pipedrive", 9102),
    EmulatorSpec("close", 9103),
    EmulatorSpec("notion", 9104),
    EmulatorSpec("resend", 9105),
    EmulatorSpec("smtp", 9106, package="smtp_sink", scheme="smtp", control_port=9107),
)


def spec(name: str) -> EmulatorSpec:
    for candidate in EMULATORS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def available() -> list[EmulatorSpec]:
    return [s for s in EMULATORS if s.available()]


def shifted(port: int, base_port: int | None) -> int:
    """`port` when the first emulator moves to `base_port` (each keeps its offset)."""
    return port if base_port is None else base_port + port - EMULATORS[0].port


def listeners(base_port: int | None = None) -> list[Listener]:
    """Every port the available emulators listen on, as `all --base-port` serves them."""
    found = []
    for s in available():
        found.append(Listener(s.name, s.scheme, shifted(s.port, base_port)))
        if s.control_port is not None:
            found.append(Listener(f"{s.name}-control", "http", shifted(s.control_port, base_port)))
    return found
