"""What `POST /emails` and each item of `POST /emails/batch` accept (api-reference/emails/
send-email): checked field by field in Resend's error names, turned into the stored email."""

import base64
import binascii
import mimetypes
import re
from datetime import datetime, timedelta
from typing import Any

from dealflow_emulators.resend.errors import (
    ResendError,
    invalid_attachment,
    missing_field,
    validation,
)

MAX_RECIPIENTS = 50
MAX_ATTACHMENT_BYTES = 40 * 1024 * 1024  # after base64, per email
MAX_SCHEDULE_AHEAD = timedelta(days=30)
_BARE = r"[^<>\s@\"]+@[^<>\s@\"]+\.[^<>\s@\"]+"
_ADDRESS = re.compile(rf"^\s*(?:(?P<bare>{_BARE})|(?P<name>[^<>]*?)\s*<(?P<inner>{_BARE})>)\s*$")
_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_IN = re.compile(r"^in\s+(\d+)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)$", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ADDRESS_FORMAT = (
    "The email address needs to follow the `email@example.com` or "
    "`Name <email@example.com>` format."
)
_TEXT_TYPES = ("text/", "application/ics")


def address_of(raw: str) -> str | None:
    """`jane@x.io` from `jane@x.io` or `Jane <jane@x.io>`; None when neither."""
    match = _ADDRESS.match(raw)
    if match is None:
        return None
    return match.group("bare") or match.group("inner")


def read_email(body: Any, now: datetime, *, in_batch: bool = False) -> dict[str, Any]:
    """The fields of one email, checked; raises `ResendError` on the first problem."""
    if not isinstance(body, dict):
        raise validation("The request body must be a JSON object.")
    for field in ("from", "to", "subject"):
        if body.get(field) in (None, "", []):
            raise missing_field(field)
    sender = body["from"]
    if not isinstance(sender, str) or address_of(sender) is None:
        raise validation(f"Invalid `from` field. {_ADDRESS_FORMAT}")
    if not isinstance(body["subject"], str):
        raise validation("Invalid `subject` field. It must be a string.")
    to = _addresses(body, "to")
    if len(to) > MAX_RECIPIENTS:
        raise validation(
            f"Invalid `to` field. Too many recipients: the maximum is {MAX_RECIPIENTS}."
        )
    template = body.get("template")
    if template is not None:
        if any(body.get(f) is not None for f in ("html", "text", "react")):
            raise validation("A `template` cannot be sent together with `html`, `text` or `react`.")
        if not isinstance(template, dict) or not isinstance(template.get("id"), str):
            raise missing_field("template.id")
    elif body.get("html") is None and body.get("text") is None:
        raise ResendError(422, "missing_required_field", "Missing `html` or `text` field.")
    for field in ("html", "text"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise validation(f"Invalid `{field}` field. It must be a string.")
    attachments = body.get("attachments")
    if in_batch and attachments:
        raise validation("The `attachments` field is not supported for batch emails.", 422)
    return {
        "from": sender,
        "to": to,
        "cc": _addresses(body, "cc"),
        "bcc": _addresses(body, "bcc"),
        "reply_to": _addresses(body, "reply_to"),
        "subject": body["subject"],
        "html": body.get("html"),
        "text": body.get("text"),
        "headers": _headers(body.get("headers")),
        "tags": _tags(body.get("tags")),
        "attachments": _attachments(attachments),
        "scheduled_at": schedule_time(body.get("scheduled_at"), now),
        "topic_id": body.get("topic_id"),
        "template": template,
    }


def schedule_time(raw: Any, now: datetime) -> datetime | None:
    """`in 5 min` or ISO 8601 (naive means UTC); at most 30 days ahead; None: send now."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise validation("Invalid `scheduled_at` field. It must be a string.")
    natural = _IN.match(raw.strip())
    if natural:
        amount, unit = int(natural.group(1)), natural.group(2)[0].lower()
        when = now + timedelta(seconds=amount * _UNIT_SECONDS[unit])
    else:
        try:
            when = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise validation(
                "Invalid `scheduled_at` field. Use natural language (e.g. `in 1 min`) or "
                "ISO 8601 (e.g. `2024-08-05T11:52:01.858Z`)."
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=now.tzinfo)
    if when - now > MAX_SCHEDULE_AHEAD:
        raise validation(
            "Invalid `scheduled_at` field. Emails can be scheduled up to 30 days ahead."
        )
    return when


def _addresses(body: dict[str, Any], field: str) -> list[str]:
    raw = body.get(field)
    if raw is None:
        return []
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise validation(f"Invalid `{field}` field. It must be a string or an array of strings.")
    for value in values:
        if address_of(value) is None:
            raise validation(f"Invalid `{field}` field. {_ADDRESS_FORMAT}")
    return list(values)


def _headers(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise validation("Invalid `headers` field. It must be an object of strings.")
    return dict(raw)


def _tags(raw: Any) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation("Invalid `tags` field. It must be an array of `{name, value}`.")
    tags = []
    for tag in raw:
        if not isinstance(tag, dict) or not isinstance(tag.get("name"), str):
            raise missing_field("tags.name")
        value = tag.get("value", "")
        for part in (tag["name"], value):
            if not isinstance(part, str) or not _TAG.match(part):
                raise validation(
                    "Invalid `tags` field. Tag names and values can only contain ASCII letters "
                    "(a-z, A-Z), numbers (0-9), underscores (_), or dashes (-), and can contain "
                    "no more than 256 characters."
                )
        tags.append({"name": tag["name"], "value": value})
    return tags


def _attachments(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_attachment("The `attachments` field must be an array.")
    read = [_attachment(item) for item in raw]
    if sum(a["encoded_size"] for a in read) > MAX_ATTACHMENT_BYTES:
        raise invalid_attachment("Attachments exceed 40MB per email (after Base64 encoding).")
    return read


def _attachment(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise invalid_attachment("Attachment must have either a `content` or `path`.")
    content, path = item.get("content"), item.get("path")
    if not content and not path:
        raise invalid_attachment("Attachment must have either a `content` or `path`.")
    filename = item.get("filename")
    if filename is not None and not isinstance(filename, str):
        raise invalid_attachment("The attachment `filename` must be a string.")
    content_type = item.get("content_type") or _guess_type(filename)
    described: dict[str, Any] = {
        "filename": filename,
        "content_type": content_type,
        "content_id": item.get("content_id"),
        "path": path,
        "size": None,
        "encoded_size": 0,
    }
    if content:
        if not isinstance(content, str):
            raise invalid_attachment("The attachment `content` must be a Base64 string.")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise invalid_attachment("The attachment `content` is not valid Base64.") from None
        described |= {"size": len(data), "encoded_size": len(content)}
        if _is_text(filename, content_type):
            described["text"] = data.decode("utf-8", "replace")
    return described


def _guess_type(filename: str | None) -> str:
    """Derived from the filename when not given, as Resend does."""
    if filename and filename.lower().endswith(".ics"):
        return "text/calendar"
    guessed = mimetypes.guess_type(filename or "")[0]
    return guessed or "application/octet-stream"


def _is_text(filename: str | None, content_type: str) -> bool:
    """Text attachments (an .ics invite above all) keep their text so tests can parse them."""
    return bool(filename and filename.lower().endswith(".ics")) or content_type.lower().startswith(
        _TEXT_TYPES
    )


__all__ = ["ResendError", "address_of", "read_email", "schedule_time"]
