"""What the crm_push API handlers get from the running service."""

from typing import Annotated

from fastapi import Depends, Request

from crm_push.connections import CrmPushContext
from dealflow_libs.api import RequestId, Tenant

__all__ = ["CrmPushContext", "Ctx", "RequestId", "Tenant"]


def context(request: Request) -> CrmPushContext:
    ctx: CrmPushContext = request.app.state.crm_push
    return ctx


Ctx = Annotated[CrmPushContext, Depends(context)]
