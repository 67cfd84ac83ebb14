"""`Idempotency-Key` (dashboard/emails/idempotency-keys): a key is kept 24 hours per method and
endpoint; the same body within that window gets the original answer without a second send, a
different body is 409 `invalid_idempotent_request`, a request arriving while the first is still
in flight is 409 `concurrent_idempotent_requests`. Only accepted sends are remembered: a refused
one (4xx, 5xx) did not send anything, so the key stays free (notify_notion.md §1.3)."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dealflow_emulators.common import EmulatorClock, iso_ms
from dealflow_emulators.resend.errors import ResendError

MAX_KEY_LENGTH = 256


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class _Held:
    fingerprint: str
    at: datetime
    answer: Answer | None = None  # None while the first request is in flight


def fingerprint(body: Any) -> str:
    """The body as data: key order and whitespace do not make it a different request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyBook:
    def __init__(self, clock: EmulatorClock, ttl_seconds: Callable[[], float]) -> None:
        self.clock = clock
        self._ttl_seconds = ttl_seconds  # the config's, read each time (it can be patched)
        self._held: dict[tuple[str, str], _Held] = {}

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self._ttl_seconds())

    @staticmethod
    def check_key(key: str) -> None:
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise ResendError(
                400,
                "invalid_idempotency_key",
                "Idempotency keys, if present, must have between 1 and 256 characters.",
            )

    def begin(self, scope: str, key: str, body_fingerprint: str) -> Answer | None:
        """The original answer to replay, or None when this request goes ahead (and holds the
        key until `finish` or `abandon`)."""
        now = self.clock.now()
        held = self._held.get((scope, key))
        if held is not None and now - held.at >= self.ttl:
            held = None  # expired: the key is free again
        if held is None:
            self._held[(scope, key)] = _Held(body_fingerprint, now)
            return None
        if held.answer is None:
            raise ResendError(
                409,
                "concurrent_idempotent_requests",
                "There is another request in progress with the same idempotency key.",
            )
        if held.fingerprint != body_fingerprint:
            raise ResendError(
                409,
                "invalid_idempotent_request",
                "This idempotency key has been used with this HTTP method and endpoint within "
                "the last 24 hours, but the request body was modified and doesn't match the "
                "original request.",
            )
        return held.answer

    def finish(self, scope: str, key: str, answer: Answer) -> None:
        held = self._held.get((scope, key))
        if held is not None:
            held.answer = answer

    def abandon(self, scope: str, key: str) -> None:
        held = self._held.get((scope, key))
        if held is not None and held.answer is None:
            del self._held[(scope, key)]

    def describe(self) -> list[dict[str, Any]]:
        now, ttl = self.clock.now(), self.ttl
        return [
            {
                "scope": scope,
                "key": key,
                "at": iso_ms(held.at),
                "expires_at": iso_ms(held.at + ttl),
                "expired": now - held.at >= ttl,
                "in_flight": held.answer is None,
                "status": None if held.answer is None else held.answer.status,
            }
            for (scope, key), held in self._held.items()
        ]

    def clear(self) -> None:
        self._held.clear()
