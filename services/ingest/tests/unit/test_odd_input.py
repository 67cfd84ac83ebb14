"""Property-style fuzz of verify + parse + normalize: odd strings, dates, numbers and keys put
anywhere in realistic deliveries. Whatever comes in, `assess` answers (no exception), and an
accepted delivery carries an event every service can store."""

import copy
import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from dealflow_schemas.bookings import BookingEvent, Provider
from dealflow_schemas.bounded import INT32_MAX, INT32_MIN, MAX_YEAR, MIN_YEAR
from ingest import samples
from ingest.domain.deliveries import Delivery, TenantSecrets, Verdict, assess
from ingest.domain.signatures import signed_headers

NOW = 1_750_000_000
RECEIVED = datetime.fromtimestamp(NOW, UTC)
TENANT = TenantSecrets("acme", ("cal-secret",), ("cly-secret",))
SECRET = {Provider.CALCOM: "cal-secret", Provider.CALENDLY: "cly-secret"}
SAMPLES = {name: Provider(name.split("_", 1)[0]) for name in samples.names()}

ODD_STRINGS = [
    "", " ", "\x00", "a\x00b", "x" * 300, "é" * 600, "y" * 10_001, "😀", "\u202e", "²", "٣",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:30:00+01:00", "1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z",
    "2025-02-30T10:00:00Z", "2025-01-01", "2025-01-01T00:00:00+24:00", "T", "null",
]  # fmt: skip
ODD_VALUES: list[Any] = [
    *ODD_STRINGS, 0, -1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63), 1e308, -1e308, 1.5,
    True, False, None, [], {}, {"a\x00": 1}, ["\x00"], [[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]],
]  # fmt: skip
ODD_KEYS = ["\x00", "k\x00", "k" * 600, "", "😀"]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every location in a JSON value: object keys and list indexes."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def mutate(body: dict[str, Any], rng: random.Random) -> None:
    for _ in range(rng.randint(1, 3)):
        *parent_path, last = rng.choice([p for p in paths(body) if p])
        parent: Any = body
        for step in parent_path:
            parent = parent[step]
        if isinstance(parent, dict) and rng.random() < 0.2:
            parent[rng.choice(ODD_KEYS)] = rng.choice(ODD_VALUES)
        else:
            parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))


def assert_storable(event: BookingEvent) -> None:
    """What meetings and PostgreSQL need of an event, checked independently of its model."""
    assert BookingEvent.model_validate_json(event.model_dump_json()) == event  # as consumed

    def walk(value: Any) -> None:
        if isinstance(value, str):
            assert "\x00" not in value
            value.encode()  # no lone surrogates
            assert len(value) <= 10_000
        elif isinstance(value, datetime):
            assert value.tzinfo is not None
            assert MIN_YEAR <= value.year <= MAX_YEAR
        elif isinstance(value, date):
            assert MIN_YEAR <= value.year <= MAX_YEAR
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(event.model_dump())
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
            assert_storable(assessment.event)
            assert "\x00" not in (assessment.dedupe_key or "")
        if assessment.status_code == 422:
            assert assessment.missing, assessment.error  # names the fields
    assert Verdict.INVALID in verdicts  # the generator does reach the bounds


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_samples_themselves_are_accepted_or_ignored(name: str) -> None:
    assert deliver(name, samples.load(name)).verdict in (Verdict.ACCEPTED, Verdict.IGNORED)
