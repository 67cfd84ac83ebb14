"""What request handlers get from the running service."""

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from ingest.config import IngestSettings
from ingest.recorder import DeliveryRecorder
from ingest.tenants import TenantDirectory
from ingest.uow import IngestUnitOfWork


@dataclass
class IngestContext:
    settings: IngestSettings
    recorder: DeliveryRecorder
    tenants: TenantDirectory
    uow: Callable[[], IngestUnitOfWork]


def context(request: Request) -> IngestContext:
    ctx: IngestContext = request.app.state.ingest
    return ctx
