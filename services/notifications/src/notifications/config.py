"""notifications settings (`DEALFLOW_*` environment variables)."""

from pydantic import Field, SecretStr

from dealflow_libs.settings import CommonSettings, service_database_url


class NotificationsSettings(CommonSettings):
    notifications_database_url: SecretStr | None = None
    resend_api_base: str = Field(
        default="https://api.resend.com",
        description="Resend's API; make run and the tests point it at the emulator.",
    )
    run_dispatcher: bool = Field(default=True, description="Send in this process.")
    dispatch_concurrency: int = Field(
        default=128,
        ge=1,
        le=512,
        description="Sends in flight per instance (and kept-alive provider connections); 128 "
        "sends about 700 emails/s to a provider that answers at once, 32 about 430 "
        "(docs/performance.md). The provider's 429s and their Retry-After pace it.",
    )
    dispatch_poll_seconds: float = Field(default=0.5, gt=0)
    send_max_attempts: int = Field(default=3, ge=1, le=20)
    send_retry_base_seconds: float = Field(default=1.0, gt=0)
    sending_lease_seconds: float = Field(
        default=120.0, ge=5, description="A send left `sending` this long (a crash) is retried."
    )
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_tolerance_seconds: int = Field(default=300, ge=1)

    @property
    def own_database_url(self) -> str:
        return service_database_url(self, "notifications", self.notifications_database_url)
