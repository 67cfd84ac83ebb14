"""What the deals API handlers get from the running service."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from dealflow_libs.api import RequestId, Tenant
from deals.uow import DealsUnitOfWork

__all__ = ["Ctx", "DealsContext", "RequestId", "Tenant"]


@dataclass
class DealsContext:
    uow: Callable[[], DealsUnitOfWork]


def context(request: Request) -> DealsContext:
    ctx: DealsContext = request.app.state.deals
    return ctx


Ctx = Annotated[DealsContext, Depends(context)]
