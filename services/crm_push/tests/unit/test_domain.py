"""Pure rules of crm_push: mapping, owner choice, planning, retry, breaker, token bucket, state."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_push import oauth_state
from crm_push.domain.breaker import BreakerState, CircuitBreaker
from crm_push.domain.config import CrmConfig, FieldMapping, NotionMapping, RateLimit
from crm_push.domain.mapping import (
    choose_owner,
    deal_record,
    local_date,
    meeting_activity,
    meeting_contact,
    meeting_state,
    notion_update,
)
from crm_push.domain.model import Connection, Operation, PushStatus
from crm_push.domain.planning import NO_CRM, plan_pushes
from crm_push.domain.ratelimit import TokenBucket
from crm_push.domain.retry import RetryPolicy
from crm_push.providers.base import CrmUser, DealState, MeetingState, Provider
from crm_push.providers.transport import FailureKind, ProviderError
from dealflow_libs.secretbox import SecretBox, new_key_spec
from dealflow_libs.testing.factories import deal_event, meeting_attributed, meeting_event
from dealflow_schemas.crm import ConnectionStatus, PushTarget
from dealflow_schemas.deals import DealCreated, DealLost, DealStage, DealStatus, DealWon, LostReason
from dealflow_schemas.meetings import (
    MeetingBooked,
    MeetingCancelled,
    MeetingNoShow,
    MeetingOutcome,
    MeetingStatus,
    ReminderDue,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
USERS = [CrmUser("7", "Rep@Dealflow.dev", "Rep"), CrmUser("8", "other@dealflow.dev")]


class TestOwner:
    def test_the_host_owns_when_a_crm_user_has_the_hosts_email(self) -> None:
        owner = choose_owner("rep@dealflow.dev", USERS, "8")
        assert owner.crm_user_id == "7"
        assert "host rep@dealflow.dev is a CRM user" in owner.reason

    def test_the_default_owns_when_the_host_is_no_crm_user_and_the_reason_says_so(self) -> None:
        owner = choose_owner("stranger@x.com", USERS, "8")
        assert owner.crm_user_id == "8"
        assert "stranger@x.com is no CRM user" in owner.reason

    def test_no_owner_without_a_match_or_a_default(self) -> None:
        assert choose_owner(None, USERS, None).crm_user_id is None


class TestMeetingMapping:
    def test_contact_carries_name_company_and_the_mapped_fields_only(self) -> None:
        event = meeting_event(
            MeetingBooked, email="jamie@acme-widgets.co.uk", company_domain="acme-widgets.co.uk"
        )
        config = CrmConfig(field_mapping=FieldMapping(contact={"utm_source": "lead_source"}))
        contact = meeting_contact(event.meeting, config)
        assert contact is not None
        assert (contact.email, contact.first_name) == ("jamie@acme-widgets.co.uk", "Jamie")
        assert contact.company is not None
        assert contact.company.name == "Acme Widgets"
        assert dict(contact.properties) == {"lead_source": "linkedin"}

    def test_a_personal_email_has_no_company(self) -> None:
        event = meeting_event(MeetingBooked, email="jamie@gmail.com", company_domain=None)
        contact = meeting_contact(event.meeting, CrmConfig())
        assert contact is not None
        assert contact.company is None

    def test_the_journey_fills_attribution_fields_the_snapshot_lacks(self) -> None:
        event = meeting_event(MeetingBooked)
        journey = meeting_attributed(meeting_id=event.meeting_id, first_channel="Paid Search")
        config = CrmConfig(
            field_mapping=FieldMapping(
                contact={"first_touch_channel": "ftc", "touches_before_booking": "tbb"}
            )
        )
        contact = meeting_contact(event.meeting, config, journey)
        assert contact is not None
        assert dict(contact.properties) == {
            "ftc": "Paid Search",
            "tbb": "3",
        }

    @pytest.mark.parametrize(
        ("status", "showed_up", "count", "expected"),
        [
            (MeetingStatus.SCHEDULED, None, 0, MeetingState.SCHEDULED),
            (MeetingStatus.SCHEDULED, None, 2, MeetingState.RESCHEDULED),
            (MeetingStatus.CANCELLED, None, 0, MeetingState.CANCELLED),
            (MeetingStatus.SCHEDULED, False, 0, MeetingState.NO_SHOW),
            (MeetingStatus.COMPLETED, True, 0, MeetingState.COMPLETED),
        ],
    )
    def test_state(self, status, showed_up, count, expected) -> None:  # type: ignore[no-untyped-def]
        event = meeting_event(
            MeetingBooked, status=status, showed_up=showed_up, rescheduled_count=count
        )
        assert meeting_state(event.meeting) == expected

    def test_activity_notes_say_how_it_went(self) -> None:
        event = meeting_event(
            MeetingNoShow,
            showed_up=False,
            no_show_reason="ghosted",
            meeting_outcome=MeetingOutcome.NO_SHOW,
        )
        activity = meeting_activity(event.meeting, choose_owner(None, [], "8"))
        assert activity is not None
        assert activity.state == MeetingState.NO_SHOW
        assert activity.owner_id == "8"
        assert activity.notes is not None
        assert "No-show: ghosted" in activity.notes

    def test_a_meeting_without_a_time_has_no_activity(self) -> None:
        event = meeting_event(MeetingBooked, scheduled_at=None, ends_at=None)
        assert meeting_activity(event.meeting, choose_owner(None, [], None)) is None


class TestDealMapping:
    def test_a_new_deal_starts_in_the_mapped_stage_or_the_configured_start(self) -> None:
        config = CrmConfig(new_deal_stage_id="s-start", stage_mapping={DealStage.MET: "s-met"})
        owner = choose_owner(None, [], None)
        booked = deal_event(DealCreated).deal
        met = deal_event(DealCreated, stage=DealStage.MET).deal
        assert deal_record(booked, None, config, owner, is_new=True).stage_id == "s-start"
        assert deal_record(booked, None, config, owner, is_new=False).stage_id is None
        assert deal_record(met, None, config, owner, is_new=False).stage_id == "s-met"

    def test_won_carries_value_and_lost_its_reason(self) -> None:
        owner = choose_owner(None, [], None)
        won = deal_event(
            DealWon, stage=DealStage.CLOSED_WON, status=DealStatus.WON, value=Decimal("1500.00")
        ).deal
        record = deal_record(won, None, CrmConfig(), owner, is_new=False)
        assert (record.state, record.value, record.stage_id) == (
            DealState.WON,
            Decimal("1500.00"),
            None,
        )
        lost = deal_event(
            DealLost,
            stage=DealStage.CLOSED_LOST,
            status=DealStatus.LOST,
            lost_reason=LostReason.NO_BUDGET,
            extra={"reason": LostReason.NO_BUDGET},
        ).deal
        assert deal_record(lost, None, CrmConfig(), owner, is_new=False).lost_reason == "no_budget"

    def test_a_cancelled_deal_is_lost_in_the_crm(self) -> None:
        deal = deal_event(DealCreated, status=DealStatus.CANCELLED).deal
        record = deal_record(
            deal,
            None,
            CrmConfig(stage_mapping={DealStage.CLOSED_LOST: "x"}),
            choose_owner(None, [], None),
            is_new=False,
        )
        assert (record.state, record.stage_id, record.lost_reason) == (
            DealState.LOST,
            "x",
            "cancelled",
        )


class TestNotion:
    def test_booked_sets_the_pre_call_defaults_with_the_attendees_local_date(self) -> None:
        late = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)  # still Dec 2 in New York
        event = meeting_event(
            MeetingBooked,
            start=late,
            attendees=[{"email": "jamie@acme.com", "time_zone": "America/New_York"}],
        )
        types = {
            "Booking Status": "select",
            "Diagnostic Call Date": "date",
            "Christmas Campaign Status": "status",
            "Email": "email",
        }
        update = notion_update(event.meeting, NotionMapping(), types)
        assert update is not None
        values = {k: (v.kind, v.value) for k, v in update.properties.items()}
        assert values == {
            "Booking Status": ("select", "Booked"),
            "Diagnostic Call Date": ("date", "2026-12-02"),
            "Christmas Campaign Status": ("status", "Pre-Call Prep"),
        }

    def test_cancelled_sets_not_booked(self) -> None:
        event = meeting_event(MeetingCancelled, status=MeetingStatus.CANCELLED)
        update = notion_update(event.meeting, NotionMapping(), {"Booking Status": "select"})
        assert update is not None
        assert update.properties["Booking Status"].value == "Not Booked"

    def test_local_date_falls_back_to_utc_for_an_unknown_zone(self) -> None:
        assert local_date(datetime(2026, 1, 1, 23, tzinfo=UTC), "Mars/Olympus") == "2026-01-01"


def _connection(target: PushTarget, provider: Provider, status: ConnectionStatus) -> Connection:
    return Connection(
        tenant_id="demo", target=target, provider=provider, status=status, updated_at=NOW
    )


class TestPlanning:
    def test_without_a_crm_a_push_is_skipped_with_the_reason(self) -> None:
        (push,) = plan_pushes("e1", meeting_event(MeetingBooked), {}, NOW)
        assert (push.status, push.reason, push.provider) == (PushStatus.SKIPPED, NO_CRM, None)
        assert push.completed_at == NOW

    def test_a_meeting_goes_to_the_crm_and_to_notion(self) -> None:
        connections = {
            PushTarget.CRM: _connection(
                PushTarget.CRM, Provider.HUBSPOT, ConnectionStatus.CONNECTED
            ),
            PushTarget.NOTION: _connection(
                PushTarget.NOTION, Provider.NOTION, ConnectionStatus.ERROR
            ),
        }
        pushes = plan_pushes("e1", meeting_event(MeetingBooked), connections, NOW)
        assert [(p.target, p.operation, p.status) for p in pushes] == [
            (PushTarget.CRM, Operation.SYNC_MEETING, PushStatus.PENDING),
            (PushTarget.NOTION, Operation.NOTION_MEETING, PushStatus.PENDING),
        ]

    def test_a_deal_goes_to_the_crm_only_keyed_by_deal_and_naming_its_meeting(self) -> None:
        event = deal_event(DealCreated)
        crm = {
            PushTarget.CRM: _connection(PushTarget.CRM, Provider.CLOSE, ConnectionStatus.CONNECTED)
        }
        (push,) = plan_pushes("e2", event, crm, NOW)
        assert (push.entity_id, push.deal_id, push.meeting_id) == (
            event.deal_id,
            event.deal_id,
            event.deal.meeting_ids[0],
        )
        assert push.version == event.deal.updated_at

    def test_reminders_are_not_pushed_and_a_disconnected_notion_gets_nothing(self) -> None:
        reminder = meeting_event(
            ReminderDue, extra={"reminder_id": uuid.uuid4(), "offset_minutes": 60, "due_at": NOW}
        )
        assert plan_pushes("e3", reminder, {}, NOW) == []
        notion = {
            PushTarget.NOTION: _connection(
                PushTarget.NOTION, Provider.NOTION, ConnectionStatus.DISCONNECTED
            )
        }
        (push,) = plan_pushes("e4", meeting_event(MeetingBooked), notion, NOW)
        assert push.target == PushTarget.CRM
        assert push.status == PushStatus.SKIPPED


class TestRetry:
    def test_backoff_grows_with_jitter_and_honours_retry_after(self) -> None:
        policy, rng = RetryPolicy(base_seconds=1, cap_seconds=60), random.Random(1)
        down = ProviderError(FailureKind.UNAVAILABLE, "503")
        delays = [policy.delay(n, down, rng) for n in (1, 2, 3, 4)]
        assert all(
            2 ** (n - 1) / 2 <= d <= 2 ** (n - 1) for n, d in zip((1, 2, 3, 4), delays, strict=True)
        )
        limited = ProviderError(FailureKind.RATE_LIMITED, "429", retry_after=7)
        assert 7 <= policy.delay(5, limited, rng) <= 7.05  # the provider's word, not the backoff

    def test_only_rate_limits_and_outages_are_retried_and_only_so_often(self) -> None:
        policy = RetryPolicy(max_attempts=3)
        assert policy.gives_up(1, ProviderError(FailureKind.REJECTED, "400"))
        assert policy.gives_up(1, ProviderError(FailureKind.QUOTA_EXHAUSTED, "daily"))
        assert not policy.gives_up(2, ProviderError(FailureKind.UNAVAILABLE, "503"))
        assert policy.gives_up(3, ProviderError(FailureKind.UNAVAILABLE, "503"))
        limited = ProviderError(FailureKind.RATE_LIMITED, "429")
        assert not policy.gives_up(3, limited)
        assert policy.gives_up(policy.max_rate_limited_attempts, limited)


class TestBreaker:
    def test_opens_after_the_threshold_probes_once_and_closes_on_success(self) -> None:
        breaker = CircuitBreaker(threshold=3, cooldown=10)
        for _ in range(3):
            breaker.failed(0)
        assert breaker.state == BreakerState.OPEN
        assert not breaker.allows(5)
        assert breaker.reopens_in(5) == 5
        assert breaker.allows(10)
        assert not breaker.allows(10)
        breaker.succeeded()
        assert breaker.state == BreakerState.CLOSED
        assert breaker.allows(11)

    def test_a_failed_probe_doubles_the_cooldown(self) -> None:
        breaker = CircuitBreaker(threshold=1, cooldown=10, max_cooldown=15)
        breaker.failed(0)
        assert breaker.allows(10)
        breaker.failed(10)
        assert breaker.state == BreakerState.OPEN
        assert breaker.reopens_in(10) == 15


class TestTokenBucket:
    def test_bursts_to_capacity_then_paces_and_a_429_holds_everyone_back(self) -> None:
        bucket = TokenBucket.for_limit(RateLimit(requests=2, per_seconds=1), now=0)
        assert [bucket.take(0), bucket.take(0)] == [0, 0]
        assert bucket.take(0) == pytest.approx(0.5)
        assert bucket.take(0.5) == 0
        bucket.drain(1.0, 3)
        assert bucket.take(3.9) > 0
        assert bucket.take(4.5) == 0


class TestOAuthState:
    box = SecretBox.from_spec(new_key_spec("t"))

    def test_round_trip_names_the_tenant(self) -> None:
        state = oauth_state.issue(self.box, "acme", "hubspot", timedelta(minutes=5))
        assert oauth_state.verify(self.box, state, "hubspot").tenant_id == "acme"

    def test_forged_expired_and_other_provider_states_are_refused(self) -> None:
        state = oauth_state.issue(self.box, "acme", "hubspot", timedelta(minutes=5))
        with pytest.raises(oauth_state.StateError, match="not issued"):
            oauth_state.verify(self.box, state[:-4] + "AAAA", "hubspot")
        with pytest.raises(oauth_state.StateError, match="expired"):
            oauth_state.verify(
                self.box, state, "hubspot", now=datetime.now(UTC) + timedelta(hours=1)
            )
        with pytest.raises(oauth_state.StateError, match="issued for hubspot"):
            oauth_state.verify(self.box, state, "pipedrive")
        other = SecretBox.from_spec(new_key_spec("other"))
        with pytest.raises(oauth_state.StateError):
            oauth_state.verify(other, state, "hubspot")

    def test_the_return_place_travels_sealed_in_the_state(self) -> None:
        state = oauth_state.issue(
            self.box, "acme", "hubspot", timedelta(minutes=5), return_to="http://c:8080/settings"
        )
        assert "settings" not in state
        assert oauth_state.verify(self.box, state, "hubspot").return_to == "http://c:8080/settings"
        plain = oauth_state.issue(self.box, "acme", "hubspot", timedelta(minutes=5))
        assert oauth_state.verify(self.box, plain, "hubspot").return_to is None

    @pytest.mark.parametrize(
        "target",
        [
            "http://console.example:8080/settings/crm",
            "http://CONSOLE.example:8080/",
            "http://console.example:8080/settings/crm?tab=crm",
        ],
    )
    def test_a_page_under_the_console_is_a_place_to_return_to(self, target: str) -> None:
        assert oauth_state.checked_return_to(target, "http://console.example:8080") == target

    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example/settings",
            "http://console.example:9999/settings",  # another port, another site
            "https://console.example:8080/settings",  # another scheme
            "http://console.example:8080@evil.example/",
            "http://console.example:8080\\@evil.example/",
            "//evil.example/settings",
            "/settings",
            "javascript:alert(1)",
        ],
    )
    def test_anywhere_else_is_refused(self, target: str) -> None:
        with pytest.raises(ValueError, match="return_to must be a page under"):
            oauth_state.checked_return_to(target, "http://console.example:8080")

    def test_a_base_path_bounds_the_places(self) -> None:
        base = "http://host.example/console"
        assert oauth_state.checked_return_to("http://host.example/console/settings", base)
        with pytest.raises(ValueError, match="under"):
            oauth_state.checked_return_to("http://host.example/consoleevil/x", base)

    def test_without_a_console_url_nothing_is_accepted(self) -> None:
        with pytest.raises(ValueError, match="DEALFLOW_CONSOLE_URL is not set"):
            oauth_state.checked_return_to("http://console.example:8080/", None)

    def test_the_outcome_is_added_to_the_return_place_query(self) -> None:
        assert (
            oauth_state.back_to("http://c/settings/crm?tab=1", crm_error="HubSpot answered x")
            == "http://c/settings/crm?tab=1&crm_error=HubSpot+answered+x"
        )
