"""One FastAPI app per emulator: control routes, the provider's routes, the shared middleware."""

from typing import Any

from fastapi import FastAPI

from dealflow_emulators.common.control import router as control_router
from dealflow_emulators.common.emulator import Emulator
from dealflow_emulators.common.middleware import EmulatorMiddleware


def create_app(emulator: Emulator[Any]) -> FastAPI:
    app = FastAPI(title=f"{emulator.name} emulator", docs_url="/_emulator/docs", redoc_url=None)
    app.state.emulator = emulator
    app.include_router(control_router)
    for router in emulator.routers():
        app.include_router(router)
    emulator.configure_app(app)
    app.add_middleware(EmulatorMiddleware, emulator=emulator)
    return app
