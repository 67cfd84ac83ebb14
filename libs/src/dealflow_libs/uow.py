"""Unit of work: one session, one transaction; state, inbox and outbox commit together.

Repositories and helpers never commit; only the use case does, once, via `uow.commit()`.
Leaving the block without committing rolls back.
"""

from types import TracebackType
from typing import Self

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.inbox import Inbox
from dealflow_libs.outbox import Outbox
from dealflow_libs.trail import Trail


class UnitOfWork:
    session: AsyncSession
    outbox: Outbox
    trail: Trail

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        outbox_table: Table,
        inbox_table: Table | None = None,
        source: str,
        consumer: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._outbox_table = outbox_table
        self._inbox_table = inbox_table
        self._source = source
        self._consumer = consumer or source

    @property
    def inbox(self) -> Inbox:
        if self._inbox_table is None:
            raise RuntimeError(f"{self._source} has no inbox table")
        return Inbox(self.session, self._inbox_table, self._consumer, self.trail)

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.trail = Trail(self.session, self._outbox_table.metadata.tables.get("trail"))
        self.outbox = Outbox(self.session, self._outbox_table, self._source, self.trail)
        self.on_enter()
        return self

    def on_enter(self) -> None:
        """Hook for subclasses to bind their repositories to `self.session`."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # Detach first: loaded objects stay readable after the block instead of expiring.
            self.session.expunge_all()
            await self.session.rollback()
        finally:
            await self.session.close()

    async def flush(self) -> None:
        """Sends pending ORM changes (e.g. so new rows exist before rows that reference them)."""
        await self.session.flush()

    async def commit(self) -> None:
        await self.outbox.flush()
        await self.trail.flush()
        await self.session.commit()
