"""What the notifications API handlers get from the running service."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from dealflow_libs.api import RequestId, Tenant
from dealflow_libs.secretbox import SecretBox
from notifications.config import NotificationsSettings
from notifications.uow import NotificationsUnitOfWork

__all__ = ["Ctx", "NotificationsContext", "RequestId", "Tenant"]


@dataclass
class NotificationsContext:
    uow: Callable[[], NotificationsUnitOfWork]
    box: SecretBox
    settings: NotificationsSettings
    nudge: Callable[[], None]


def context(request: Request) -> NotificationsContext:
    ctx: NotificationsContext = request.app.state.notifications
    return ctx


Ctx = Annotated[NotificationsContext, Depends(context)]
