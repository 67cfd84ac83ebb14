"""What a transport is given and answers, whatever carries the email."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from notifications.domain.retry import Failure

__all__ = ["Accepted", "Attachment", "Email", "Failure", "SendError", "Transport"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Email:
    from_address: str
    to: tuple[str, ...]
    subject: str
    html: str
    text: str
    idempotency_key: str
    """Derived from the logical send: a provider that honours it sends one email however often
    it is asked (a crash between its answer and our commit asks again)."""
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Accepted:
    message_id: str | None
    status: int | None
    duration_ms: int


class SendError(Exception):
    def __init__(
        self,
        failure: Failure,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        retry_at: datetime | None = None,
        duration_ms: int = 0,
    ) -> None:
        super().__init__(message)
        self.failure, self.message = failure, message
        self.status, self.code = status, code
        self.retry_after, self.retry_at = retry_after, retry_at
        self.duration_ms = duration_ms


class Transport(Protocol):
    name: str

    async def send(self, email: Email) -> Accepted:
        """Hands the email over; raises SendError."""
        ...
