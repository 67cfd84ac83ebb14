"""Svix signatures on Resend's delivery events, and what those events say."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from notifications.domain.delivery import (
    DeliveryType,
    MalformedDeliveryEvent,
    delivery_after,
    parse_delivery_event,
)
from notifications.domain.svix import InvalidSignature, checked_secret, sign, verify

SECRET = "whsec_" + base64.b64encode(b"resend-webhook-signing-key-32byt").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"some-other-tenants-signing-key!!").decode()
NOW = datetime(2026, 11, 22, 23, 41, 12, tzinfo=UTC)
BODY = b'{"type": "email.delivered", "data": {"email_id": "56761188"}}'


def signed(
    body: bytes = BODY, *, secret: str = SECRET, at: datetime = NOW, msg_id: str = "msg_1"
) -> dict[str, str]:
    stamp = int(at.timestamp())
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(stamp),
        "svix-signature": sign(secret, msg_id=msg_id, timestamp=stamp, body=body),
    }


class TestVerify:
    def test_svix_documented_example_verifies(self) -> None:
        # The example in Svix's documentation and libraries: an independent check of the scheme.
        headers = {
            "svix-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "svix-timestamp": "1614265330",
            "svix-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        }
        at = datetime.fromtimestamp(1614265330, tz=UTC)
        body = b'{"test": 2432232314}'
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        assert verify(secret, headers, body, now=at) == "msg_p5jXN8AQM9LWM0D4loKWxJek"

    def test_a_valid_delivery_gives_its_id(self) -> None:
        assert verify(SECRET, signed(), BODY, now=NOW) == "msg_1"

    def test_header_names_are_case_insensitive(self) -> None:
        headers = {k.title(): v for k, v in signed().items()}
        assert verify(SECRET, headers, BODY, now=NOW) == "msg_1"

    def test_the_wrong_secret_is_refused(self) -> None:
        with pytest.raises(InvalidSignature, match="no matching v1 signature"):
            verify(OTHER_SECRET, signed(), BODY, now=NOW)

    def test_a_tampered_body_is_refused(self) -> None:
        with pytest.raises(InvalidSignature):
            verify(SECRET, signed(), BODY.replace(b"delivered", b"bounced"), now=NOW)

    def test_a_changed_id_is_refused(self) -> None:
        headers = signed() | {"svix-id": "msg_2"}
        with pytest.raises(InvalidSignature):
            verify(SECRET, headers, BODY, now=NOW)

    @pytest.mark.parametrize("skew", [timedelta(minutes=5), timedelta(minutes=-5)])
    def test_five_minutes_either_way_is_accepted(self, skew: timedelta) -> None:
        assert verify(SECRET, signed(at=NOW + skew), BODY, now=NOW) == "msg_1"

    def test_too_old_is_refused(self) -> None:
        with pytest.raises(InvalidSignature, match="too old"):
            verify(SECRET, signed(at=NOW - timedelta(minutes=5, seconds=1)), BODY, now=NOW)

    def test_too_new_is_refused(self) -> None:
        with pytest.raises(InvalidSignature, match="future"):
            verify(SECRET, signed(at=NOW + timedelta(minutes=5, seconds=1)), BODY, now=NOW)

    def test_any_one_of_several_signatures_is_enough(self) -> None:
        # During a secret rotation Svix signs with both; other schemes and junk are skipped.
        good = signed()["svix-signature"]
        stale = signed(secret=OTHER_SECRET)["svix-signature"]
        headers = signed() | {"svix-signature": f"v1a,abc {stale} v1,!!notb64 {good}"}
        assert verify(SECRET, headers, BODY, now=NOW) == "msg_1"

    def test_only_v1_signatures_count(self) -> None:
        good = signed()["svix-signature"].removeprefix("v1,")
        headers = signed() | {"svix-signature": f"v2,{good}"}
        with pytest.raises(InvalidSignature):
            verify(SECRET, headers, BODY, now=NOW)

    @pytest.mark.parametrize("missing", ["svix-id", "svix-timestamp", "svix-signature"])
    def test_missing_headers_are_refused(self, missing: str) -> None:
        headers = {k: v for k, v in signed().items() if k != missing}
        with pytest.raises(InvalidSignature, match="missing"):
            verify(SECRET, headers, BODY, now=NOW)

    def test_a_timestamp_that_is_no_number_is_refused(self) -> None:
        with pytest.raises(InvalidSignature, match="unix seconds"):
            verify(SECRET, signed() | {"svix-timestamp": "yesterday"}, BODY, now=NOW)

    def test_secrets_are_checked_when_saved(self) -> None:
        assert checked_secret(f" {SECRET} ") == SECRET
        for bad in ("whsec_", "whsec_not base64!", ""):
            with pytest.raises(ValueError, match="whsec_"):
                checked_secret(bad)


def bounced(**data: object) -> dict[str, object]:
    """The documented example of an `email.bounced` event."""
    return {
        "type": "email.bounced",
        "created_at": "2026-11-22T23:41:12.126Z",
        "data": {
            "created_at": "2026-11-22T23:41:11.894Z",
            "email_id": "56761188-7520-42d8-8898-ff6fc54ce618",
            "from": "Acme <onboarding@resend.dev>",
            "to": ["Delivered@Resend.dev"],
            "subject": "Sending this example",
            "bounce": {"message": "mailbox unknown", "subType": "Suppressed", "type": "Permanent"},
            "tags": {"category": "confirm_email"},
        }
        | data,
    }


class TestDeliveryEvents:
    def test_a_bounce_names_the_email_the_recipients_and_when(self) -> None:
        event = parse_delivery_event(json.loads(json.dumps(bounced())))
        assert event is not None
        assert event.type is DeliveryType.BOUNCED
        assert event.email_id == "56761188-7520-42d8-8898-ff6fc54ce618"
        assert event.recipients == ("delivered@resend.dev",)
        assert event.at == datetime(2026, 11, 22, 23, 41, 12, 126000, tzinfo=UTC)
        assert event.detail == "mailbox unknown"
        assert event.suppresses

    def test_a_complaint_suppresses_a_delivery_does_not(self) -> None:
        complained = parse_delivery_event({**bounced(), "type": "email.complained"})
        delivered = parse_delivery_event({**bounced(bounce=None), "type": "email.delivered"})
        assert complained is not None
        assert complained.suppresses
        assert delivered is not None
        assert not delivered.suppresses

    def test_a_transient_bounce_does_not_suppress(self) -> None:
        soft = parse_delivery_event(bounced(bounce={"type": "Transient", "message": "full"}))
        assert soft is not None
        assert not soft.suppresses

    def test_a_failure_carries_its_reason(self) -> None:
        failed = parse_delivery_event(
            {
                **bounced(bounce=None, failed={"reason": "reached_daily_quota"}),
                "type": "email.failed",
            }
        )
        assert failed is not None
        assert failed.detail == "reached_daily_quota"
        assert not failed.suppresses

    def test_types_this_service_does_not_track_are_ignored(self) -> None:
        assert parse_delivery_event({"type": "domain.updated", "data": {}}) is None
        assert parse_delivery_event({"type": "email.some_new_kind", "data": {}}) is None

    @pytest.mark.parametrize(
        "payload",
        [
            [],
            {"type": "email.delivered"},
            {"type": "email.delivered", "data": {"to": ["a@b.com"]}},
            {"type": "email.delivered", "data": {"email_id": "x"}},
            {"type": "email.delivered", "created_at": "yesterday", "data": {"email_id": "x"}},
        ],
    )
    def test_a_broken_body_is_malformed(self, payload: object) -> None:
        with pytest.raises(MalformedDeliveryEvent):
            parse_delivery_event(payload)


def test_events_recorded_before_the_send_apply_in_any_order_and_only_forward() -> None:
    assert delivery_after(None, ["email.delivered", "email.sent"]) == "delivered"
    assert delivery_after(None, ["email.sent", "email.bounced", "email.opened"]) == "bounced"
    assert delivery_after("opened", ["email.delivered"]) == "opened"
    assert delivery_after(None, ["malformed: no data"]) is None
