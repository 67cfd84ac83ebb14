"""Delivery events POSTed to the configured `webhook_url`, signed as Svix signs them
(webhooks/verify-webhooks-requests): headers `svix-id`, `svix-timestamp` (Unix seconds) and
`svix-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the base64
after `whsec_`. A failed delivery is retried on Resend's schedule with the same `svix-id` (and
body), re-signed with the time of each attempt. Deliveries are kept in the `webhooks` collection
(`/_emulator/state`), each with its attempts."""

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import string
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from dealflow_emulators.common import Collection, EmulatorClock, Record, iso_ms
from dealflow_emulators.resend.config import ResendConfig, signing_key

USER_AGENT = "Svix-Webhooks/1.0 (dealflow resend emulator)"
_ALPHABET = string.ascii_letters + string.digits
_IDLE_POLL_SECONDS = 0.1


def sign(secret: str, svix_id: str, timestamp: int, body: str) -> str:
    signed = f"{svix_id}.{timestamp}.{body}".encode()
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def new_svix_id() -> str:
    return "msg_" + "".join(secrets.choice(_ALPHABET) for _ in range(27))


class WebhookDispatcher:
    """Sends deliveries in the order they were queued; a failed one waits for its next try on
    the emulator's clock (so moving the clock forward brings retries on)."""

    def __init__(
        self, deliveries: Collection, clock: EmulatorClock, config: Callable[[], ResendConfig]
    ) -> None:
        self.deliveries = deliveries
        self.clock = clock
        self._config = config
        self._worker: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        # Deliveries still to be tried, so the worker never scans the finished ones.
        self._waiting: dict[str, Record] = {}

    # -- queueing --------------------------------------------------------------------------------

    def enabled(self) -> bool:
        return self._config().webhook_url is not None

    def queue(self, event_type: str, email: Record, data: dict[str, Any]) -> Record | None:
        """A delivery of `event_type` about `email`, sent by the worker; None when no
        webhook_url is set."""
        delivery = self.create(event_type, email, data)
        if delivery is not None:
            self.wake()
        return delivery

    def wake(self) -> None:
        self._start_worker()
        self._wake.set()

    def create(self, event_type: str, email: Record, data: dict[str, Any]) -> Record | None:
        url = self._config().webhook_url
        if url is None:
            return None
        now = self.clock.now()
        payload = {"type": event_type, "created_at": iso_ms(now), "data": data}
        svix_id = new_svix_id()
        self._waiting[svix_id] = self.deliveries.put(
            svix_id,
            {
                "svix_id": svix_id,
                "seq": self.deliveries.new_id(),
                "type": event_type,
                "email_id": email["id"],
                "url": url,
                "payload": payload,
                "body": json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                "status": "pending",
                "next_attempt_at": iso_ms(now),
                "attempts": [],
            },
        )
        return self._waiting[svix_id]

    # -- sending ---------------------------------------------------------------------------------

    async def attempt(
        self, delivery: Record, *, replay: bool = False, timestamp_offset: int = 0
    ) -> bool:
        """One POST; records it; a failure schedules the next try (not for a replay). The
        signature's timestamp is real time (what a receiver's tolerance window compares with),
        moved by `timestamp_offset` seconds to produce a stale but well-signed event."""
        config = self._config()
        timestamp = int(time.time()) + timestamp_offset
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "svix-id": delivery["svix_id"],
            "svix-timestamp": str(timestamp),
            "svix-signature": sign(
                config.webhook_secret, delivery["svix_id"], timestamp, delivery["body"]
            ),
        }
        if delivery["status"] == "pending":
            delivery["status"] = "sending"  # the worker leaves it alone meanwhile
        started = time.perf_counter()
        record: dict[str, Any] = {"at": iso_ms(self.clock.now()), "svix_timestamp": timestamp}
        if replay:
            record["replay"] = True
        try:
            async with httpx.AsyncClient(timeout=config.webhook_timeout_seconds) as http:
                answer = await http.post(
                    delivery["url"], content=delivery["body"].encode(), headers=headers
                )
            record["status_code"] = answer.status_code
            ok = answer.is_success
        except httpx.HTTPError as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            ok = False
        record["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
        delivery["attempts"].append(record)
        if ok:
            delivery["status"], delivery["next_attempt_at"] = "succeeded", None
            self._waiting.pop(delivery["svix_id"], None)
        elif not replay:
            self._after_failure(delivery, config)
        elif delivery["status"] == "sending":
            delivery["status"] = "pending"
        return ok

    def _after_failure(self, delivery: Record, config: ResendConfig) -> None:
        failures = sum(1 for a in delivery["attempts"] if not a.get("replay"))
        delays = config.webhook_retry_delays_seconds
        if failures > len(delays):
            delivery["status"], delivery["next_attempt_at"] = "failed", None
            self._waiting.pop(delivery["svix_id"], None)
            return
        delay = timedelta(seconds=delays[failures - 1])
        delivery["status"] = "pending"
        delivery["next_attempt_at"] = iso_ms(self.clock.now() + delay)

    def _due(self) -> list[Record]:
        now = iso_ms(self.clock.now())
        due = [
            d
            for d in self._waiting.values()
            if d["status"] == "pending"
            and d["next_attempt_at"] is not None
            and d["next_attempt_at"] <= now
        ]
        return sorted(due, key=lambda d: d["seq"])

    def _start_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        while True:
            due = self._due()
            for delivery in due:
                if delivery["status"] == "pending":  # a manual send may have taken it meanwhile
                    await self.attempt(delivery)
            if not due:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), _IDLE_POLL_SECONDS)

    def cancel(self) -> None:
        """Stop and forget what was waiting (a reset)."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        self._waiting.clear()


def event_data(email: Record, to: list[str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `data` of an email event: the email's identity, the impacted recipients, tags as an
    object (on send they are an array of `{name, value}`)."""
    return {
        "created_at": email["created_at_iso"],
        "email_id": email["id"],
        "message_id": email["message_id"],
        "from": email["from"],
        "to": to,
        "subject": email["subject"],
        "tags": {t["name"]: t["value"] for t in email["tags"]},
        **(extra or {}),
    }


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
