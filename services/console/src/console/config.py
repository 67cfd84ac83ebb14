"""Console settings (`DEALFLOW_*` environment variables)."""

from pydantic import Field, SecretStr

from dealflow_libs.settings import CommonSettings, service_database_url


class ConsoleSettings(CommonSettings):
    console_database_url: SecretStr | None = None
    ingest_url: str = "http://127.0.0.1:8000"
    meetings_url: str = "http://127.0.0.1:8001"
    deals_url: str = "http://127.0.0.1:8002"
    attribution_url: str = "http://127.0.0.1:8003"
    crm_push_url: str = "http://127.0.0.1:8004"
    notifications_url: str = "http://127.0.0.1:8005"
    console_url: str = Field(
        "http://127.0.0.1:8080",
        description="Where browsers reach the console: a CRM's OAuth consent returns here "
        "(crm_push accepts only pages under its own DEALFLOW_CONSOLE_URL).",
    )
    session_hours: float = Field(12, gt=0, description="How long a sign-in lasts.")
    cookie_secure: bool = Field(
        False, description="Send the session cookie over HTTPS only (set behind TLS)."
    )
    service_timeout_seconds: float = Field(10, gt=0, description="Per call to a service.")
    refresh_seconds: float = Field(
        5, gt=0, description="How often the board and the meetings list look for changes."
    )

    @property
    def own_database_url(self) -> str:
        return service_database_url(self, "console", self.console_database_url)

    def service_urls(self) -> dict[str, str]:
        return {
            "ingest": self.ingest_url,
            "meetings": self.meetings_url,
            "deals": self.deals_url,
            "attribution": self.attribution_url,
            "crm_push": self.crm_push_url,
            "notifications": self.notifications_url,
        }
