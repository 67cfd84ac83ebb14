"""Tenant lookups for the hot path, cached briefly so a webhook costs no extra query."""

import time
from collections.abc import Callable

from ingest.domain.deliveries import TenantSecrets
from ingest.uow import IngestUnitOfWork

#: Unknown tenant ids are cached too (a flood of them must not become a flood of queries);
#: the caches are simply emptied when they grow past this.
MAX_CACHED = 10_000


class TenantDirectory:
    def __init__(self, uow_factory: Callable[[], IngestUnitOfWork], *, ttl_seconds: float) -> None:
        self._uow_factory = uow_factory
        self._ttl = ttl_seconds
        self._secrets: dict[str, tuple[float, TenantSecrets | None]] = {}
        self._keys: dict[str, tuple[float, str | None]] = {}

    async def secrets(self, tenant_id: str) -> TenantSecrets | None:
        cached = self._secrets.get(tenant_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id)
        found = (
            TenantSecrets(
                tenant_id=tenant.tenant_id,
                calcom_secrets=tuple(tenant.calcom_secrets),
                calendly_secrets=tuple(tenant.calendly_secrets),
                disabled=tenant.disabled,
            )
            if tenant
            else None
        )
        if len(self._secrets) >= MAX_CACHED:
            self._secrets.clear()
        self._secrets[tenant_id] = (time.monotonic() + self._ttl, found)
        return found

    async def tenant_for_key(self, key_hash: str) -> str | None:
        cached = self._keys.get(key_hash)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.by_api_key_hash(key_hash)
        tenant_id = tenant.tenant_id if tenant else None
        if len(self._keys) >= MAX_CACHED:
            self._keys.clear()
        self._keys[key_hash] = (time.monotonic() + self._ttl, tenant_id)
        return tenant_id

    def forget(self) -> None:
        self._secrets.clear()
        self._keys.clear()
