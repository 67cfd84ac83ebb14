"""crm_push settings (`DEALFLOW_*` environment variables)."""

from pydantic import Field, SecretStr

from crm_push.providers.batching import BATCH_WINDOW_SECONDS, DEFAULT_PUSH_CONCURRENCY
from dealflow_libs.settings import CommonSettings, service_database_url


class CrmPushSettings(CommonSettings):
    crm_push_database_url: SecretStr | None = None

    # Where each provider is reached: production values by default; local runs and tests point
    # them at the emulators (services/emulators).
    hubspot_api_base: str = "https://api.hubapi.com"
    hubspot_authorize_url: str = "https://app.hubspot.com/oauth/authorize"
    hubspot_client_id: str | None = Field(default=None, description="HubSpot public app id")
    hubspot_client_secret: SecretStr | None = None
    hubspot_redirect_uri: str = Field(
        default="http://127.0.0.1:8004/v1/crm/callback/hubspot",
        description="This service's OAuth callback as HubSpot reaches it (registered on the app).",
    )
    hubspot_scopes: str = (
        "crm.objects.contacts.read crm.objects.contacts.write crm.objects.companies.read "
        "crm.objects.companies.write crm.objects.deals.read crm.objects.deals.write "
        "crm.schemas.deals.read crm.schemas.deals.write crm.objects.owners.read"
    )
    oauth_state_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    console_url: str | None = Field(
        default=None,
        description="The console's base URL: the only place an OAuth callback sends the browser "
        "back to (`return_to` must be under it); unset, callbacks answer JSON only.",
    )
    pipedrive_api_base: str = "https://api.pipedrive.com"
    close_api_base: str = "https://api.close.com"
    notion_api_base: str = "https://api.notion.com"

    # The push worker.
    run_pushes: bool = Field(default=True, description="Run the push worker in this process.")
    push_concurrency: int = Field(
        default=DEFAULT_PUSH_CONCURRENCY,
        ge=1,
        le=1024,
        description="Pushes in flight per connection (HubSpot takes up to 100 of them per batch "
        "call; the connection's rate limit paces the calls whatever this is).",
    )
    batch_window_ms: float = Field(
        default=BATCH_WINDOW_SECONDS * 1000,
        ge=0,
        le=1000,
        description="How long a HubSpot batch call waits for the other pushes in flight to join "
        "it (one request for up to 100 pushes' contacts, companies, deals or meetings).",
    )
    push_max_attempts: int = Field(default=8, ge=1, le=50)
    push_retry_base_seconds: float = Field(default=1.0, gt=0)
    push_retry_cap_seconds: float = Field(default=300.0, gt=0)
    push_poll_seconds: float = Field(default=1.0, gt=0)
    push_lease_seconds: float = Field(default=30.0, ge=2)
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    breaker_threshold: int = Field(default=5, ge=1)
    breaker_cooldown_seconds: float = Field(default=5.0, gt=0)
    breaker_max_cooldown_seconds: float = Field(default=120.0, gt=0)
    token_refresh_margin_seconds: int = Field(
        default=300, description="Refresh an OAuth token expiring within this many seconds."
    )

    @property
    def own_database_url(self) -> str:
        return service_database_url(self, "crm_push", self.crm_push_database_url)
