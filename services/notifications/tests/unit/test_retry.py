"""Resend failures: what is retried, what waits for the quota, what gives up at once."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifications.dispatch import storable
from notifications.domain.retry import (
    Action,
    Failure,
    FailureClass,
    RetryPolicy,
    SendFailure,
    classify,
    next_midnight_utc,
    retry_after_seconds,
)
from notifications.transports.resend import FAILURE_OF_CLASS

NOW = datetime(2025, 12, 9, 15, 30, tzinfo=UTC)
POLICY = RetryPolicy()


class TestClassify:
    @pytest.mark.parametrize(
        ("status", "name"),
        [
            (429, "rate_limit_exceeded"),
            (409, "concurrent_idempotent_requests"),
            (409, "resource_locked"),
            (500, "application_error"),
            (503, "service_unavailable"),
            (502, None),
            (504, "gateway timeout"),
            (429, None),
            (408, None),
            (None, None),  # timeout or connection error: no answer
        ],
    )
    def test_retryable(self, status: int | None, name: str | None) -> None:
        assert classify(SendFailure(status, name)) is FailureClass.RETRYABLE

    @pytest.mark.parametrize(
        ("status", "name"),
        [
            (400, "validation_error"),
            (400, "invalid_idempotency_key"),
            (401, "missing_api_key"),
            (401, "restricted_api_key"),
            (403, "validation_error"),
            (403, "invalid_permission"),
            (403, None),
            (404, "not_found"),
            (405, "method_not_allowed"),
            (409, "invalid_idempotent_request"),
            (422, "invalid_attachment"),
            (422, "missing_required_field"),
        ],
    )
    def test_permanent(self, status: int, name: str | None) -> None:
        assert classify(SendFailure(status, name)) is FailureClass.PERMANENT

    def test_quotas_are_told_apart_from_the_rate_limit_by_name(self) -> None:
        assert classify(SendFailure(429, "daily_quota_exceeded")) is FailureClass.DAILY_QUOTA
        assert classify(SendFailure(429, "monthly_quota_exceeded")) is FailureClass.MONTHLY_QUOTA


class TestNextStep:
    """The dispatcher's one decision after a failed attempt (transport-neutral `Failure`)."""

    def test_a_retryable_failure_is_retried_until_the_third_attempt(self) -> None:
        steps = [POLICY.next_step(Failure.RETRY, attempt=n, now=NOW, jitter=0.0) for n in (1, 2, 3)]
        assert [s.action for s in steps] == [Action.RETRY, Action.RETRY, Action.GIVE_UP]
        assert all(s.counted for s in steps)
        assert [s.not_before for s in steps] == [
            NOW + timedelta(seconds=0.5),
            NOW + timedelta(seconds=1),
            None,
        ]

    def test_backoff_doubles_and_jitter_stays_within_it(self) -> None:
        assert POLICY.delay_seconds(1, None, jitter=0.0) == 0.5
        assert POLICY.delay_seconds(1, None, jitter=0.999) < 1.0
        assert POLICY.delay_seconds(2, None, jitter=0.0) == 1.0
        assert RetryPolicy(cap_seconds=5).delay_seconds(10, None, jitter=0.0) == 2.5

    def test_retry_after_is_honoured_when_longer_than_the_backoff(self) -> None:
        step = POLICY.next_step(Failure.RETRY, attempt=1, now=NOW, jitter=0.5, retry_after=2.0)
        assert step.action is Action.RETRY
        assert step.not_before == NOW + timedelta(seconds=2)
        shorter = POLICY.next_step(Failure.RETRY, attempt=3 - 1, now=NOW, jitter=0, retry_after=0)
        assert shorter.not_before == NOW + timedelta(seconds=1)  # the backoff, not Retry-After 0

    def test_a_refused_send_gives_up_at_once(self) -> None:
        step = POLICY.next_step(Failure.REFUSED, attempt=1, now=NOW, jitter=0)
        assert (step.action, step.not_before, step.counted) == (Action.GIVE_UP, None, True)

    def test_a_quota_waits_for_its_reset_and_is_not_an_attempt(self) -> None:
        reset = datetime(2025, 12, 10, tzinfo=UTC)
        step = POLICY.next_step(Failure.QUOTA, attempt=3, now=NOW, jitter=0.0, retry_at=reset)
        assert (step.action, step.not_before, step.counted) == (
            Action.WAIT_FOR_QUOTA,
            reset,
            False,
        )
        unknown = POLICY.next_step(Failure.QUOTA, attempt=1, now=NOW, jitter=0.0)
        assert unknown.not_before == next_midnight_utc(NOW)

    def test_a_send_the_pace_held_back_goes_again_at_the_reset_and_is_not_an_attempt(
        self,
    ) -> None:
        reset = NOW + timedelta(seconds=4)
        step = POLICY.next_step(Failure.PACED, attempt=3, now=NOW, jitter=0.0, retry_at=reset)
        assert (step.action, step.not_before, step.counted) == (Action.RETRY, reset, False)

    def test_the_monthly_quota_is_refused_not_retried(self) -> None:
        """It lifts only when someone raises it: parked as failed, resent by hand."""
        monthly = SendFailure(429, "monthly_quota_exceeded")
        assert classify(monthly) is FailureClass.MONTHLY_QUOTA
        assert FAILURE_OF_CLASS[FailureClass.MONTHLY_QUOTA] is Failure.REFUSED

    def test_midnight_is_the_next_utc_calendar_day_whatever_the_zone_of_now(self) -> None:
        just_before = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
        assert next_midnight_utc(just_before) == datetime(2026, 1, 1, tzinfo=UTC)
        tokyo_morning = datetime(2025, 12, 10, 20, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
        assert next_midnight_utc(tokyo_morning) == datetime(2025, 12, 11, tzinfo=UTC)
        assert next_midnight_utc(datetime(2025, 12, 10, tzinfo=UTC)) == datetime(
            2025, 12, 11, tzinfo=UTC
        )


class TestFromResponse:
    def test_reads_resends_error_body_and_retry_after(self) -> None:
        failure = SendFailure.from_response(
            429,
            {"statusCode": 429, "name": "rate_limit_exceeded", "message": "Too many requests."},
            {"Retry-After": "2", "ratelimit-reset": "1"},
            now=NOW,
        )
        assert failure == SendFailure(429, "rate_limit_exceeded", "Too many requests.", 2.0)

    def test_a_body_that_is_not_resends_shape_still_classifies_on_status(self) -> None:
        failure = SendFailure.from_response(502, "<html>Bad gateway</html>", {}, now=NOW)
        assert failure == SendFailure(502)
        assert classify(failure) is FailureClass.RETRYABLE

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"retry-after": "3"}, 3.0),
            ({"retry-after": "1.5"}, 1.5),
            ({"retry-after": "Tue, 09 Dec 2025 15:30:10 GMT"}, 10.0),
            ({"retry-after": "Tue, 09 Dec 2025 15:00:00 GMT"}, 0.0),
            ({"retry-after": "soon", "ratelimit-reset": "4"}, 4.0),
            ({"ratelimit-reset": "4"}, 4.0),
            ({"retry-after": "-5"}, 0.0),
            ({}, None),
        ],
    )
    def test_retry_after_header_forms(self, headers: dict[str, str], expected: float) -> None:
        assert retry_after_seconds(headers, now=NOW) == expected


def test_a_providers_error_text_is_stored_without_nul_and_bounded() -> None:
    assert storable("bad\x00answer") == "badanswer"
    assert len(storable("x" * 5000)) == 1000
