"""What request handlers get from the running service."""

from collections.abc import Callable
from dataclasses import dataclass

from dealflow_libs.auth import authenticate
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


async def tenant_of(request: Request) -> str:
    return await authenticate(request, context(request).tenants.tenant_for_key)
