"""Subscribes a service to `dealflow.tenants.v1` and keeps its local tenant copy current."""

from collections.abc import Callable, Sequence

from dealflow_libs.consumer import Incoming
from dealflow_libs.errors import PermanentError
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.tenants import TenantAwareUnitOfWork, record_tenant_changes
from dealflow_schemas.tenants import TENANTS_TOPIC, TenantChanged


def parse_tenant_changed(item: Incoming) -> TenantChanged:
    if item.envelope.type != TenantChanged.ce_type:
        raise PermanentError(f"unexpected event type {item.envelope.type} on {item.topic}")
    event: TenantChanged = TenantChanged.model_validate_json(item.envelope.data)
    if event.tenant_id != item.envelope.tenant_id:
        raise PermanentError("body tenant_id differs from the ce_tenantid header")
    return event


def subscribe_tenant_feed(
    runtime: ServiceRuntime, uow: Callable[[str], TenantAwareUnitOfWork]
) -> None:
    """`uow(consumer)` gives the service's unit of work claiming its inbox as `consumer`."""
    name = f"{runtime.service}-tenants"

    async def handle(items: Sequence[Incoming]) -> None:
        await record_tenant_changes(
            uow(name), [(i.envelope.id, parse_tenant_changed(i)) for i in items]
        )

    runtime.consume(
        name=name,
        topic=TENANTS_TOPIC,
        payload=TenantChanged,
        handler=handle,
        description="Keeps this service's copy of tenants (API keys, currency) current.",
    )
