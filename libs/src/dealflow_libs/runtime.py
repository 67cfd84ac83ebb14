"""What a running service holds: database engine, producer, broker, outbox relay; started and
stopped by the app's lifespan, injected into handlers (nothing is created at import time)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dealflow_libs.consumer import BatchConsumer, BatchHandler, subscribe_batch
from dealflow_libs.db import create_engine, ping, session_factory
from dealflow_libs.kafka import check_broker, new_broker, new_producer
from dealflow_libs.relay import OutboxRelay
from dealflow_libs.settings import CommonSettings
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
        self.broker: KafkaBroker = new_broker(settings, service)
        #: Never started: describes this service's subscriptions and publications for AsyncAPI.
        self.docs_broker: KafkaBroker = KafkaBroker(settings.kafka_bootstrap)
        self.relay = OutboxRelay(
            service=service,
            engine=self.engine,
            table=outbox_table,
            producer=self.producer,
            database_url=database_url,
            batch_size=settings.outbox_batch_size,
        )
        self._run_relay = run_relay
        self._run_consumers = run_consumers
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_hooks: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> None:
        await self.producer.start()
        if self._run_relay:
            self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.service}-relay"))
        if self._run_consumers and self.broker.subscribers:
            await self.broker.start()
        log.info("runtime started", extra={"service": self.service})

    def consume(
        self, *, name: str, topic: str, payload: type, handler: BatchHandler, description: str
    ) -> None:
        """Subscribes `handler` to `topic` in consumer group `name`, with this service's retry,
        dead-letter and acknowledgement policy (see dealflow_libs.consumer)."""
        consumer = BatchConsumer(
            name=name,
            handler=handler,
            dlq_producer=self.producer,
            max_attempts=self.settings.consumer_max_attempts,
        )
        subscribe_batch(
            self.broker,
            self.docs_broker,
            consumer,
            topic=topic,
            group_id=name,
            payload=payload,
            settings=self.settings,
            description=description,
        )

    def publishes(self, topic: str, *events: type[EventModel]) -> None:
        """Documents (AsyncAPI) the events this service writes to `topic` through its outbox."""
        for event in events:
            self.docs_broker.publisher(
                topic,
                schema=event,
                title=f"{topic}:{event.__name__}",
                description=(event.__doc__ or event.__name__).strip(),
            )

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """Runs a background loop for the life of the service; cancelled at stop."""
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    def on_stop(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Runs at stop, before the broker and database go away (last registered runs first)."""
        self._stop_hooks.append(hook)

    async def stop(self) -> None:
        for hook in reversed(self._stop_hooks):
            with contextlib.suppress(Exception):
                await hook()
        if self._run_consumers and self.broker.subscribers:
            with contextlib.suppress(Exception):
                await self.broker.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.producer.stop()
        await self.engine.dispose()
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
