"""What the sink keeps of a message: its envelope, headers, text and HTML bodies, attachments
(with the text of calendar and other text parts, so tests can parse an .ics invite), and any
`text/calendar` part, attached or inline (RFC 6047 puts the invite in multipart/alternative)."""

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

_TEXT_TYPES = ("text/", "application/ics")


def describe(raw: bytes) -> dict[str, Any]:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[dict[str, Any]] = []
    calendars: list[dict[str, Any]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = part.get_filename()
        attached = part.is_attachment() or filename is not None
        if content_type == "text/calendar":
            calendars.append(
                {
                    "method": part.get_param("method"),
                    "attached": attached,
                    "filename": filename,
                    "text": _text(part),
                }
            )
        if attached:
            payload = _bytes(part)
            entry: dict[str, Any] = {
                "filename": filename,
                "content_type": part.get("content-type", content_type),
                "size": len(payload),
                "content_id": part.get("content-id"),
            }
            if content_type.startswith(_TEXT_TYPES) or (filename or "").lower().endswith(".ics"):
                entry["text"] = payload.decode(part.get_content_charset() or "utf-8", "replace")
            attachments.append(entry)
        elif content_type == "text/plain":
            texts.append(_text(part))
        elif content_type == "text/html":
            htmls.append(_text(part))
    return {
        "subject": message.get("subject"),
        "from": message.get("from"),
        "to": _all(message, "to"),
        "cc": _all(message, "cc"),
        "reply_to": message.get("reply-to"),
        "message_id": message.get("message-id"),
        "idempotency_key": message.get("resend-idempotency-key"),
        "headers": [[name, str(value)] for name, value in message.items()],
        "text": "\n".join(texts) if texts else None,
        "html": "\n".join(htmls) if htmls else None,
        "attachments": attachments,
        "calendars": calendars,
        "size": len(raw),
        "raw": raw.decode("utf-8", "replace"),
    }


def _bytes(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text(part: EmailMessage) -> str:
    return _bytes(part).decode(part.get_content_charset() or "utf-8", "replace")


def _all(message: EmailMessage, header: str) -> list[str]:
    return [str(value) for value in message.get_all(header, [])]
