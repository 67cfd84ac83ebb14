"""Subscribes a service to `dealflow.tenants.v1` and keeps its local tenant copy current."""

from collections.abc import Callable, Sequence

from dealflow_libs.consumer import Received
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.tenants import TenantAwareUnitOfWork, record_tenant_changes
from dealflow_schemas.tenants import TENANTS_TOPIC, TenantChanged


def subscribe_tenant_feed(
    runtime: ServiceRuntime, uow: Callable[[str], TenantAwareUnitOfWork]
) -> None:
    """`uow(consumer)` gives the service's unit of work claiming its inbox as `consumer`."""
    name = f"{runtime.service}-tenants"

    async def handle(items: Sequence[Received[TenantChanged]]) -> None:
        await record_tenant_changes(uow(name), [(i.id, i.event) for i in items])

    runtime.consume(
        name=name,
        topic=TENANTS_TOPIC,
        events=[TenantChanged],
        handler=handle,
        description="Keeps this service's copy of tenants (API keys, currency) current.",
    )
