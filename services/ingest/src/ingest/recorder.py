"""Group commit: concurrent webhook requests share one transaction instead of one each.

A request is answered only after the transaction holding its delivery committed, so an
acknowledged delivery is never lost; under load, batches grow on their own (no timers).
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from dealflow_libs import tracing
from dealflow_libs.errors import is_transient
from ingest.domain.deliveries import Assessment
from ingest.uow import IngestUnitOfWork
from ingest.use_cases import record_deliveries

log = logging.getLogger(__name__)

#: A delivery, the future its request awaits, and the request's trail (traceparent).
Pending = tuple[Assessment, "asyncio.Future[Assessment]", tracing.TraceContext | None]


class DeliveryRecorder:
    def __init__(
        self,
        uow_factory: Callable[[], IngestUnitOfWork],
        *,
        max_batch: int = 500,
        flushers: int = 2,
    ) -> None:
        self._uow_factory = uow_factory
        self._max_batch = max_batch
        self._flushers = flushers
        self._queue: asyncio.Queue[Pending] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._flush_forever()) for _ in range(self._flushers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def record(self, assessment: Assessment) -> Assessment:
        future: asyncio.Future[Assessment] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((assessment, future, tracing.current_request()))
        return await future

    async def _flush_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._flush(batch)

    async def _flush(self, batch: list[Pending]) -> None:
        try:
            # The batch is written by this task, not by the requests: hand their trails over.
            trails = {str(a.event_id): t for a, _, t in batch if t is not None and a.event_id}
            with tracing.caused(trails):
                results = await record_deliveries(self._uow_factory(), [a for a, _, _ in batch])
        except Exception as exc:
            if is_transient(exc) or len(batch) == 1:
                for _, future, _ in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            log.warning("delivery batch failed; recording one by one", extra={"error": repr(exc)})
            for item in batch:
                await self._flush([item])
            return
        for (_, future, _), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
