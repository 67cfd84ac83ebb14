"""Attribution settings (`DEALFLOW_*` environment variables)."""

from pydantic import SecretStr

from dealflow_libs.settings import CommonSettings, service_database_url


class AttributionSettings(CommonSettings):
    attribution_database_url: SecretStr | None = None

    @property
    def own_database_url(self) -> str:
        return service_database_url(self, "attribution", self.attribution_database_url)
