"""Composition root of the deals service: `uvicorn deals.main:app`."""

from fastapi import FastAPI

from dealflow_libs.http import create_app
from dealflow_libs.logging import configure_logging
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.tenant_feed import subscribe_tenant_feed
from dealflow_libs.tenants import TenantKeys
from dealflow_schemas.deals import DEAL_EVENTS, DEALS_TOPIC
from deals import SERVICE
from deals.api import companies, deals, pipeline, settings, sync
from deals.api.deps import DealsContext
from deals.config import DealsSettings
from deals.consumers import subscribe_attributions, subscribe_meetings
from deals.db.tables import outbox, tenants
from deals.uow import DealsUnitOfWork

DESCRIPTION = """Companies, deals and the pipeline, driven by meeting events; publishes
`dealflow.deals.v1`, the public stream of deal changes (keyed by deal id)."""


def build_app(config: DealsSettings | None = None) -> FastAPI:
    config = config or DealsSettings()
    configure_logging(SERVICE, level=config.log_level, json=config.log_json)

    def runtime() -> ServiceRuntime:
        rt = ServiceRuntime(
            service=SERVICE,
            settings=config,
            database_url=config.own_database_url,
            outbox_table=outbox,
        )

        def uow(consumer: str) -> DealsUnitOfWork:
            return DealsUnitOfWork(rt.sessions, consumer)

        subscribe_tenant_feed(rt, uow)
        subscribe_meetings(rt, uow)
        subscribe_attributions(rt, uow)
        rt.publishes(DEALS_TOPIC, *DEAL_EVENTS)
        return rt

    async def started(app: FastAPI, rt: ServiceRuntime) -> None:
        app.state.deals = DealsContext(uow=lambda: DealsUnitOfWork(rt.sessions))
        app.state.tenant_keys = TenantKeys(rt.sessions, tenants)

    return create_app(
        runtime_factory=runtime,
        title="Dealflow deals",
        description=DESCRIPTION,
        routers=[deals.router, pipeline.router, companies.router, sync.router, settings.router],
        on_started=started,
    )


app = build_app()
