"""Stored emails: what a send keeps, what `GET /emails/{id}` shows, and what the resend.dev
test addresses do (dashboard/emails/send-test-emails): `delivered@` is delivered, `bounced@`
bounces (SMTP 550 5.1.1), `complained@` is delivered then marked as spam, `suppressed@` is
suppressed; each but `suppressed@` also with a `+label`. Any other address is delivered."""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from dealflow_emulators.common import Record, iso_ms
from dealflow_emulators.resend.payload import address_of

TEST_DOMAIN = "resend.dev"
#: What `GET /emails/{id}` answers (api-reference/emails/retrieve-email); the stored record
#: (`/_emulator/state`) has more: headers, attachments, events, the idempotency key.
PUBLIC_FIELDS = (
    "object",
    "id",
    "message_id",
    "to",
    "from",
    "created_at",
    "subject",
    "html",
    "text",
    "bcc",
    "cc",
    "reply_to",
    "last_event",
    "scheduled_at",
    "tags",
)
BOUNCE = {
    "message": "The recipient's email provider rejected the message: 550 5.1.1 Unknown User.",
    "subType": "General",
    "type": "Permanent",
}
SUPPRESSED = {
    "message": "Resend has suppressed sending to this address because it is on the "
    "account-level suppression list (it bounced before).",
    "type": "OnAccountSuppressionList",
}


class Outcome(StrEnum):
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    SUPPRESSED = "suppressed"


def outcome_of(recipient: str) -> Outcome:
    address = (address_of(recipient) or recipient).lower()
    local, _, domain = address.rpartition("@")
    if domain != TEST_DOMAIN:
        return Outcome.DELIVERED
    if local == "suppressed":  # "does not support labeling yet"
        return Outcome.SUPPRESSED
    base = local.split("+", 1)[0]
    if base == "bounced":
        return Outcome.BOUNCED
    if base == "complained":
        return Outcome.COMPLAINED
    return Outcome.DELIVERED


def recipients(email: Record) -> list[str]:
    return [*email["to"], *email["cc"], *email["bcc"]]


def postgres_time(moment: datetime) -> str:
    """`2026-04-03 22:13:42.674981+00`, the way Resend writes an email's `created_at`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "+00"


def new_email(
    fields: dict[str, Any], *, now: datetime, endpoint: str, idempotency_key: str | None
) -> Record:
    email_id = str(uuid.uuid4())
    scheduled: datetime | None = fields["scheduled_at"]
    return {
        "object": "email",
        "id": email_id,
        "message_id": f"<{email_id}@emulator.{TEST_DOMAIN}>",
        **fields,
        "attachments": [
            {k: v for k, v in a.items() if k != "encoded_size"} for a in fields["attachments"]
        ],
        "scheduled_at": None if scheduled is None else iso_ms(scheduled),
        "created_at": postgres_time(now),
        "created_at_iso": iso_ms(now),
        "last_event": "queued",
        "events": [],
        "endpoint": endpoint,
        "idempotency_key": idempotency_key,
    }


def public_view(email: Record) -> dict[str, Any]:
    return {field: email[field] for field in PUBLIC_FIELDS}
