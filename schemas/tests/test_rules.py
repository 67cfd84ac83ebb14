"""Rules carried by the contracts: what an upcoming meeting is, which deal stages are closed."""

from datetime import UTC, datetime, timedelta

import pytest

from dealflow_schemas.deals import CLOSED_STAGES, DealStage
from dealflow_schemas.meetings import MeetingStatus, is_upcoming
from dealflow_schemas.tenants import DEFAULT_CURRENCY, TenantChanged

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class TestUpcoming:
    def test_a_scheduled_meeting_starting_later_is_upcoming(self) -> None:
        assert is_upcoming(MeetingStatus.SCHEDULED, NOW + timedelta(minutes=1), NOW)

    @pytest.mark.parametrize(
        ("status", "start"),
        [
            (MeetingStatus.SCHEDULED, NOW),
            (MeetingStatus.SCHEDULED, NOW - timedelta(minutes=1)),
            (MeetingStatus.SCHEDULED, None),
            (MeetingStatus.CANCELLED, NOW + timedelta(days=1)),
            (MeetingStatus.COMPLETED, NOW + timedelta(days=1)),
        ],
    )
    def test_anything_else_is_not(self, status: MeetingStatus, start: datetime | None) -> None:
        assert not is_upcoming(status, start, NOW)

    def test_a_status_stored_as_text_reads_the_same(self) -> None:
        # Deals keeps the status it learned from events as text; the rule accepts both forms.
        assert is_upcoming("scheduled", NOW + timedelta(hours=1), NOW)
        assert not is_upcoming("cancelled", NOW + timedelta(hours=1), NOW)


def test_closed_stages_are_won_and_lost() -> None:
    assert set(CLOSED_STAGES) == {DealStage.CLOSED_WON, DealStage.CLOSED_LOST}


def test_a_tenant_without_a_currency_has_the_default_one() -> None:
    event = TenantChanged(tenant_id="t", name="T", api_key_hashes=[], changed_at=NOW)
    assert event.default_currency == DEFAULT_CURRENCY
