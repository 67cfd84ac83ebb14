"""Touches: validation, the one journey order, and which touches may earn credit."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from attribution.domain.touches import (
    ActivityType,
    ExclusionReason,
    Touch,
    Window,
    select_eligible,
    unique_touches,
)

WON = datetime(2025, 6, 30, 12, tzinfo=UTC)


def touch(touch_id: str, at: datetime, kind: ActivityType = ActivityType.WEB_VISIT) -> Touch:
    return Touch(touch_id, "jane@acme.com", at, kind)


class TestTouch:
    def test_a_naive_timestamp_is_refused(self) -> None:
        with pytest.raises(ValueError, match="time-zone aware"):
            Touch("t1", "jane@acme.com", datetime(2025, 1, 1), ActivityType.CALL)

    def test_an_empty_touch_id_is_refused(self) -> None:
        with pytest.raises(ValueError, match="touch_id"):
            Touch("", "jane@acme.com", WON, ActivityType.CALL)

    def test_email_is_trimmed_and_lower_cased_and_type_parsed(self) -> None:
        made = Touch("t1", "  Jane@ACME.com ", WON, "call")  # type: ignore[arg-type]
        assert made.person_email == "jane@acme.com"
        assert made.activity_type is ActivityType.CALL

    def test_an_international_host_is_keyed_as_every_service_keys_it(self) -> None:
        # Ingest publishes bookings with this key, so a touch and a booking meet in a timeline.
        made = Touch("t1", "Anna@Bücher.de", WON, ActivityType.CALL)
        assert made.person_email == "anna@xn--bcher-kva.de"

    def test_every_activity_type_of_the_issue_exists(self) -> None:
        assert {t.value for t in ActivityType} == {
            "email_sent",
            "email_opened",
            "email_replied",
            "email_clicked",
            "linkedin_message",
            "linkedin_connect",
            "call",
            "sms",
            "web_visit",
            "ad_click",
            "form_submit",
            "event",
            "referral",
            "meeting_booked",
            "other",
        }


class TestOrder:
    def test_time_then_touch_id_across_time_zones(self) -> None:
        plus_two = timezone(timedelta(hours=2))
        same_instant = WON.astimezone(plus_two)
        touches = [touch("b", same_instant), touch("c", WON - timedelta(days=1)), touch("a", WON)]
        assert [t.touch_id for t in unique_touches(touches)] == ["c", "a", "b"]

    def test_the_same_touch_twice_counts_once(self) -> None:
        once = touch("t1", WON)
        assert unique_touches([once, touch("t1", WON)]) == [once]

    def test_one_touch_id_with_two_contents_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="different content"):
            unique_touches([touch("t1", WON), touch("t1", WON - timedelta(seconds=1))])


class TestEligibility:
    def test_a_touch_one_second_after_the_conversion_is_excluded_with_its_reason(self) -> None:
        found = select_eligible(
            [touch("late", WON + timedelta(seconds=1)), touch("on-time", WON)],
            conversion_at=WON,
            window=Window(),
        )
        assert [t.touch_id for t in found.eligible] == ["on-time"]
        [excluded] = found.excluded
        assert (excluded.touch.touch_id, excluded.reason) == ("late", "after_conversion")
        assert excluded.detail == "after conversion"

    def test_the_lookback_bound_is_inclusive(self) -> None:
        edge = WON - timedelta(days=90)
        found = select_eligible(
            [touch("edge", edge), touch("older", edge - timedelta(microseconds=1))],
            conversion_at=WON,
            window=Window(),
        )
        assert [t.touch_id for t in found.eligible] == ["edge"]
        assert found.excluded[0].reason is ExclusionReason.OUTSIDE_LOOKBACK
        assert found.excluded[0].detail == "outside 90-day lookback"

    def test_lookback_zero_means_no_limit(self) -> None:
        ancient = touch("ancient", WON - timedelta(days=3650))
        found = select_eligible([ancient], conversion_at=WON, window=Window(lookback_days=0))
        assert found.eligible == (ancient,)

    def test_a_tenant_lookback_of_thirty_days(self) -> None:
        found = select_eligible(
            [touch("t", WON - timedelta(days=31))], conversion_at=WON, window=Window(30)
        )
        assert found.excluded[0].detail == "outside 30-day lookback"

    def test_email_opens_are_excluded_unless_the_tenant_opts_in(self) -> None:
        opened = touch("open", WON, ActivityType.EMAIL_OPENED)
        default = select_eligible([opened], conversion_at=WON, window=Window())
        assert default.excluded[0].reason is ExclusionReason.TYPE_NOT_ELIGIBLE
        assert default.excluded[0].detail == "type not eligible: email_opened"
        opted_in = Window(ignored_activity_types=frozenset())
        assert select_eligible([opened], conversion_at=WON, window=opted_in).eligible == (opened,)

    def test_negative_lookback_and_naive_conversion_are_refused(self) -> None:
        with pytest.raises(ValueError, match="lookback"):
            Window(lookback_days=-1)
        with pytest.raises(ValueError, match="aware"):
            select_eligible([], conversion_at=datetime(2025, 1, 1), window=Window())
