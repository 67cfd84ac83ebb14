"""Deal events are built from the aggregate field by field: nothing left to a default."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dealflow_schemas.deals import DealSnapshot, DealStage, DealStatus, LostReason
from deals.domain.company import Company, MeetingRecord
from deals.domain.deal import Deal, Kind, Transition
from deals.events import deal_event, snapshot

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

DETAILS: dict[Kind, dict[str, object]] = {
    Kind.VALUE_CHANGED: {"previous_value": Decimal("10.00"), "previous_currency": "USD"},
    Kind.LOST: {"reason": LostReason.NO_BUDGET, "notes": "next year"},
    Kind.CANCELLED: {"reason": "meeting cancelled"},
    Kind.REOPENED: {"from_status": DealStatus.LOST, "reason": "budget found"},
    Kind.UPDATED: {"changed_fields": ["name"]},
}


def full_deal(company: Company) -> Deal:
    """Every attribute set to something other than its default."""
    return Deal(
        tenant_id="demo",
        company_id=company.id,
        name="Acme - new business",
        stage=DealStage.PROPOSAL,
        probability=40,
        currency="EUR",
        created_at=NOW - timedelta(days=10),
        updated_at=NOW,
        stage_entered_at=NOW - timedelta(days=3),
        status=DealStatus.LOST,
        value=Decimal("12000.00"),
        expected_close_date=date(2026, 6, 30),
        owner="rep@dealflow.dev",
        primary_contact_email="jamie@acme.com",
        source_meeting_id=uuid.uuid4(),
        meeting_ids=[uuid.uuid4()],
        converting_activity_id="act-1",
        converting_channel="paid_social",
        lost_reason=LostReason.NO_BUDGET,
        lost_notes="next year",
        closed_at=NOW,
        days_to_close=10,
        stage_before_close=DealStage.PROPOSAL,
        external_ids={"hubspot": "42"},
    )


def test_the_snapshot_names_every_contract_field() -> None:
    company = Company.named_after("demo", "acme.com", NOW)

    snap = snapshot(full_deal(company), company)

    assert snap.model_fields_set == set(DealSnapshot.model_fields)


@pytest.mark.parametrize("kind", list(Kind))
def test_every_transition_has_an_event_with_every_field_named(kind: Kind) -> None:
    company = Company.named_after("demo", "acme.com", NOW)
    record = MeetingRecord(
        meeting_id=uuid.uuid4(), tenant_id="demo", status="scheduled", updated_at=NOW
    )
    transition = Transition(
        kind,
        "rep",
        "why",
        from_stage=DealStage.MET,
        to_stage=DealStage.PROPOSAL,
        details=DETAILS.get(kind, {}),
    )

    event = deal_event(
        full_deal(company), company, transition, meeting=record, caused_by="evt-1", now=NOW
    )

    assert event.model_fields_set == set(type(event).model_fields)
    assert (event.changed_by, event.caused_by) == ("rep", "evt-1")
