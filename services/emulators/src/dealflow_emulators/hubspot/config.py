"""HubSpot emulator knobs (see `EmulatorConfig` for the shared ones)."""

from pydantic import Field

from dealflow_emulators.common import EmulatorConfig


class HubSpotConfig(EmulatorConfig):
    access_token_ttl_seconds: int = Field(default=1800, ge=1)  # §1.1: 30 minutes
    # §1.5: 190 per 10 s for Professional/Enterprise private apps, per token here.
    rate_limit: int | None = Field(default=190, ge=1)
    rate_limit_interval_ms: int = Field(default=10_000, ge=1)
    search_rate_per_second: int | None = Field(
        default=None, ge=1, description="CRM search's own limit (HubSpot: about 5/s); off"
    )
    daily_limit: int | None = Field(
        default=None, ge=1, description="calls per token per day (HubSpot: 250,000+); off"
    )
    search_lag_seconds: float = Field(
        default=0.0, ge=0, description="a new or updated contact stays out of search this long"
    )
    strict_properties: bool = Field(
        default=False,
        description="writes of unknown or read-only properties are refused, as HubSpot does",
    )
    hub_id: int = 12345678
    hub_domain: str = "dealflow-dev.hubspot.example"
    api_keys: list[str] = Field(
        default_factory=lambda: ["pat-na1-dealflow-dev"], description="private-app tokens"
    )
