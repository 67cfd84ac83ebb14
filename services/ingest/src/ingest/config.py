"""Ingest settings (`DEALFLOW_*` environment variables)."""

from pydantic import Field, SecretStr

from dealflow_libs.settings import CommonSettings, service_database_url


class IngestSettings(CommonSettings):
    ingest_database_url: SecretStr | None = None
    calendly_tolerance_seconds: int = Field(default=180, ge=1)
    max_body_bytes: int = 1024 * 1024
    recorder_max_batch: int = 500
    recorder_flushers: int = 2
    tenant_cache_seconds: float = 5.0

    @property
    def own_database_url(self) -> str:
        return service_database_url(self, "ingest", self.ingest_database_url)
