"""SMTP (aiosmtplib): for tenants who send through their own mail server. The Message-ID is
derived from the logical send, so a receiving system can recognise a repeat; SMTP itself has no
idempotency, so a crash between the server's 250 and our commit can send twice (Resend's
Idempotency-Key covers that case; SMTP cannot)."""

import hashlib
import time
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from notifications.transports.base import Accepted, Email, Failure, SendError


def message_of(email: Email) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.from_address
    message["To"] = ", ".join(email.to)
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    digest = hashlib.sha256(email.idempotency_key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@dealflow>"
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    for name, value in email.headers:
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *pairs = (part.strip() for part in rest.split(";"))
        params = dict(pair.split("=", 1) for pair in pairs if "=" in pair)  # method=REQUEST
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    return message


class SmtpTransport:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.start_tls, self.timeout = start_tls, timeout

    async def send(self, email: Email) -> Accepted:
        message = message_of(email)
        started = time.perf_counter()
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.start_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            took = round((time.perf_counter() - started) * 1000)
            # 4xx replies are transient by RFC 5321; 5xx (bad address, auth) are not.
            failure = Failure.RETRY if 400 <= exc.code < 500 else Failure.REFUSED
            raise SendError(
                failure,
                f"SMTP {exc.code}: {exc.message}",
                status=exc.code,
                code=f"smtp_{exc.code}",
                duration_ms=took,
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            took = round((time.perf_counter() - started) * 1000)
            raise SendError(
                Failure.RETRY,
                f"SMTP server unreachable: {type(exc).__name__}",
                code="connection_error",
                duration_ms=took,
            ) from exc
        took = round((time.perf_counter() - started) * 1000)
        return Accepted(message_id=str(message["Message-ID"]), status=250, duration_ms=took)
