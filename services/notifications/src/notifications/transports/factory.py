"""The transport a tenant's settings name, and the email a send row becomes."""

import httpx

from dealflow_libs.secretbox import SecretBox
from notifications.domain.model import Send
from notifications.settings_store import SmtpSettings, StoredTransport
from notifications.transports.base import Attachment, Email, Transport
from notifications.transports.pacing import ProviderPace
from notifications.transports.resend import ResendTransport
from notifications.transports.smtp import SmtpTransport


class TransportFactory:
    def __init__(
        self,
        client: httpx.AsyncClient,
        resend_base: str,
        box: SecretBox,
        *,
        pace_wait: float | None = None,
    ) -> None:
        self.client, self.resend_base, self.box = client, resend_base, box
        self.pace_wait = pace_wait
        #: Per tenant and API key: Resend's limit is its team's, across its sends in flight.
        self._paces: dict[tuple[str, str], ProviderPace] = {}

    def for_tenant(self, tenant_id: str, stored: StoredTransport) -> Transport:
        settings = stored.opened(self.box, tenant_id)
        if isinstance(settings, SmtpSettings):
            return SmtpTransport(
                settings.host,
                settings.port,
                username=settings.username,
                password=settings.password,
                start_tls=settings.start_tls,
            )
        pace = self._paces.setdefault((tenant_id, settings.api_key), ProviderPace())
        return ResendTransport(
            self.client, self.resend_base, settings.api_key, pace, pace_wait=self.pace_wait
        )


def ics_method(ics: str) -> str:
    for line in ics.splitlines():
        if line.upper().startswith("METHOD:"):
            return line.split(":", 1)[1].strip().upper()
    return "PUBLISH"


def email_of(send: Send, recipients: list[str]) -> Email:
    attachments: tuple[Attachment, ...] = ()
    if send.ics:
        attachments = (
            Attachment(
                filename="invite.ics",
                content=send.ics.encode(),
                content_type=f"text/calendar; method={ics_method(send.ics)}; charset=UTF-8",
            ),
        )
    return Email(
        from_address=send.from_address,
        to=tuple(recipients),
        subject=send.subject,
        html=send.html,
        text=send.text,
        idempotency_key=send.idempotency_key,
        reply_to=send.reply_to,
        attachments=attachments,
    )
