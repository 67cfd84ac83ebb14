"""Tenant lookups for the hot path, cached briefly so a webhook costs no extra query.

When an entry expires under load, one lookup refreshes it and concurrent requests wait for
that one (no stampede of identical queries).
"""

from collections.abc import Callable

from dealflow_libs.cache import SingleFlightCache
from ingest import credentials
from ingest.domain.deliveries import TenantSecrets
from ingest.uow import IngestUnitOfWork


class TenantDirectory:
    def __init__(self, uow_factory: Callable[[], IngestUnitOfWork], *, ttl_seconds: float) -> None:
        self._uow_factory = uow_factory
        self._secrets: SingleFlightCache[TenantSecrets | None] = SingleFlightCache(ttl_seconds)
        self._keys: SingleFlightCache[str | None] = SingleFlightCache(ttl_seconds)

    async def secrets(self, tenant_id: str) -> TenantSecrets | None:
        return await self._secrets.get(tenant_id, lambda: self._load_secrets(tenant_id))

    async def tenant_for(self, key_hash: str) -> str | None:
        return await self._keys.get(key_hash, lambda: self._load_key(key_hash))

    async def _load_secrets(self, tenant_id: str) -> TenantSecrets | None:
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id)
        if tenant is None:
            return None
        box = uow.secrets
        return TenantSecrets(
            tenant_id=tenant.tenant_id,
            calcom_secrets=tuple(
                credentials.open_all(box, tenant.tenant_id, "calcom", tenant.calcom_secrets)
            ),
            calendly_secrets=tuple(
                credentials.open_all(box, tenant.tenant_id, "calendly", tenant.calendly_secrets)
            ),
            disabled=tenant.disabled,
        )

    async def _load_key(self, key_hash: str) -> str | None:
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.by_api_key_hash(key_hash)
        return tenant.tenant_id if tenant else None
