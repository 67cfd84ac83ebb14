"""Composition root of the ingest gateway: `uvicorn ingest.main:app`."""

from fastapi import FastAPI

from dealflow_libs.http import create_app
from dealflow_libs.logging import configure_logging
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas.bookings import BOOKINGS_TOPIC, BookingEvent
from dealflow_schemas.tenants import TENANTS_TOPIC, TenantChanged
from ingest import SERVICE
from ingest.api import events, tenant, webhooks
from ingest.api import settings as tenant_settings
from ingest.api.deps import IngestContext
from ingest.api.fast_path import WebhookFastPath
from ingest.config import IngestSettings
from ingest.db.tables import outbox
from ingest.recorder import DeliveryRecorder
from ingest.tenants import TenantDirectory
from ingest.uow import IngestUnitOfWork

DESCRIPTION = """Receives Cal.com and Calendly webhooks, verifies their signatures, stores every
delivery in an audit log and publishes normalized `BookingEvent`s to `dealflow.bookings.v1`."""


def build_app(settings: IngestSettings | None = None) -> WebhookFastPath:
    settings = settings or IngestSettings()
    configure_logging(SERVICE, level=settings.log_level, json=settings.log_json)

    def runtime() -> ServiceRuntime:
        rt = ServiceRuntime(
            service=SERVICE,
            settings=settings,
            database_url=settings.own_database_url,
            outbox_table=outbox,
        )
        rt.publishes(BOOKINGS_TOPIC, BookingEvent)
        rt.publishes(TENANTS_TOPIC, TenantChanged)
        return rt

    async def started(app: FastAPI, rt: ServiceRuntime) -> None:
        secrets = settings.secret_box()  # fails at start-up, not at the first webhook

        def uow() -> IngestUnitOfWork:
            return IngestUnitOfWork(rt.sessions, secrets)

        recorder = DeliveryRecorder(
            uow, max_batch=settings.recorder_max_batch, flushers=settings.recorder_flushers
        )
        recorder.start()
        rt.on_stop(recorder.stop)
        directory = TenantDirectory(uow, ttl_seconds=settings.tenant_cache_seconds)
        app.state.ingest = IngestContext(
            settings=settings, recorder=recorder, tenants=directory, uow=uow
        )
        app.state.tenant_keys = directory

    return WebhookFastPath(
        create_app(
            runtime_factory=runtime,
            title="Dealflow ingest",
            description=DESCRIPTION,
            routers=[webhooks.router, events.router, tenant_settings.router, tenant.router],
            on_started=started,
        )
    )


app = build_app()
