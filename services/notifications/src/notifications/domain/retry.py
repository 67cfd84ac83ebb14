"""What to do after a send attempt failed: retry with backoff, wait for the quota, or give up.
Transports classify their failures (`Failure`); `RetryPolicy.next_step` is the one decision.

Resend's errors are classified on (status, name), never on the status alone: `validation_error`
comes with 400, 403 and (in older docs) 422, and 429 means a per-second limit (retry), a daily
quota (wait for 00:00 UTC) or a monthly one (hold for an operator) depending on the name.
A quota wait is not an attempt: the email is fine, the account is not.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any


class FailureClass(StrEnum):
    RETRYABLE = "retryable"
    PERMANENT = "permanent"
    DAILY_QUOTA = "daily_quota"
    MONTHLY_QUOTA = "monthly_quota"


#: In flight elsewhere, locked, rate-limited or failing on Resend's side: the same request can
#: succeed later (the Idempotency-Key keeps a retry from sending twice).
_RETRYABLE_NAMES = frozenset(
    {
        "rate_limit_exceeded",
        "concurrent_idempotent_requests",
        "resource_locked",
        "application_error",
        "internal_server_error",
        "service_unavailable",
    }
)
#: Names that are permanent whatever status carries them (409 invalid_idempotent_request: the
#: key was used with another body, so no retry of this body can ever succeed).
_PERMANENT_NAMES = frozenset(
    {"invalid_idempotent_request", "invalid_idempotency_key", "validation_error"}
)


@dataclass(frozen=True)
class SendFailure:
    """A failed attempt: the provider's answer, or no answer at all (`status` None: timeout,
    connection refused or reset)."""

    status: int | None
    name: str | None = None
    message: str | None = None
    retry_after_seconds: float | None = None

    @classmethod
    def from_response(
        cls, status: int, body: Any, headers: Mapping[str, str], *, now: datetime
    ) -> "SendFailure":
        """From an error answer: Resend's body is `{"statusCode", "name", "message"}`."""
        fields = body if isinstance(body, Mapping) else {}
        name, message = fields.get("name"), fields.get("message")
        return cls(
            status=status,
            name=name if isinstance(name, str) else None,
            message=message if isinstance(message, str) else None,
            retry_after_seconds=retry_after_seconds(headers, now=now),
        )


def classify(failure: SendFailure) -> FailureClass:
    """Retryable: 429 rate limit, 409 concurrent/locked, 5xx, 408 and no answer. Permanent: other
    4xx (400, 401, 403, 404, 405, 422, 409 invalid_idempotent_request). Quotas: their own."""
    if failure.name == "daily_quota_exceeded":
        return FailureClass.DAILY_QUOTA
    if failure.name == "monthly_quota_exceeded":
        return FailureClass.MONTHLY_QUOTA
    if failure.name in _PERMANENT_NAMES:
        return FailureClass.PERMANENT
    if failure.status is None or failure.name in _RETRYABLE_NAMES:
        return FailureClass.RETRYABLE
    if failure.status in (408, 429) or failure.status >= 500:
        return FailureClass.RETRYABLE
    return FailureClass.PERMANENT


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime) -> float | None:
    """`retry-after` (seconds or an HTTP date), else `ratelimit-reset` (seconds), else None."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after", "ratelimit-reset"):
        value = lowered.get(name, "").strip()
        if not value:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        if name == "retry-after":
            try:
                return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
            except (TypeError, ValueError):
                continue
    return None


class Failure(StrEnum):
    """What a failed attempt means, whatever transport made it (Resend, SMTP)."""

    RETRY = "retry"
    """429, 5xx, timeouts, concurrent idempotent requests: try again after `retry_after`."""
    QUOTA = "quota"
    """A daily quota: wait until `retry_at` (the quota's reset), not counted as an attempt."""
    REFUSED = "refused"
    """Validation, auth, a reused idempotency key with another body, a monthly quota (lifted
    only by someone raising it): retrying cannot help; parked, visible, resent by hand."""
    PACED = "paced"
    """Never sent: the account's per-second limit stayed used up for longer than a send may
    wait (`transports/pacing.py`): sent again at `retry_at`, not counted as an attempt."""


class Action(StrEnum):
    RETRY = "retry"
    GIVE_UP = "give_up"
    WAIT_FOR_QUOTA = "wait_for_quota"


@dataclass(frozen=True)
class NextStep:
    """`RETRY` and `WAIT_FOR_QUOTA` at `not_before`; `GIVE_UP` parks the send (visible, can be
    resent by hand). `counted`: whether the failed attempt counts towards `max_attempts`."""

    action: Action
    not_before: datetime | None
    counted: bool


def next_midnight_utc(now: datetime) -> datetime:
    """Resend's daily quota resets at 00:00 UTC (a calendar day, not a rolling 24 hours)."""
    tomorrow = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `max_attempts`, exponential backoff with jitter, never sooner than Retry-After."""

    max_attempts: int = 3
    base_seconds: float = 1.0
    cap_seconds: float = 60.0

    def delay_seconds(self, attempt: int, retry_after: float | None, *, jitter: float) -> float:
        """Seconds before attempt `attempt + 1`; `jitter` in [0, 1) spreads retries of many
        sends (half the backoff is fixed, half random); never sooner than `retry_after`."""
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        jittered = backoff / 2 + backoff / 2 * jitter
        return max(jittered, retry_after or 0.0)

    def next_step(
        self,
        failure: Failure,
        *,
        attempt: int,
        now: datetime,
        jitter: float,
        retry_after: float | None = None,
        retry_at: datetime | None = None,
    ) -> NextStep:
        """What follows attempt number `attempt` (1 for the first) failing with `failure`.
        A quota wait, or a send the pace held back, is not an attempt: the email is fine, the
        account is not."""
        match failure:
            case Failure.QUOTA:
                return NextStep(
                    Action.WAIT_FOR_QUOTA, retry_at or next_midnight_utc(now), counted=False
                )
            case Failure.REFUSED:
                return NextStep(Action.GIVE_UP, None, counted=True)
            case Failure.PACED:
                return NextStep(Action.RETRY, retry_at or now, counted=False)
        if attempt >= self.max_attempts:
            return NextStep(Action.GIVE_UP, None, counted=True)
        delay = self.delay_seconds(attempt, retry_after, jitter=jitter)
        return NextStep(Action.RETRY, now + timedelta(seconds=delay), counted=True)
