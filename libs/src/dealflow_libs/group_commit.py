"""Group commit: concurrent tasks hand what they must write to one writer, which writes
everything that arrived meanwhile in one transaction instead of one transaction each.

A task's `submit` returns once its item is written (or raises why it was not). A batch the
database refuses for a reason that is not transient is written again one item at a time, so one
refused item never keeps the others from being written; a transient error (the database is
away) fails the whole batch at once, each waiting task deciding what to do.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from dealflow_libs.errors import is_transient

T = TypeVar("T")

#: Items written in one transaction at most (the rest wait for the next).
ITEMS_PER_COMMIT = 200


@dataclass(frozen=True)
class _Queued(Generic[T]):
    item: T
    written: "asyncio.Future[None]"


def _settle(batch: list[_Queued[T]], error: BaseException | None) -> None:
    for queued in batch:
        if queued.written.done():
            continue
        if error is None:
            queued.written.set_result(None)
        else:
            queued.written.set_exception(error)


class GroupCommit(Generic[T]):
    """Writes items with `write(batch)`, one call (one transaction) per batch of whatever was
    submitted while the previous batch was being written."""

    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[None]],
        *,
        name: str,
        per_commit: int = ITEMS_PER_COMMIT,
    ) -> None:
        self.write, self.name, self.per_commit = write, name, per_commit
        self._queue: list[_Queued[T]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Queues the item for the next batch and waits until it is written."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(item, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name=self.name)
        await written

    async def _write_queued(self) -> None:
        batch: list[_Queued[T]] = []
        try:
            while self._queue:
                batch = self._queue[: self.per_commit]
                del self._queue[: self.per_commit]
                await self._write_batch(batch)
        except asyncio.CancelledError:
            for queued in [*batch, *self._queue]:
                queued.written.cancel()
            self._queue.clear()
            raise

    async def _write_batch(self, batch: list[_Queued[T]]) -> None:
        try:
            await self.write([q.item for q in batch])
        except Exception as error:
            if len(batch) == 1 or is_transient(error):
                _settle(batch, error)
                return
            for queued in batch:  # one refused item must not hold the others: one by one
                try:
                    await self.write([queued.item])
                except Exception as alone:
                    _settle([queued], alone)
                else:
                    _settle([queued], None)
        else:
            _settle(batch, None)
