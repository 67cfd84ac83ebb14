"""A tenant's notification settings as stored: sender routing, template overrides and the
transport (Resend or SMTP). Secrets (API key, SMTP password, webhook signing secret) are sealed
at rest (secretbox, context `notifications:<tenant>:<field>`) and only opened to send."""

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.engine import RowMapping

from dealflow_libs.secretbox import SecretBox
from dealflow_schemas.notifications import NotificationTransport
from notifications.domain.senders import SenderTable

Secret = Annotated[str, StringConstraints(min_length=4, max_length=4096, strip_whitespace=True)]
Host = Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)]


class ResendSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["resend"] = "resend"
    api_key: Secret = Field(description="re_... (stored sealed, answered masked)")
    webhook_secret: Secret | None = Field(
        default=None, description="whsec_... that signs Resend's delivery webhooks."
    )


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["smtp"] = "smtp"
    host: Host
    port: int = Field(default=587, ge=1, le=65535)
    username: Annotated[str, StringConstraints(max_length=320)] | None = None
    password: Secret | None = None
    start_tls: bool | None = Field(
        default=None, description="True/False to force; null lets the server's EHLO decide."
    )


TransportSettings = Annotated[ResendSettings | SmtpSettings, Field(discriminator="kind")]
SECRET_FIELDS = ("api_key", "webhook_secret", "password")


@dataclass(frozen=True)
class StoredTransport:
    """The transport as stored: secret fields sealed."""

    kind: NotificationTransport
    values: dict[str, Any]

    def opened(self, box: SecretBox, tenant_id: str) -> ResendSettings | SmtpSettings:
        plain = {
            k: (box.open(v, context=_context(tenant_id, k)) if k in SECRET_FIELDS and v else v)
            for k, v in self.values.items()
        }
        if self.kind == NotificationTransport.SMTP:
            return SmtpSettings.model_validate(plain)
        return ResendSettings.model_validate(plain)

    def masked(self) -> dict[str, Any]:
        return {k: ("****" if k in SECRET_FIELDS and v else v) for k, v in self.values.items()}


def _context(tenant_id: str, name: str) -> str:
    return f"notifications:{tenant_id}:{name}"


def seal_transport(
    box: SecretBox, tenant_id: str, settings: ResendSettings | SmtpSettings
) -> dict[str, Any]:
    values = settings.model_dump(mode="json")
    return {
        k: (box.seal(v, context=_context(tenant_id, k)) if k in SECRET_FIELDS and v else v)
        for k, v in values.items()
    }


@dataclass(frozen=True)
class TenantConfig:
    senders: SenderTable | None = None
    templates: dict[str, Any] = field(default_factory=dict)
    transport: StoredTransport | None = None


def tenant_config(row: RowMapping | None) -> TenantConfig:
    if row is None:
        return TenantConfig()
    transport = row["transport"]
    return TenantConfig(
        senders=SenderTable.model_validate(row["senders"]) if row["senders"] else None,
        templates=dict(row["templates"] or {}),
        transport=StoredTransport(NotificationTransport(transport["kind"]), dict(transport))
        if transport
        else None,
    )
