"""The emulators this package knows, their default ports, and how to build each one's app.

An emulator lives in `dealflow_emulators.<name>` and exposes `build_app(config=None)`; one not
written yet is listed (its port is reserved) but not served.
"""

import importlib
import importlib.util
from dataclasses import dataclass

from fastapi import FastAPI


@dataclass(frozen=True)
class EmulatorSpec:
    name: str
    port: int

    @property
    def module(self) -> str:
        return f"dealflow_emulators.{self.name}"

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def build_app(self) -> FastAPI:
        module = importlib.import_module(self.module)
        app: FastAPI = module.build_app()
        return app


EMULATORS = (
    EmulatorSpec("hubspot", 9101),
    EmulatorSpec("pipedrive", 9102),
    EmulatorSpec("close", 9103),
    EmulatorSpec("notion", 9104),
    EmulatorSpec("email", 9105),
)


def spec(name: str) -> EmulatorSpec:
    for candidate in EMULATORS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def available() -> list[EmulatorSpec]:
    return [s for s in EMULATORS if s.available()]
