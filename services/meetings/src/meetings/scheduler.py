"""The reminder loop: durable (due reminders live in PostgreSQL), safe with several instances."""

import asyncio
import logging
from collections.abc import Callable

from dealflow_libs.logging import OutageLog
from meetings.uow import MeetingsUnitOfWork
from meetings.use_cases import dispatch_due_reminders

log = logging.getLogger(__name__)


async def run_reminders(
    uow: Callable[[], MeetingsUnitOfWork], *, interval: float = 1.0, batch: int = 200
) -> None:
    outage = OutageLog(log, "reminder dispatch")
    while True:
        try:
            sent = await dispatch_due_reminders(uow(), limit=batch)
            outage.recovered()
        except Exception as exc:  # database away: reminders wait in their table
            outage.failed(exc)
            sent = 0
            await asyncio.sleep(5 * interval)
        if sent < batch:
            await asyncio.sleep(interval)
