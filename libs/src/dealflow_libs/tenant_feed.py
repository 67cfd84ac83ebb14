"""Subscribes a service to `dealflow.tenants.v1` and keeps its local tenant copy current."""

from collections.abc import Sequence

from sqlalchemy import Table

from dealflow_libs.consumer import Incoming
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.tenants import apply_tenant_changes
from dealflow_schemas.tenants import TENANTS_TOPIC, TenantChanged


def subscribe_tenant_feed(runtime: ServiceRuntime, table: Table) -> None:
    async def handle(items: Sequence[Incoming]) -> None:
        events = [
            TenantChanged.model_validate_json(i.envelope.data)
            for i in items
            if i.envelope.type == TenantChanged.ce_type
        ]
        async with runtime.sessions() as session, session.begin():
            await apply_tenant_changes(session, table, events)

    runtime.consume(
        name=f"{runtime.service}-tenants",
        topic=TENANTS_TOPIC,
        payload=TenantChanged,
        handler=handle,
        description="Keeps this service's copy of tenants (API keys, currency) current.",
    )
