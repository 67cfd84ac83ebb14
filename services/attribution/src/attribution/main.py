"""Composition root of the attribution service: `uvicorn attribution.main:app`."""

from fastapi import FastAPI

from attribution import SERVICE
from attribution.api import currency, deals, leads, recompute, reports, settings, touches
from attribution.api.deps import AttributionContext
from attribution.config import AttributionSettings
from attribution.consumers import (
    subscribe_deals,
    subscribe_meetings,
    subscribe_tenants,
    subscribe_touches,
)
from attribution.db.tables import outbox, tenants
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.http import create_app
from dealflow_libs.logging import configure_logging
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.tenants import TenantKeys
from dealflow_schemas.attribution import (
    ATTRIBUTION_EVENTS,
    ATTRIBUTION_TOPIC,
    TOUCHES_TOPIC,
    TouchSubmitted,
)

DESCRIPTION = """Touches and leads, and exact multi-touch attribution of won deals; reads
`dealflow.touches.v1`, publishes `dealflow.attribution.v1`."""


def build_app(config: AttributionSettings | None = None) -> FastAPI:
    config = config or AttributionSettings()
    configure_logging(SERVICE, level=config.log_level, json=config.log_json)

    def runtime() -> ServiceRuntime:
        rt = ServiceRuntime(
            service=SERVICE,
            settings=config,
            database_url=config.own_database_url,
            outbox_table=outbox,
        )

        def uow(consumer: str) -> AttributionUnitOfWork:
            return AttributionUnitOfWork(rt.sessions, consumer)

        subscribe_tenants(rt, uow)
        subscribe_touches(rt, uow)
        subscribe_meetings(rt, uow)
        subscribe_deals(rt, uow)
        rt.publishes(ATTRIBUTION_TOPIC, *ATTRIBUTION_EVENTS)
        rt.publishes(TOUCHES_TOPIC, TouchSubmitted)  # touches posted over HTTP (the full log)
        return rt

    async def started(app: FastAPI, rt: ServiceRuntime) -> None:
        app.state.attribution = AttributionContext(uow=lambda: AttributionUnitOfWork(rt.sessions))
        app.state.tenant_keys = TenantKeys(rt.sessions, tenants)

    return create_app(
        runtime_factory=runtime,
        title="Dealflow attribution",
        description=DESCRIPTION,
        routers=[
            touches.router,
            leads.router,
            deals.router,
            reports.router,
            recompute.router,
            currency.router,
            settings.router,
        ],
        on_started=started,
    )


app = build_app()
