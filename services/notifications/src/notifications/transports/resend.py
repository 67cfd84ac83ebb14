"""The Resend API (`POST /emails`), as documented: Bearer key, a User-Agent, the
Idempotency-Key, `{statusCode, name, message}` errors (notify_notion.md §1)."""

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from notifications import __version__ as version
from notifications.domain.retry import FailureClass, SendFailure, classify, next_midnight_utc
from notifications.transports.base import Accepted, Email, Failure, SendError
from notifications.transports.pacing import PaceTimeout, ProviderPace

USER_AGENT = f"dealflow-notifications/{version}"

FAILURE_OF_CLASS = {
    FailureClass.RETRYABLE: Failure.RETRY,
    FailureClass.DAILY_QUOTA: Failure.QUOTA,
    # The monthly quota lifts only when someone raises it: held as refused, resent by hand.
    FailureClass.MONTHLY_QUOTA: Failure.REFUSED,
    FailureClass.PERMANENT: Failure.REFUSED,
}


class ResendTransport:
    name = "resend"

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        pace: ProviderPace,
        *,
        pace_wait: float | None = None,
    ) -> None:
        self.client, self.base_url, self.api_key = client, base_url.rstrip("/"), api_key
        #: How long a send may wait for its turn: less than its `sending` lease, so that a
        #: send held back is never claimed again while it waits.
        self.pace, self.pace_wait = pace, pace_wait

    def body(self, email: Email) -> dict[str, Any]:
        body: dict[str, Any] = {
            "from": email.from_address,
            "to": list(email.to),
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
        }
        if email.reply_to:
            body["reply_to"] = email.reply_to
        if email.headers:
            body["headers"] = dict(email.headers)
        if email.attachments:
            body["attachments"] = [
                {
                    "filename": a.filename,
                    "content": base64.b64encode(a.content).decode(),
                    "content_type": a.content_type,
                }
                for a in email.attachments
            ]
        return body

    async def send(self, email: Email) -> Accepted:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": email.idempotency_key,
            "Content-Type": "application/json",
        }
        content = orjson.dumps(self.body(email))
        try:
            window = await self.pace.turn(self.pace_wait)
        except PaceTimeout as held:
            raise SendError(
                Failure.PACED,
                f"not sent: {held}",
                code="paced",
                retry_at=datetime.now(UTC) + timedelta(seconds=held.reset_in),
            ) from held
        started = time.perf_counter()
        response = None
        try:
            response = await self.client.post(
                f"{self.base_url}/emails", content=content, headers=headers
            )
        except httpx.TransportError as exc:
            took = round((time.perf_counter() - started) * 1000)
            raise SendError(
                Failure.RETRY,
                f"no answer from Resend: {type(exc).__name__}",
                code="timeout" if isinstance(exc, httpx.TimeoutException) else "connection_error",
                duration_ms=took,
            ) from exc
        finally:
            if response is None:
                self.pace.gave_up(window)
            else:
                self.pace.learn(response.headers, window)
        took = round((time.perf_counter() - started) * 1000)
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = {}
        if response.is_success:
            message_id = answer.get("id") if isinstance(answer, dict) else None
            return Accepted(message_id=message_id, status=response.status_code, duration_ms=took)
        now = datetime.now(UTC)
        failure = SendFailure.from_response(response.status_code, answer, response.headers, now=now)
        kind = FAILURE_OF_CLASS[classify(failure)]
        raise SendError(
            kind,
            f"Resend answered {response.status_code} {failure.name or ''}: "
            f"{failure.message or response.text[:200]}",
            status=response.status_code,
            code=failure.name,
            retry_after=failure.retry_after_seconds,
            retry_at=next_midnight_utc(now) if kind == Failure.QUOTA else None,
            duration_ms=took,
        )
