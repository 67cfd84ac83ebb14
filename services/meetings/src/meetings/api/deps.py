"""What the meetings API handlers get from the running service."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from dealflow_libs.api import RequestId, Tenant
from meetings.domain.bookings import Identify
from meetings.uow import MeetingsUnitOfWork

__all__ = ["Ctx", "MeetingsContext", "RequestId", "Tenant"]


@dataclass
class MeetingsContext:
    uow: Callable[[], MeetingsUnitOfWork]
    identify: Identify


def context(request: Request) -> MeetingsContext:
    ctx: MeetingsContext = request.app.state.meetings
    return ctx


Ctx = Annotated[MeetingsContext, Depends(context)]
