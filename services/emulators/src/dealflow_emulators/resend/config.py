"""The Resend emulator's knobs (`PATCH /_emulator/config`)."""

import base64
import binascii

from pydantic import Field, field_validator

from dealflow_emulators.common import EmulatorConfig

#: The seeded API key (`Authorization: Bearer re_dev_api_key`).
DEV_API_KEY = "re_dev_api_key"
#: The seeded webhook signing secret: `whsec_` + base64 of 32 bytes, as Resend hands them out.
DEV_WEBHOOK_SECRET = "whsec_ZGVhbGZsb3ctZGV2LXJlc2VuZC13ZWJob29rLWtleSE="  # noqa: S105 - dev fixture
#: Resend's retry schedule after a failed delivery (retries-and-replays): 5 s, 5 min, 30 min,
#: 2 h, 5 h, 10 h, 10 h.
DOCUMENTED_RETRY_DELAYS = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]


class ResendConfig(EmulatorConfig):
    api_keys: list[str] = Field(default_factory=lambda: [DEV_API_KEY])
    # "10 requests per second per team", across all of its keys (api-reference/rate-limit).
    rate_limit: int | None = Field(default=10, ge=1, description="requests per window; off")
    rate_limit_interval_ms: int = Field(default=1000, ge=1)
    daily_quota: int | None = Field(
        default=None, ge=0, description="emails per UTC day (free plan); None: no daily quota"
    )
    monthly_quota: int | None = Field(
        default=None, ge=0, description="emails per UTC calendar month; None: no monthly quota"
    )
    idempotency_ttl_seconds: float = Field(default=86_400, gt=0, description="keys kept 24 h")
    send_delay_ms: int = Field(
        default=0,
        ge=0,
        description="how long a send stays in flight before it is accepted (a duplicate with "
        "the same Idempotency-Key meanwhile is 409 concurrent_idempotent_requests)",
    )
    verified_domains: list[str] | None = Field(
        default=None,
        description="sender domains that may send (None: every domain counts as verified); "
        "another `from` domain is 403 validation_error, as for an unverified domain",
    )
    account_email: str = Field(
        default="owner@example.com",
        description="the account owner's address: the only one a resend.dev sender may reach "
        "besides the resend.dev test addresses",
    )
    webhook_url: str | None = Field(default=None, description="where delivery events are POSTed")
    webhook_secret: str = Field(default=DEV_WEBHOOK_SECRET, description="whsec_<base64 key>")
    webhook_retry_delays_seconds: list[float] = Field(
        default_factory=lambda: list(DOCUMENTED_RETRY_DELAYS),
        description="waits before each retry of a failed delivery (Resend's schedule)",
    )
    webhook_timeout_seconds: float = Field(default=15.0, gt=0)

    @field_validator("webhook_secret")
    @classmethod
    def _svix_secret(cls, value: str) -> str:
        signing_key(value)
        return value

    @field_validator("verified_domains")
    @classmethod
    def _lower(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [d.lower() for d in value]


def signing_key(secret: str) -> bytes:
    """The HMAC key of a Svix secret: the base64 after `whsec_`."""
    if not secret.startswith("whsec_"):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret is whsec_ followed by base64") from exc
