"""What the meetings API handlers get from the running service."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from dealflow_libs.auth import authenticate
from dealflow_libs.tenants import TenantKeys
from fastapi import Depends, Request

from meetings.uow import MeetingsUnitOfWork


@dataclass
class MeetingsContext:
    uow: Callable[[], MeetingsUnitOfWork]
    keys: TenantKeys


def context(request: Request) -> MeetingsContext:
    ctx: MeetingsContext = request.app.state.meetings
    return ctx


async def tenant_of(request: Request) -> str:
    return await authenticate(request, context(request).keys.tenant_for)


def request_id(request: Request) -> str:
    return request.headers.get("x-request-id") or f"http:{uuid.uuid4()}"


Tenant = Annotated[str, Depends(tenant_of)]
RequestId = Annotated[str, Depends(request_id)]
Ctx = Annotated[MeetingsContext, Depends(context)]
