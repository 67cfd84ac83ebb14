"""Composition root of crm_push: `uvicorn crm_push.main:app`."""

from collections.abc import Iterable

import httpx
from fastapi import FastAPI

from crm_push import SERVICE
from crm_push.api import config as config_api
from crm_push.api import connections, logs
from crm_push.config import CrmPushSettings
from crm_push.connections import CrmPushContext, connect_link
from crm_push.consumers import subscribe_sources
from crm_push.db.tables import outbox, tenants
from crm_push.domain.model import Connection
from crm_push.domain.retry import RetryPolicy
from crm_push.pushing import Link, PushWorker, WorkerSettings
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs.http import create_app
from dealflow_libs.http_pool import provider_client
from dealflow_libs.logging import configure_logging
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.tenant_feed import subscribe_tenant_feed
from dealflow_libs.tenants import TenantKeys
from dealflow_schemas.crm import CRM_EVENTS, CRM_TOPIC, PushTarget

DESCRIPTION = """Keeps the customer's CRM (HubSpot, Pipedrive or Close) and an optional Notion
table current from meeting, deal and attribution events. Consumers only queue pushes; a worker
makes the calls with per-connection rate limits, retries, a circuit breaker and parking, logs
every call, and publishes each push's result on `dealflow.crm.v1`."""


def worker_settings(config: CrmPushSettings) -> WorkerSettings:
    return WorkerSettings(
        concurrency=config.push_concurrency,
        poll_seconds=config.push_poll_seconds,
        lease_seconds=config.push_lease_seconds,
        retry=RetryPolicy(
            max_attempts=config.push_max_attempts,
            base_seconds=config.push_retry_base_seconds,
            cap_seconds=config.push_retry_cap_seconds,
        ),
        breaker_threshold=config.breaker_threshold,
        breaker_cooldown=config.breaker_cooldown_seconds,
        breaker_max_cooldown=config.breaker_max_cooldown_seconds,
    )


def build_app(config: CrmPushSettings | None = None) -> FastAPI:
    config = config or CrmPushSettings()
    configure_logging(SERVICE, level=config.log_level, json=config.log_json)
    worker: list[PushWorker] = []

    def nudge(connections: Iterable[tuple[str, PushTarget]]) -> None:
        for w in worker:
            w.nudge(connections)

    def runtime() -> ServiceRuntime:
        rt = ServiceRuntime(
            service=SERVICE,
            settings=config,
            database_url=config.own_database_url,
            outbox_table=outbox,
        )

        def uow(consumer: str) -> CrmPushUnitOfWork:
            return CrmPushUnitOfWork(rt.sessions, consumer)

        subscribe_tenant_feed(rt, uow)
        subscribe_sources(rt, uow, nudge)
        rt.publishes(CRM_TOPIC, *CRM_EVENTS)
        return rt

    async def started(app: FastAPI, rt: ServiceRuntime) -> None:
        def uow() -> CrmPushUnitOfWork:
            return CrmPushUnitOfWork(rt.sessions)

        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        client = provider_client(config.provider_timeout_seconds, limits)
        ctx = CrmPushContext(uow=uow, settings=config, box=config.secret_box(), client=client)

        async def connect(connection: Connection) -> Link:
            return await connect_link(ctx, connection)

        if config.run_pushes:
            push_worker = PushWorker(uow, connect, worker_settings(config))
            ctx.worker = push_worker
            worker.append(push_worker)
            rt.spawn(push_worker.run(), name="crm-push-worker")
            rt.on_stop(push_worker.stop)
        rt.on_stop(client.aclose)
        app.state.crm_push = ctx
        app.state.tenant_keys = TenantKeys(rt.sessions, tenants)

    return create_app(
        runtime_factory=runtime,
        title="Dealflow crm_push",
        description=DESCRIPTION,
        routers=[connections.router, config_api.router, logs.router],
        on_started=started,
    )


app = build_app()
