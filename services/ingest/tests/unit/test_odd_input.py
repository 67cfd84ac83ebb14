"""Property-style fuzz of verify + parse + normalize: odd strings, dates, numbers and keys put
anywhere in realistic deliveries. Whatever comes in, `assess` answers (no exception), and an
accepted delivery carries an event every service can store."""

import copy
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from dealflow_libs.testing.odd_input import assert_storable, mutate
from dealflow_schemas.bookings import BookingEvent, Provider
from dealflow_schemas.bounded import INT32_MAX, INT32_MIN
from ingest import samples
from ingest.domain.deliveries import Delivery, TenantSecrets, Verdict, assess
from ingest.domain.signatures import signed_headers

NOW = 1_750_000_000
RECEIVED = datetime.fromtimestamp(NOW, UTC)
TENANT = TenantSecrets("acme", ("cal-secret",), ("cly-secret",))
SECRET = {Provider.CALCOM: "cal-secret", Provider.CALENDLY: "cly-secret"}
SAMPLES = {name: Provider(name.split("_", 1)[0]) for name in samples.names()}


def assert_storable_event(event: BookingEvent) -> None:
    """What meetings and PostgreSQL need of an event, checked independently of its model."""
    assert BookingEvent.model_validate_json(event.model_dump_json()) == event  # as consumed
    assert_storable(event)
    for uid in (event.booking_uid, event.previous_booking_uid, event.next_booking_uid):
        assert uid is None or len(uid.encode()) <= 1024  # indexed with the tenant id
    if event.primary_email is not None:
        assert len(event.primary_email.encode()) <= 1300  # indexed with the tenant id
    if event.start_time and event.end_time:
        minutes = (event.end_time - event.start_time).total_seconds() // 60
        assert INT32_MIN <= minutes <= INT32_MAX  # meetings.duration_minutes is an integer


def deliver(name: str, body: Any, *, tenant_id: str = "acme") -> Any:
    provider = SAMPLES[name]
    raw = json.dumps(body).encode()
    headers = signed_headers(provider.value, raw, SECRET[provider], timestamp=NOW)
    delivery = Delivery(provider, tenant_id, headers, raw, RECEIVED)
    return assess(delivery, TENANT, now=NOW)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_odd_values_anywhere_are_answered_and_accepted_events_are_storable(name: str) -> None:
    rng = random.Random(name)  # the same cases on every run
    verdicts: set[Verdict] = set()
    for _ in range(400):
        body = copy.deepcopy(samples.load(name))
        mutate(body, rng)
        assessment = deliver(name, body)
        verdicts.add(assessment.verdict)
        assert assessment.status_code in (200, 202, 400, 422), assessment
        if assessment.verdict is Verdict.ACCEPTED:
            assert assessment.event is not None
            assert_storable_event(assessment.event)
            assert "\x00" not in (assessment.dedupe_key or "")
        if assessment.status_code == 422:
            assert assessment.missing, assessment.error  # names the fields
    assert Verdict.INVALID in verdicts  # the generator does reach the bounds


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_samples_themselves_are_accepted_or_ignored(name: str) -> None:
    assert deliver(name, samples.load(name)).verdict in (Verdict.ACCEPTED, Verdict.IGNORED)
