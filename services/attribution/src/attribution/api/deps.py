"""What the attribution API handlers get from the running service."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from attribution.uow import AttributionUnitOfWork
from dealflow_libs.api import RequestId, Tenant

__all__ = ["AttributionContext", "Ctx", "RequestId", "Tenant"]


@dataclass
class AttributionContext:
    uow: Callable[[], AttributionUnitOfWork]


def context(request: Request) -> AttributionContext:
    ctx: AttributionContext = request.app.state.attribution
    return ctx


Ctx = Annotated[AttributionContext, Depends(context)]
