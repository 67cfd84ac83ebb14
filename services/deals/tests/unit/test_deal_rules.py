"""The Deal aggregate: opening, automatic and manual moves, closing, reopening and edits."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dealflow_schemas.deals import CLOSED_STAGES, DealStage, DealStatus, LostReason
from deals.domain.deal import (
    OPEN_STAGES,
    Deal,
    DealClosed,
    InvalidChange,
    Kind,
    Transition,
)
from deals.domain.settings import DEFAULT_PROBABILITIES, DealSettings

CREATED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 11, 10, 30, tzinfo=UTC)  # 10 days and 90 minutes after CREATED
LATER = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
SETTINGS = DealSettings()
COMPANY = uuid.UUID("00000000-0000-0000-0000-00000000c0de")


def new_deal(
    stage: DealStage = DealStage.BOOKED, *, settings: DealSettings = SETTINGS, **extra: Any
) -> Deal:
    deal, _ = Deal.open(
        tenant_id="demo",
        company_id=COMPANY,
        name="Acme - new business",
        stage=stage,
        settings=settings,
        currency="EUR",
        now=CREATED,
        by="meetings",
        **extra,
    )
    return deal


def won(value: Decimal = Decimal("5000.00"), stage: DealStage = DealStage.NEGOTIATION) -> Deal:
    deal = new_deal(stage)
    deal.win(value=value, settings=SETTINGS, by="rep@dealflow.dev", now=NOW)
    return deal


def lost(stage: DealStage = DealStage.PROPOSAL) -> Deal:
    deal = new_deal(stage, value=Decimal("1200.00"))
    deal.lose(
        reason=LostReason.PRICE_TOO_HIGH,
        notes="went with the cheaper plan",
        settings=SETTINGS,
        by="rep@dealflow.dev",
        now=NOW,
    )
    return deal


def cancelled() -> Deal:
    deal = new_deal()
    deal.cancel(reason="meeting cancelled", by="meetings", now=NOW)
    return deal


def closed_deals() -> list[Deal]:
    return [won(), lost(), cancelled()]


class TestOpen:
    def test_opens_active_at_the_stage_with_its_probability(self) -> None:
        meeting_id = uuid.uuid4()

        deal, transition = Deal.open(
            tenant_id="demo",
            company_id=COMPANY,
            name="Acme - new business",
            stage=DealStage.BOOKED,
            settings=SETTINGS,
            currency="EUR",
            now=CREATED,
            by="meetings",
            source_meeting_id=meeting_id,
            primary_contact_email="jamie@acme.com",
        )

        assert (deal.status, deal.stage, deal.probability) == (
            DealStatus.ACTIVE,
            DealStage.BOOKED,
            10,
        )
        assert deal.is_active
        assert (deal.tenant_id, deal.company_id, deal.name, deal.currency) == (
            "demo",
            COMPANY,
            "Acme - new business",
            "EUR",
        )
        assert deal.created_at == deal.updated_at == CREATED
        assert deal.source_meeting_id == meeting_id
        assert deal.primary_contact_email == "jamie@acme.com"
        assert deal.value is None
        assert deal.weighted_value is None
        assert deal.closed_at is None
        assert deal.meeting_ids == []
        assert transition == Transition(
            Kind.CREATED, "meetings", to_stage=DealStage.BOOKED, to_status=DealStatus.ACTIVE
        )
        assert transition.moves

    def test_each_deal_gets_its_own_id(self) -> None:
        assert new_deal().id != new_deal().id

    @pytest.mark.parametrize(
        ("stage", "probability"),
        [
            (DealStage.BOOKED, 10),
            (DealStage.MET, 15),
            (DealStage.QUALIFICATION, 20),
            (DealStage.PROPOSAL, 40),
            (DealStage.NEGOTIATION, 60),
            (DealStage.VERBAL_COMMIT, 80),
            (DealStage.CONTRACT_SENT, 90),
        ],
    )
    def test_default_probabilities(self, stage: DealStage, probability: int) -> None:
        assert new_deal(stage).probability == probability

    def test_uses_the_tenants_probabilities(self) -> None:
        settings = DealSettings.from_stored({"stage_probabilities": {"booked": 5, "met": 25}})

        deal = new_deal(settings=settings)

        assert deal.probability == 5
        deal.advance(DealStage.MET, settings=settings, by=None, reason=None, now=NOW)
        assert deal.probability == 25
        deal.advance(DealStage.QUALIFICATION, settings=settings, by=None, reason=None, now=NOW)
        assert deal.probability == 20  # not overridden: the default


class TestLinkMeeting:
    def test_links_each_meeting_once_in_order(self) -> None:
        deal = new_deal()
        first, second = uuid.uuid4(), uuid.uuid4()

        deal.link_meeting(first)
        deal.link_meeting(second)
        deal.link_meeting(first)

        assert deal.meeting_ids == [first, second]


class TestWeightedValue:
    @pytest.mark.parametrize(
        ("stage", "value", "weighted"),
        [
            (DealStage.BOOKED, Decimal("1000"), Decimal("100.00")),
            (DealStage.MET, Decimal("999.99"), Decimal("150.00")),  # 149.9985
            (DealStage.NEGOTIATION, Decimal("12345.67"), Decimal("7407.40")),  # 7407.402
            (DealStage.CONTRACT_SENT, Decimal("0"), Decimal("0.00")),
        ],
    )
    def test_value_times_probability(
        self, stage: DealStage, value: Decimal, weighted: Decimal
    ) -> None:
        assert new_deal(stage, value=value).weighted_value == weighted

    def test_none_without_a_value(self) -> None:
        assert new_deal(DealStage.PROPOSAL).weighted_value is None

    def test_follows_the_tenants_probability(self) -> None:
        settings = DealSettings.from_stored({"stage_probabilities": {"proposal": 55}})

        deal = new_deal(DealStage.PROPOSAL, settings=settings, value=Decimal("2000"))

        assert deal.weighted_value == Decimal("1100.00")

    def test_won_and_lost(self) -> None:
        assert won(Decimal("5000")).weighted_value == Decimal("5000.00")
        assert lost().weighted_value == Decimal("0.00")


class TestAdvance:
    def test_moves_forward_and_records_the_move(self) -> None:
        deal = new_deal()

        transition = deal.advance(
            DealStage.MET, settings=SETTINGS, by="meetings", reason="meeting attended", now=NOW
        )

        assert transition == Transition(
            Kind.STAGE_CHANGED,
            "meetings",
            "meeting attended",
            DealStage.BOOKED,
            DealStage.MET,
            DealStatus.ACTIVE,
            DealStatus.ACTIVE,
        )
        assert transition.moves
        assert (deal.stage, deal.probability, deal.status) == (
            DealStage.MET,
            15,
            DealStatus.ACTIVE,
        )
        assert deal.updated_at == NOW

    def test_may_skip_stages(self) -> None:
        deal = new_deal()

        transition = deal.advance(
            DealStage.QUALIFICATION, settings=SETTINGS, by=None, reason=None, now=NOW
        )

        assert transition is not None
        assert (transition.from_stage, transition.to_stage) == (
            DealStage.BOOKED,
            DealStage.QUALIFICATION,
        )
        assert (deal.stage, deal.probability) == (DealStage.QUALIFICATION, 20)

    @pytest.mark.parametrize("target", [DealStage.BOOKED, DealStage.MET, DealStage.QUALIFICATION])
    def test_never_backwards_or_to_the_same_stage(self, target: DealStage) -> None:
        deal = new_deal(DealStage.QUALIFICATION)

        assert deal.advance(target, settings=SETTINGS, by=None, reason=None, now=NOW) is None
        assert (deal.stage, deal.probability, deal.updated_at) == (
            DealStage.QUALIFICATION,
            20,
            CREATED,
        )

    @pytest.mark.parametrize("target", CLOSED_STAGES)
    def test_never_to_a_closed_stage(self, target: DealStage) -> None:
        deal = new_deal(DealStage.CONTRACT_SENT)

        assert deal.advance(target, settings=SETTINGS, by=None, reason=None, now=NOW) is None
        assert (deal.stage, deal.status) == (DealStage.CONTRACT_SENT, DealStatus.ACTIVE)

    @pytest.mark.parametrize("make", [won, lost, cancelled])
    def test_never_moves_a_closed_deal(self, make: Any) -> None:
        deal = make()
        before = (deal.stage, deal.status, deal.probability, deal.updated_at)

        assert (
            deal.advance(
                DealStage.CONTRACT_SENT, settings=SETTINGS, by=None, reason=None, now=LATER
            )
            is None
        )
        assert (deal.stage, deal.status, deal.probability, deal.updated_at) == before


class TestMoveTo:
    def test_forward(self) -> None:
        deal = new_deal(DealStage.MET)

        transition = deal.move_to(
            DealStage.VERBAL_COMMIT, settings=SETTINGS, by="rep", reason="verbal yes", now=NOW
        )

        assert transition == Transition(
            Kind.STAGE_CHANGED,
            "rep",
            "verbal yes",
            DealStage.MET,
            DealStage.VERBAL_COMMIT,
            DealStatus.ACTIVE,
            DealStatus.ACTIVE,
        )
        assert (deal.stage, deal.probability, deal.updated_at) == (
            DealStage.VERBAL_COMMIT,
            80,
            NOW,
        )

    def test_backwards(self) -> None:
        deal = new_deal(DealStage.NEGOTIATION)

        transition = deal.move_to(
            DealStage.QUALIFICATION, settings=SETTINGS, by="rep", reason="budget reset", now=NOW
        )

        assert transition is not None
        assert (transition.from_stage, transition.to_stage, transition.reason) == (
            DealStage.NEGOTIATION,
            DealStage.QUALIFICATION,
            "budget reset",
        )
        assert (deal.stage, deal.probability, deal.status) == (
            DealStage.QUALIFICATION,
            20,
            DealStatus.ACTIVE,
        )

    def test_same_stage_is_nothing(self) -> None:
        deal = new_deal(DealStage.PROPOSAL)

        assert (
            deal.move_to(DealStage.PROPOSAL, settings=SETTINGS, by="rep", reason=None, now=NOW)
            is None
        )
        assert deal.updated_at == CREATED

    @pytest.mark.parametrize("target", CLOSED_STAGES)
    def test_closed_stages_need_won_or_lost(self, target: DealStage) -> None:
        deal = new_deal(DealStage.PROPOSAL)

        with pytest.raises(InvalidChange, match=target.value):
            deal.move_to(target, settings=SETTINGS, by="rep", reason=None, now=NOW)
        assert (deal.stage, deal.status) == (DealStage.PROPOSAL, DealStatus.ACTIVE)

    @pytest.mark.parametrize("make", [won, lost, cancelled])
    def test_closed_deal_must_be_reopened_first(self, make: Any) -> None:
        deal = make()
        before = (deal.stage, deal.status)

        with pytest.raises(DealClosed, match="reopen"):
            deal.move_to(DealStage.PROPOSAL, settings=SETTINGS, by="rep", reason=None, now=LATER)
        assert (deal.stage, deal.status) == before

    def test_uses_the_tenants_probabilities(self) -> None:
        settings = DealSettings.from_stored({"stage_probabilities": {"negotiation": 70}})
        deal = new_deal(DealStage.PROPOSAL, settings=settings)

        deal.move_to(DealStage.NEGOTIATION, settings=settings, by="rep", reason=None, now=NOW)

        assert deal.probability == 70


class TestWin:
    def test_closes_won_with_value_date_and_days_to_close(self) -> None:
        deal = new_deal(DealStage.NEGOTIATION)

        transition = deal.win(value=Decimal("4200.50"), settings=SETTINGS, by="rep", now=NOW)

        assert transition == Transition(
            Kind.WON,
            "rep",
            None,
            DealStage.NEGOTIATION,
            DealStage.CLOSED_WON,
            DealStatus.ACTIVE,
            DealStatus.WON,
        )
        assert transition.moves
        assert (deal.stage, deal.status, deal.probability) == (
            DealStage.CLOSED_WON,
            DealStatus.WON,
            100,
        )
        assert not deal.is_active
        assert deal.value == Decimal("4200.50")
        assert deal.closed_at == NOW
        assert deal.updated_at == NOW
        assert deal.days_to_close == 10
        assert deal.stage_before_close is DealStage.NEGOTIATION

    def test_keeps_the_value_already_set(self) -> None:
        deal = new_deal(DealStage.PROPOSAL, value=Decimal("800"))

        deal.win(value=None, settings=SETTINGS, by="rep", now=NOW)

        assert (deal.status, deal.value) == (DealStatus.WON, Decimal("800"))

    def test_a_given_value_replaces_the_old_one(self) -> None:
        deal = new_deal(DealStage.PROPOSAL, value=Decimal("800"))

        deal.win(value=Decimal("950"), settings=SETTINGS, by="rep", now=NOW)

        assert deal.value == Decimal("950")

    def test_needs_a_value(self) -> None:
        deal = new_deal(DealStage.PROPOSAL)

        with pytest.raises(InvalidChange, match="value"):
            deal.win(value=None, settings=SETTINGS, by="rep", now=NOW)
        assert (deal.status, deal.stage, deal.closed_at, deal.stage_before_close) == (
            DealStatus.ACTIVE,
            DealStage.PROPOSAL,
            None,
            None,
        )

    def test_same_day_is_zero_days(self) -> None:
        deal = new_deal()

        deal.win(value=Decimal(1), settings=SETTINGS, by="rep", now=CREATED + timedelta(hours=23))

        assert deal.days_to_close == 0

    @pytest.mark.parametrize("make", [won, lost, cancelled])
    def test_not_twice_nor_after_another_close(self, make: Any) -> None:
        deal = make()
        before = (deal.status, deal.value, deal.closed_at)

        with pytest.raises(DealClosed):
            deal.win(value=Decimal("1"), settings=SETTINGS, by="rep", now=LATER)
        assert (deal.status, deal.value, deal.closed_at) == before


class TestLose:
    def test_closes_lost_with_reason_and_notes(self) -> None:
        deal = new_deal(DealStage.PROPOSAL, value=Decimal("1200"))

        transition = deal.lose(
            reason=LostReason.CHOSE_COMPETITOR,
            notes="picked Globex",
            settings=SETTINGS,
            by="rep",
            now=NOW,
        )

        assert transition == Transition(
            Kind.LOST,
            "rep",
            "chose_competitor",
            DealStage.PROPOSAL,
            DealStage.CLOSED_LOST,
            DealStatus.ACTIVE,
            DealStatus.LOST,
            {"reason": LostReason.CHOSE_COMPETITOR, "notes": "picked Globex"},
        )
        assert (deal.stage, deal.status, deal.probability) == (
            DealStage.CLOSED_LOST,
            DealStatus.LOST,
            0,
        )
        assert (deal.lost_reason, deal.lost_notes) == (LostReason.CHOSE_COMPETITOR, "picked Globex")
        assert (deal.closed_at, deal.days_to_close, deal.stage_before_close) == (
            NOW,
            10,
            DealStage.PROPOSAL,
        )
        assert deal.value == Decimal("1200")

    def test_notes_are_optional(self) -> None:
        deal = new_deal()

        transition = deal.lose(
            reason=LostReason.WENT_SILENT, notes=None, settings=SETTINGS, by=None, now=NOW
        )

        assert transition.details == {"reason": LostReason.WENT_SILENT, "notes": None}
        assert deal.lost_notes is None

    @pytest.mark.parametrize("make", [won, lost, cancelled])
    def test_only_an_active_deal(self, make: Any) -> None:
        deal = make()
        before = (deal.status, deal.lost_reason, deal.closed_at)

        with pytest.raises(DealClosed):
            deal.lose(reason=LostReason.OTHER, notes="x", settings=SETTINGS, by=None, now=LATER)
        assert (deal.status, deal.lost_reason, deal.closed_at) == before


class TestCancel:
    def test_cancels_an_active_deal_at_its_stage(self) -> None:
        deal = new_deal()

        transition = deal.cancel(reason="meeting cancelled", by="meetings", now=NOW)

        assert transition == Transition(
            Kind.CANCELLED,
            "meetings",
            "meeting cancelled",
            DealStage.BOOKED,
            DealStage.BOOKED,
            DealStatus.ACTIVE,
            DealStatus.CANCELLED,
            {"reason": "meeting cancelled"},
        )
        assert transition.moves  # the status moved: a history row
        assert (deal.status, deal.stage, deal.closed_at, deal.updated_at) == (
            DealStatus.CANCELLED,
            DealStage.BOOKED,
            NOW,
            NOW,
        )
        assert deal.stage_before_close is DealStage.BOOKED
        assert not deal.is_active

    @pytest.mark.parametrize("make", [won, lost, cancelled])
    def test_only_an_active_deal(self, make: Any) -> None:
        deal = make()
        before = (deal.status, deal.closed_at, deal.updated_at)

        assert deal.cancel(reason="again", by=None, now=LATER) is None
        assert (deal.status, deal.closed_at, deal.updated_at) == before


class TestReopen:
    def test_lost_deal_goes_back_to_where_it_was_lost(self) -> None:
        deal = lost(DealStage.NEGOTIATION)

        transition = deal.reopen(
            stage=None, settings=SETTINGS, by="rep", reason="they came back", now=LATER
        )

        assert transition == Transition(
            Kind.REOPENED,
            "rep",
            "they came back",
            DealStage.CLOSED_LOST,
            DealStage.NEGOTIATION,
            DealStatus.LOST,
            DealStatus.ACTIVE,
            {"from_status": DealStatus.LOST, "reason": "they came back"},
        )
        assert transition.moves
        assert (deal.status, deal.stage, deal.probability, deal.updated_at) == (
            DealStatus.ACTIVE,
            DealStage.NEGOTIATION,
            60,
            LATER,
        )
        assert (deal.lost_reason, deal.lost_notes, deal.closed_at, deal.days_to_close) == (
            None,
            None,
            None,
            None,
        )
        assert deal.value == Decimal("1200.00")

    def test_won_deal_to_a_chosen_stage(self) -> None:
        deal = won(stage=DealStage.CONTRACT_SENT)

        transition = deal.reopen(
            stage=DealStage.PROPOSAL, settings=SETTINGS, by="rep", reason=None, now=LATER
        )

        assert (transition.from_stage, transition.to_stage) == (
            DealStage.CLOSED_WON,
            DealStage.PROPOSAL,
        )
        assert (transition.from_status, transition.to_status) == (
            DealStatus.WON,
            DealStatus.ACTIVE,
        )
        assert (deal.stage, deal.probability, deal.status) == (
            DealStage.PROPOSAL,
            40,
            DealStatus.ACTIVE,
        )
        assert (deal.closed_at, deal.days_to_close) == (None, None)

    def test_cancelled_deal_back_to_its_stage(self) -> None:
        deal = cancelled()

        transition = deal.reopen(stage=None, settings=SETTINGS, by="rep", reason=None, now=LATER)

        assert (transition.from_stage, transition.to_stage) == (DealStage.BOOKED, DealStage.BOOKED)
        assert transition.details == {"from_status": DealStatus.CANCELLED, "reason": None}
        assert (deal.status, deal.stage, deal.closed_at) == (
            DealStatus.ACTIVE,
            DealStage.BOOKED,
            None,
        )

    def test_without_a_known_stage_goes_to_qualification(self) -> None:
        deal = new_deal(
            DealStage.CLOSED_LOST, status=DealStatus.LOST, lost_reason=LostReason.OTHER
        )  # e.g. imported closed, never closed here

        deal.reopen(stage=None, settings=SETTINGS, by="rep", reason=None, now=LATER)

        assert (deal.stage, deal.status, deal.probability) == (
            DealStage.QUALIFICATION,
            DealStatus.ACTIVE,
            20,
        )

    def test_an_active_deal_cannot_be_reopened(self) -> None:
        deal = new_deal(DealStage.MET)

        with pytest.raises(InvalidChange, match="already active"):
            deal.reopen(stage=None, settings=SETTINGS, by="rep", reason=None, now=NOW)
        assert (deal.stage, deal.updated_at) == (DealStage.MET, CREATED)

    @pytest.mark.parametrize("target", CLOSED_STAGES)
    def test_not_to_a_closed_stage(self, target: DealStage) -> None:
        deal = lost()

        with pytest.raises(InvalidChange, match="open stage"):
            deal.reopen(stage=target, settings=SETTINGS, by="rep", reason=None, now=LATER)
        assert (deal.status, deal.stage, deal.lost_reason, deal.closed_at) == (
            DealStatus.LOST,
            DealStage.CLOSED_LOST,
            LostReason.PRICE_TOO_HIGH,
            NOW,
        )

    def test_reopened_deal_can_move_and_close_again(self) -> None:
        deal = lost(DealStage.PROPOSAL)
        deal.reopen(stage=None, settings=SETTINGS, by="rep", reason=None, now=LATER)

        moved = deal.move_to(
            DealStage.NEGOTIATION, settings=SETTINGS, by="rep", reason=None, now=LATER
        )
        deal.win(value=None, settings=SETTINGS, by="rep", now=LATER)

        assert moved is not None
        assert (deal.status, deal.stage_before_close, deal.closed_at) == (
            DealStatus.WON,
            DealStage.NEGOTIATION,
            LATER,
        )
        assert deal.days_to_close == (LATER - CREATED).days


class TestEdit:
    def test_value_change_keeps_the_previous_value_and_currency(self) -> None:
        deal = new_deal(DealStage.PROPOSAL, value=Decimal("1000"))

        transitions = deal.edit({"value": Decimal("1500")}, by="rep", now=NOW)

        assert transitions == [
            Transition(
                Kind.VALUE_CHANGED,
                "rep",
                details={"previous_value": Decimal("1000"), "previous_currency": "EUR"},
            )
        ]
        assert not transitions[0].moves  # no stage history row for an edit
        assert (deal.value, deal.currency, deal.updated_at) == (Decimal("1500"), "EUR", NOW)

    def test_currency_change_alone_is_a_value_change(self) -> None:
        deal = new_deal(value=Decimal("1000"))

        transitions = deal.edit({"currency": "GBP", "value": Decimal("1000.00")}, by="rep", now=NOW)

        assert [t.kind for t in transitions] == [Kind.VALUE_CHANGED]
        assert transitions[0].details == {
            "previous_value": Decimal("1000"),
            "previous_currency": "EUR",
        }
        assert (deal.value, deal.currency) == (Decimal("1000"), "GBP")

    def test_first_value(self) -> None:
        deal = new_deal()

        transitions = deal.edit({"value": Decimal("300")}, by="rep", now=NOW)

        assert transitions[0].details == {"previous_value": None, "previous_currency": "EUR"}
        assert deal.weighted_value == Decimal("30.00")

    def test_name_owner_and_close_date_are_one_update(self) -> None:
        deal = new_deal(owner="sam@dealflow.dev")

        transitions = deal.edit(
            {
                "name": "Acme - expansion",
                "owner": "kim@dealflow.dev",
                "expected_close_date": date(2025, 6, 30),
            },
            by="rep",
            now=NOW,
        )

        assert transitions == [
            Transition(
                Kind.UPDATED,
                "rep",
                details={"changed_fields": ["name", "owner", "expected_close_date"]},
            )
        ]
        assert (deal.name, deal.owner, deal.expected_close_date, deal.updated_at) == (
            "Acme - expansion",
            "kim@dealflow.dev",
            date(2025, 6, 30),
            NOW,
        )

    def test_lists_only_the_fields_that_changed(self) -> None:
        deal = new_deal(owner="sam@dealflow.dev")

        transitions = deal.edit({"name": "Acme - new business", "owner": None}, by="rep", now=NOW)

        assert [t.details for t in transitions] == [{"changed_fields": ["owner"]}]
        assert deal.owner is None

    def test_value_and_fields_together(self) -> None:
        deal = new_deal(value=Decimal("10"))

        transitions = deal.edit(
            {"value": Decimal("20"), "expected_close_date": date(2025, 4, 1)}, by="rep", now=NOW
        )

        assert [t.kind for t in transitions] == [Kind.VALUE_CHANGED, Kind.UPDATED]
        assert transitions[1].details == {"changed_fields": ["expected_close_date"]}

    def test_unchanged_values_are_nothing(self) -> None:
        deal = new_deal(value=Decimal("10"), owner="sam@dealflow.dev")

        transitions = deal.edit(
            {
                "value": Decimal("10.00"),
                "currency": "EUR",
                "name": "Acme - new business",
                "owner": "sam@dealflow.dev",
                "expected_close_date": None,
            },
            by="rep",
            now=NOW,
        )

        assert transitions == []
        assert deal.updated_at == CREATED

    def test_empty_edit_is_nothing(self) -> None:
        deal = new_deal()

        assert deal.edit({}, by="rep", now=NOW) == []
        assert deal.updated_at == CREATED

    def test_other_keys_are_ignored(self) -> None:
        deal = new_deal()

        assert deal.edit({"stage": DealStage.PROPOSAL, "probability": 99}, by="rep", now=NOW) == []
        assert (deal.stage, deal.probability) == (DealStage.BOOKED, 10)


def test_stage_constants_cover_every_stage_once() -> None:
    assert set(OPEN_STAGES) | set(CLOSED_STAGES) == set(DealStage)
    assert len(OPEN_STAGES) + len(CLOSED_STAGES) == len(DealStage)
    assert [DEFAULT_PROBABILITIES[s] for s in OPEN_STAGES] == [10, 15, 20, 40, 60, 80, 90]


class TestStageEnteredAt:
    """Days in stage count from the last change of stage or status, nothing else."""

    def test_a_new_deal_entered_its_stage_when_it_opened(self) -> None:
        assert new_deal().stage_entered_at == CREATED

    def test_a_move_a_person_makes_restarts_the_count(self) -> None:
        deal = new_deal()

        deal.move_to(DealStage.PROPOSAL, settings=SETTINGS, by="rep", reason=None, now=NOW)

        assert deal.stage_entered_at == NOW

    def test_an_automatic_move_forward_restarts_it(self) -> None:
        deal = new_deal()

        deal.advance(DealStage.MET, settings=SETTINGS, by="meetings", reason=None, now=NOW)

        assert deal.stage_entered_at == NOW

    def test_a_move_that_does_not_happen_keeps_it(self) -> None:
        deal = new_deal(DealStage.PROPOSAL)

        deal.advance(DealStage.MET, settings=SETTINGS, by="meetings", reason=None, now=NOW)
        deal.move_to(DealStage.PROPOSAL, settings=SETTINGS, by="rep", reason=None, now=NOW)

        assert deal.stage_entered_at == CREATED

    @pytest.mark.parametrize("close", [won, lost])
    def test_winning_or_losing_restarts_it(self, close: Any) -> None:
        assert close().stage_entered_at == NOW

    def test_cancelling_restarts_it_though_the_stage_stays(self) -> None:
        deal = new_deal()

        deal.cancel(reason="meeting cancelled", by="meetings", now=NOW)

        assert (deal.stage, deal.stage_entered_at) == (DealStage.BOOKED, NOW)

    def test_reopening_restarts_it(self) -> None:
        deal = lost()

        deal.reopen(stage=None, settings=SETTINGS, by="rep", reason=None, now=LATER)

        assert deal.stage_entered_at == LATER

    def test_edits_keep_it(self) -> None:
        deal = new_deal()

        deal.edit({"value": Decimal("10.00"), "name": "Acme renewal"}, by="rep", now=NOW)

        assert (deal.updated_at, deal.stage_entered_at) == (NOW, CREATED)
