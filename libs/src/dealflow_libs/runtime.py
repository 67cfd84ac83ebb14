"""What a running service holds: database engine, producer, consumers, outbox relay; started and
stopped by the app's lifespan, injected into handlers (nothing is created at import time)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dealflow_libs import tracing
from dealflow_libs.asyncapi import Publication
from dealflow_libs.consumer import E, Handler, Subscription
from dealflow_libs.db import create_engine, ping, session_factory
from dealflow_libs.gc_tuning import tune_gc
from dealflow_libs.kafka import check_broker, new_producer
from dealflow_libs.relay import OutboxRelay
from dealflow_libs.settings import CommonSettings
from dealflow_libs.subscriber import KafkaSubscriber
from dealflow_schemas.base import EventModel

log = logging.getLogger(__name__)


class ServiceRuntime:
    def __init__(
        self,
        *,
        service: str,
        settings: CommonSettings,
        database_url: str,
        outbox_table: Table,
        run_relay: bool = True,
        run_consumers: bool = True,
    ) -> None:
        self.service = service
        self.settings = settings
        self.database_url = database_url
        self.outbox_table = outbox_table
        self.engine: AsyncEngine = create_engine(
            database_url, pool_size=settings.db_pool_size, application_name=f"dealflow-{service}"
        )
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.producer: AIOKafkaProducer = new_producer(settings, service)
        #: What this service reads and writes: run by start(), described by /asyncapi.json.
        self.subscriptions: list[Subscription[Any]] = []
        self.publications: list[Publication] = []
        self.subscribers: list[KafkaSubscriber] = []
        self.relay = OutboxRelay(
            service=service,
            engine=self.engine,
            table=outbox_table,
            producer=self.producer,
            database_url=database_url,
            bootstrap=settings.kafka_bootstrap,
            retention=timedelta(hours=settings.outbox_retention_hours),
            batch_size=settings.outbox_batch_size,
            poll_interval=settings.outbox_poll_seconds,
        )
        self._run_relay = run_relay
        self._run_consumers = run_consumers
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_hooks: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> None:
        tracing.configure_tracing(self.service, self.settings.otel_endpoint)
        await self.producer.start()
        if self._run_relay:
            self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.service}-relay"))
        if self._run_consumers:
            self.subscribers = [
                KafkaSubscriber(
                    subscription,
                    settings=self.settings,
                    client_id=self.service,
                    dlq_producer=self.producer,
                )
                for subscription in self.subscriptions
            ]
            # Groups join concurrently: on the local broker each join takes about a second.
            await asyncio.gather(*(subscriber.start() for subscriber in self.subscribers))
        tune_gc()
        log.info("runtime started", extra={"service": self.service})

    def consume(
        self,
        *,
        name: str,
        topic: str,
        events: Sequence[type[E]],
        handler: Handler[E],
        description: str,
        hot_path: bool = False,
    ) -> None:
        """Subscribes `handler` to `topic` in consumer group `name`: it receives batches of
        checked, validated events of the given types, under the retry, dead-letter and
        acknowledgement policy of dealflow_libs.consumer. `hot_path`: a hop someone waits for,
        read with the short fetch wait (the others wait longer and cost an idle system less)."""
        self.subscriptions.append(
            Subscription(
                group=name,
                topic=topic,
                events=tuple(events),
                handler=handler,
                description=description,
                hot_path=hot_path,
            )
        )

    def publishes(self, topic: str, *events: type[EventModel]) -> None:
        """Declares (for AsyncAPI) the events this service writes to `topic` via its outbox."""
        self.publications.append(Publication(topic, events))

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """Runs a background loop for the life of the service; cancelled at stop."""
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    def on_stop(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Runs at stop, before the broker and database go away (last registered runs first)."""
        self._stop_hooks.append(hook)

    async def stop(self) -> None:
        """Stops hooks, consumers, background tasks, producer and database pool, in that order.

        Each step is bounded and the whole takes at most about `STOP_BUDGET` seconds, so a
        missing broker or database cannot hold the process past a process manager's grace
        period. What an abandoned step leaves undone is safe: unpublished outbox rows stay in
        their table and unacknowledged records are read again.
        """
        deadline = asyncio.get_running_loop().time() + STOP_BUDGET
        for hook in reversed(self._stop_hooks):
            await _bounded(f"stop hook {getattr(hook, '__qualname__', hook)}", hook(), deadline, 2)
        if self.subscribers:
            stops = asyncio.gather(*(subscriber.stop() for subscriber in self.subscribers))
            await _bounded("consumers", stops, deadline, 3)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            tasks = asyncio.gather(*self._tasks, return_exceptions=True)
            await _bounded("background tasks", tasks, deadline, 2)
        self._tasks.clear()
        await _bounded("producer", self.producer.stop(), deadline, 2)
        await _bounded("database pool", self.engine.dispose(), deadline, 2)
        await _bounded("trace export", asyncio.to_thread(tracing.shutdown_tracing), deadline, 1)
        log.info("runtime stopped", extra={"service": self.service})

    async def readiness(self) -> dict[str, str]:
        """Checks the database and the broker; each check is bounded so /ready answers quickly."""
        checks: dict[str, str] = {}
        for name, check in (
            ("database", lambda: ping(self.engine)),
            ("broker", lambda: check_broker(self.settings.kafka_bootstrap)),
        ):
            try:
                await asyncio.wait_for(check(), timeout=3)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"unavailable: {type(exc).__name__}"
        return checks


#: Seconds `ServiceRuntime.stop` may take in all: within the usual 10 s grace period of a
#: process manager (Kubernetes, systemd, docker stop), with room for the HTTP server's own stop.
STOP_BUDGET = 7.0


async def _bounded(step: str, work: Awaitable[Any], deadline: float, cap: float) -> None:
    """Runs one stop step for at most `cap` seconds (and not past `deadline`, but at least a
    moment). A step that overruns is cancelled and not waited for: a library that catches the
    cancellation to finish its own cleanup cannot hold the stop."""
    timeout = max(0.2, min(cap, deadline - asyncio.get_running_loop().time()))
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        log.warning("stop step abandoned", extra={"step": step, "after_s": round(timeout, 1)})
    elif not task.cancelled() and task.exception() is not None:
        log.warning("stop step failed", extra={"step": step, "error": repr(task.exception())})
