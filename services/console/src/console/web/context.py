"""What request handlers get from the running console."""

from dataclasses import dataclass

from fastapi import Request

from console.config import ConsoleSettings
from console.db.repository import SessionStore
from console.services import ServiceApi


@dataclass
class ConsoleContext:
    settings: ConsoleSettings
    store: SessionStore
    api: ServiceApi


def context(request: Request) -> ConsoleContext:
    ctx: ConsoleContext = request.app.state.console
    return ctx
