"""Dedupe decisions for a batch: one claim per key, later deliveries become duplicates."""

import uuid
from datetime import UTC, datetime

import orjson

from dealflow_schemas.bookings import Provider
from ingest import samples
from ingest.domain.deliveries import (
    Delivery,
    KeyHolder,
    Verdict,
    interpret,
    key_claims,
    reject,
    settle,
)


def booking(uid: str, tenant_id: str = "acme"):
    body = samples.load("calcom_booking_created")
    body["payload"]["uid"] = uid
    delivery = Delivery(Provider.CALCOM, tenant_id, {}, orjson.dumps(body), datetime.now(UTC))
    assessment = interpret(delivery)
    assert assessment.verdict is Verdict.ACCEPTED
    return assessment


def test_one_claim_per_key_from_its_first_delivery_and_none_for_rejected_ones() -> None:
    first, again, other = booking("a"), booking("a"), booking("b")
    rejected = reject(first.delivery, Verdict.UNAUTHORIZED, "bad signature")
    claims = key_claims([rejected, first, again, other])
    assert [c.raw_event_id for c in claims] == [first.raw_event_id, other.raw_event_id]
    assert [c.event_id for c in claims] == [first.event_id, other.event_id]


def test_the_same_uid_for_two_tenants_is_two_keys() -> None:
    assert len(key_claims([booking("a", "acme"), booking("a", "globex")])) == 2


def test_deliveries_whose_key_someone_else_holds_become_its_duplicates() -> None:
    first, again, late = booking("a"), booking("a"), booking("c")
    earlier = KeyHolder(event_id=uuid.uuid4(), raw_event_id=uuid.uuid4())
    holders = {
        ("acme", first.dedupe_key): KeyHolder(first.event_id, first.raw_event_id),
        ("acme", late.dedupe_key): earlier,
    }
    settled = settle([first, again, late], holders)
    assert [a.verdict for a in settled] == [Verdict.ACCEPTED, Verdict.DUPLICATE, Verdict.DUPLICATE]
    assert [a.event_id for a in settled] == [first.event_id, first.event_id, earlier.event_id]
    assert settled[1].event is None
