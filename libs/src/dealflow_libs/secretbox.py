"""Credentials at rest: AES-256-GCM with a key ring from settings, so keys can be rotated.

A sealed value reads `v1:<key id>:<base64url(nonce | ciphertext | tag)>`. The first key of the
ring seals; every key of the ring opens, so rotation is: put the new key first, re-seal what is
stored (each service's `reseal` command), then drop the old key. The associated data binds a
sealed value to where it belongs (e.g. tenant and field), so a value copied into another row
does not open.
"""

import base64
import binascii
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"
_NONCE_BYTES = 12


class SecretBoxError(ValueError):
    """A key ring that cannot be read, or a sealed value no key of the ring opens."""


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretBoxError("not base64url") from exc


def new_key_spec(key_id: str | None = None) -> str:
    """A fresh `<id>:<base64url key>` entry for DEALFLOW_SECRET_KEYS."""
    key = base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode().rstrip("=")
    return f"{key_id or secrets.token_hex(4)}:{key}"


@dataclass(frozen=True)
class SecretBox:
    """Seals and opens short secrets (webhook signing keys, CRM tokens, API keys of others)."""

    keys: tuple[tuple[str, AESGCM], ...]

    @classmethod
    def from_spec(cls, spec: str) -> "SecretBox":
        """Reads `id1:key1,id2:key2` (base64url 32-byte keys); the first entry seals."""
        entries = [e.strip() for e in spec.split(",") if e.strip()]
        if not entries:
            raise SecretBoxError("the key ring is empty: set DEALFLOW_SECRET_KEYS")
        keys: list[tuple[str, AESGCM]] = []
        for entry in entries:
            key_id, sep, encoded = entry.partition(":")
            if not sep or not key_id or ":" in encoded:
                raise SecretBoxError("each key ring entry must read '<id>:<base64url key>'")
            raw = _b64decode(encoded)
            if len(raw) != 32:
                raise SecretBoxError(f"key {key_id!r} must be 32 bytes, not {len(raw)}")
            if key_id in (k for k, _ in keys):
                raise SecretBoxError(f"key id {key_id!r} appears twice in the key ring")
            keys.append((key_id, AESGCM(raw)))
        return cls(tuple(keys))

    @property
    def primary_key_id(self) -> str:
        return self.keys[0][0]

    def seal(self, plaintext: str, *, context: str) -> str:
        key_id, aead = self.keys[0]
        nonce = os.urandom(_NONCE_BYTES)
        sealed = aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def open(self, sealed: str, *, context: str) -> str:
        prefix, _, rest = sealed.partition(":")
        key_id, _, payload = rest.partition(":")
        if prefix != PREFIX or not key_id or not payload:
            raise SecretBoxError("not a sealed value")
        aead = dict(self.keys).get(key_id)
        if aead is None:
            raise SecretBoxError(f"sealed with key {key_id!r}, which is not in the key ring")
        raw = _b64decode(payload)
        try:
            return aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode()
        except InvalidTag as exc:
            raise SecretBoxError("sealed value does not open (wrong key or context)") from exc

    def is_current(self, sealed: str) -> bool:
        """True when `sealed` was sealed with the primary key (nothing to re-seal)."""
        return sealed.startswith(f"{PREFIX}:{self.primary_key_id}:")

    def seal_all(self, values: Iterable[str], *, context: str) -> list[str]:
        return [self.seal(v, context=context) for v in values]

    def open_all(self, values: Iterable[str], *, context: str) -> list[str]:
        return [self.open(v, context=context) for v in values]

    def reseal_all(self, values: Iterable[str], *, context: str) -> list[str]:
        """Re-seals with the primary key what an older key of the ring sealed."""
        return [
            v if self.is_current(v) else self.seal(self.open(v, context=context), context=context)
            for v in values
        ]
