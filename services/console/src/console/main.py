"""Composition root of the console: `uvicorn console.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from console import SERVICE
from console.config import ConsoleSettings
from console.db.repository import SessionStore
from console.services import ServiceApi
from console.web import (
    auth,
    board,
    bookings,
    deals,
    errors,
    meetings,
    reports,
    settings,
    settings_crm,
    settings_currency,
)
from console.web.context import ConsoleContext
from dealflow_libs.db import create_engine, ping
from dealflow_libs.http import add_ops_routes
from dealflow_libs.logging import configure_logging


def build_app(config: ConsoleSettings | None = None) -> FastAPI:
    config = config or ConsoleSettings()
    configure_logging(SERVICE, level=config.log_level, json=config.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            config.own_database_url,
            pool_size=config.db_pool_size,
            application_name=f"dealflow-{SERVICE}",
        )
        api = ServiceApi(config.service_urls(), config.service_timeout_seconds)
        store = SessionStore(engine, config.secret_box(), timedelta(hours=config.session_hours))
        app.state.console = ConsoleContext(settings=config, store=store, api=api)
        app.state.engine = engine
        try:
            yield
        finally:
            await api.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Dealflow console",
        description="The web UI of a tenant's team: pipeline board, meetings, booking trail, "
        "reports and settings, over the services' HTTP APIs.",
        version="0.1.0",
        lifespan=lifespan,
    )

    async def readiness(request: Request) -> dict[str, str]:
        try:
            await ping(request.app.state.engine)
        except Exception as exc:
            return {"database": f"error: {type(exc).__name__}"}
        return {"database": "ok"}

    add_ops_routes(app, readiness, "Readiness: the sessions database is reachable")
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(files(SERVICE).joinpath("static"))), "static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/board", status_code=303)

    for router in (
        auth.router,
        board.router,
        deals.router,
        meetings.router,
        bookings.router,
        reports.router,
        settings.router,
        settings_crm.router,
        settings_currency.router,
    ):
        app.include_router(router)
    return app


app = build_app()
