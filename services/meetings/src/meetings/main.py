"""Composition root of the meetings service: `uvicorn meetings.main:app`."""

from fastapi import FastAPI

from dealflow_libs.domains import company_domain_of as identify
from dealflow_libs.http import create_app
from dealflow_libs.logging import configure_logging
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.tenant_feed import subscribe_tenant_feed
from dealflow_libs.tenants import TenantKeys
from dealflow_schemas.meetings import MEETING_EVENTS, MEETINGS_TOPIC
from meetings import SERVICE
from meetings.api import analytics, meetings, settings
from meetings.api.deps import MeetingsContext
from meetings.config import MeetingsSettings
from meetings.consumers import (
    subscribe_attributions,
    subscribe_bookings,
    subscribe_deal_links,
    subscribe_notifications,
)
from meetings.db.tables import outbox, tenants
from meetings.scheduler import run_reminders
from meetings.uow import MeetingsUnitOfWork

DESCRIPTION = """Tracks every booked meeting through its life (booked, confirmed, reminded,
rescheduled, cancelled, attended or no-show, outcome) and publishes `dealflow.meetings.v1`."""


def build_app(config: MeetingsSettings | None = None) -> FastAPI:
    config = config or MeetingsSettings()
    configure_logging(SERVICE, level=config.log_level, json=config.log_json)

    def runtime() -> ServiceRuntime:
        rt = ServiceRuntime(
            service=SERVICE,
            settings=config,
            database_url=config.own_database_url,
            outbox_table=outbox,
        )

        def uow(consumer: str) -> MeetingsUnitOfWork:
            return MeetingsUnitOfWork(rt.sessions, consumer)

        subscribe_tenant_feed(rt, uow)
        subscribe_bookings(rt, uow, identify)
        subscribe_deal_links(rt, uow)
        subscribe_attributions(rt, uow)
        subscribe_notifications(rt, uow)
        rt.publishes(MEETINGS_TOPIC, *MEETING_EVENTS)
        return rt

    async def started(app: FastAPI, rt: ServiceRuntime) -> None:
        def uow() -> MeetingsUnitOfWork:
            return MeetingsUnitOfWork(rt.sessions)

        app.state.meetings = MeetingsContext(uow=uow, identify=identify)
        app.state.tenant_keys = TenantKeys(rt.sessions, tenants)
        if config.run_reminders:
            rt.spawn(run_reminders(uow, interval=config.reminder_poll_seconds), name="reminders")

    return create_app(
        runtime_factory=runtime,
        title="Dealflow meetings",
        description=DESCRIPTION,
        routers=[meetings.router, analytics.router, settings.router],
        on_started=started,
    )


app = build_app()
