"""Svix webhook signatures, as Resend signs its delivery events.

The signed content is `{svix-id}.{svix-timestamp}.{raw body}`, HMAC-SHA256 under the secret
(`whsec_` + base64 key); `svix-signature` lists one or more `v1,<base64>` (several while a
secret is being rotated), and any one matching is enough. A timestamp more than five minutes
from now either way is refused, so a captured delivery cannot be replayed later.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

#: The svix libraries' WEBHOOK_TOLERANCE_IN_SECONDS.
TOLERANCE = timedelta(minutes=5)
_PREFIX = "whsec_"


class InvalidSignature(ValueError):
    """The delivery is not provably from the provider: answer 400 and change nothing."""


def _key(secret: str) -> bytes:
    try:
        key = base64.b64decode(secret.removeprefix(_PREFIX), validate=True)
    except binascii.Error:
        key = b""
    if not key:
        raise ValueError("a webhook signing secret is whsec_ followed by a base64 key")
    return key


def checked_secret(secret: str) -> str:
    """`secret` if it is a usable signing secret; ValueError otherwise (check it when saved)."""
    _key(secret.strip())
    return secret.strip()


def _digest(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `svix-signature` value for a delivery (emulators and tests send signed events)."""
    digest = _digest(_key(secret), msg_id, str(timestamp), body)
    return f"v1,{base64.b64encode(digest).decode()}"


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime) -> str:
    """The delivery's `svix-id` (retries keep it: deduplicate on it) when `body` is signed
    with `secret` within the tolerance; raises InvalidSignature saying why otherwise.
    `body` must be the raw bytes received, before any JSON parsing."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id, stamp, signatures = (
        lowered.get("svix-id"),
        lowered.get("svix-timestamp"),
        lowered.get("svix-signature"),
    )
    if not msg_id or not stamp or not signatures:
        raise InvalidSignature("missing svix-id, svix-timestamp or svix-signature")
    try:
        sent_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidSignature("svix-timestamp is not unix seconds") from exc
    if sent_at < now - TOLERANCE:
        raise InvalidSignature("svix-timestamp too old")
    if sent_at > now + TOLERANCE:
        raise InvalidSignature("svix-timestamp too far in the future")
    expected = _digest(_key(secret), msg_id, stamp, body)
    for entry in signatures.split():
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue  # other schemes (v1a: asymmetric) are not ours to check
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(candidate, expected):
            return msg_id
    raise InvalidSignature("no matching v1 signature")
