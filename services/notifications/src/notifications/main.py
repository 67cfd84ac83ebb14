"""Composition root of notifications: `uvicorn notifications.main:app`."""

import httpx
from fastapi import FastAPI

from dealflow_libs.http import create_app
from dealflow_libs.http_pool import provider_client
from dealflow_libs.logging import configure_logging
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.tenant_feed import subscribe_tenant_feed
from dealflow_libs.tenants import TenantKeys
from dealflow_schemas.notifications import NOTIFICATION_EVENTS, NOTIFICATIONS_TOPIC
from notifications import SERVICE
from notifications.api import notifications, settings, templates, webhooks
from notifications.api.deps import NotificationsContext
from notifications.config import NotificationsSettings
from notifications.consumers import subscribe_meetings
from notifications.db.tables import outbox, tenants
from notifications.dispatch import Dispatcher, DispatchSettings
from notifications.transports.factory import TransportFactory
from notifications.uow import NotificationsUnitOfWork

DESCRIPTION = """Emails attendees: a confirmation when a meeting is booked, a notice when it is
rescheduled or cancelled, and the pre-call reminders, each with an .ics invite where it fits and
each sent exactly once (one row per logical send, claimed with the event's inbox entry, sent
with an Idempotency-Key). Publishes `dealflow.notifications.v1`."""


def build_app(config: NotificationsSettings | None = None) -> FastAPI:
    config = config or NotificationsSettings()
    configure_logging(SERVICE, level=config.log_level, json=config.log_json)
    dispatchers: list[Dispatcher] = []

    def nudge() -> None:
        for dispatcher in dispatchers:
            dispatcher.nudge()

    def runtime() -> ServiceRuntime:
        rt = ServiceRuntime(
            service=SERVICE,
            settings=config,
            database_url=config.own_database_url,
            outbox_table=outbox,
        )

        def uow(consumer: str) -> NotificationsUnitOfWork:
            return NotificationsUnitOfWork(rt.sessions, consumer)

        subscribe_tenant_feed(rt, uow)
        subscribe_meetings(rt, uow, nudge)
        rt.publishes(NOTIFICATIONS_TOPIC, *NOTIFICATION_EVENTS)
        return rt

    async def started(app: FastAPI, rt: ServiceRuntime) -> None:
        def uow() -> NotificationsUnitOfWork:
            return NotificationsUnitOfWork(rt.sessions)

        box = config.secret_box()
        in_flight = config.dispatch_concurrency
        limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
        client = provider_client(config.provider_timeout_seconds, limits)
        rt.on_stop(client.aclose)
        if config.run_dispatcher:
            dispatcher = Dispatcher(
                uow,
                TransportFactory(
                    client,
                    config.resend_api_base,
                    box,
                    pace_wait=config.sending_lease_seconds / 2,
                ),
                DispatchSettings(
                    concurrency=config.dispatch_concurrency,
                    poll_seconds=config.dispatch_poll_seconds,
                    max_attempts=config.send_max_attempts,
                    retry_base_seconds=config.send_retry_base_seconds,
                    sending_lease_seconds=config.sending_lease_seconds,
                ),
            )
            dispatchers.append(dispatcher)
            rt.spawn(dispatcher.run(), name="notifications-dispatcher")
            rt.on_stop(dispatcher.stop)
        app.state.notifications = NotificationsContext(
            uow=uow, box=box, settings=config, nudge=nudge
        )
        app.state.tenant_keys = TenantKeys(rt.sessions, tenants)

    return create_app(
        runtime_factory=runtime,
        title="Dealflow notifications",
        description=DESCRIPTION,
        routers=[notifications.router, settings.router, templates.router, webhooks.router],
        on_started=started,
    )


app = build_app()
