"""A lead's status and company from what is recorded: every transition, reopen, a personal
address, an attendee who never had a touch."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from attribution.domain.funnel import DealFact
from attribution.domain.leads import (
    BookedMeeting,
    Lead,
    LeadStatus,
    TouchSummary,
    derive_leads,
    lead_status,
)

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def summary(count: int = 1, channel: str = "Outbound Email", days: float = 0) -> TouchSummary:
    return TouchSummary(count, T0 + timedelta(days=days), channel, T0 + timedelta(days=days + 1))


def booking(*people: str, days: float = 2) -> BookedMeeting:
    return BookedMeeting(uuid.uuid4(), T0 + timedelta(days=days), frozenset(people))


def deal(
    domain: str | None,
    status: str = "active",
    *,
    contact: str | None = None,
    meetings: tuple[BookedMeeting, ...] = (),
) -> DealFact:
    return DealFact(
        deal_id=uuid.uuid4(),
        tenant_id="t",
        company_domain=domain,
        primary_contact_email=contact,
        meeting_ids=tuple(m.meeting_id for m in meetings),
        status=status,
        stage="qualification",
        value=None,
        currency="USD",
        created_at=T0 + timedelta(days=3),
        closed_at=None,
    )


def maybe(email: str, **recorded: Any) -> Lead | None:
    recorded.setdefault("touches", {})
    recorded.setdefault("bookings", [])
    recorded.setdefault("deals", [])
    return derive_leads([email], **recorded)[email]


def one(email: str, **recorded: Any) -> Lead:
    found = maybe(email, **recorded)
    assert found is not None
    return found


class TestStatusRule:
    @pytest.mark.parametrize(
        ("booked", "deals", "status"),
        [
            (False, [], LeadStatus.TOUCHED),
            (True, [], LeadStatus.MEETING_BOOKED),
            (True, ["active"], LeadStatus.OPPORTUNITY),
            (False, ["active"], LeadStatus.OPPORTUNITY),  # the account's deal, no meeting of theirs
            (True, ["won"], LeadStatus.CONVERTED),
            (True, ["lost"], LeadStatus.LOST),
            (True, ["lost", "lost"], LeadStatus.LOST),
            (True, ["lost", "active"], LeadStatus.OPPORTUNITY),  # not every deal is lost
            (True, ["lost", "won"], LeadStatus.CONVERTED),
            (True, ["won", "active"], LeadStatus.CONVERTED),  # the account bought
            (True, ["cancelled"], LeadStatus.MEETING_BOOKED),  # cancelled deals do not count
            (False, ["cancelled"], LeadStatus.TOUCHED),
            (True, ["cancelled", "lost"], LeadStatus.LOST),
        ],
    )
    def test_status(self, booked: bool, deals: list[str], status: LeadStatus) -> None:
        assert lead_status(booked=booked, deal_statuses=deals) is status

    def test_every_transition_of_one_lead(self) -> None:
        email = "ana@acme.com"
        meeting = booking(email)
        states = [
            ({"touches": {email: summary()}}, LeadStatus.TOUCHED),
            ({"touches": {email: summary()}, "bookings": [meeting]}, LeadStatus.MEETING_BOOKED),
        ]
        for status, expected in [
            ("active", LeadStatus.OPPORTUNITY),
            ("won", LeadStatus.CONVERTED),
            ("active", LeadStatus.OPPORTUNITY),  # reopened after the win
            ("lost", LeadStatus.LOST),
            ("active", LeadStatus.OPPORTUNITY),  # reopened after the loss
        ]:
            recorded = {
                "touches": {email: summary()},
                "bookings": [meeting],
                "deals": [deal("acme.com", status, meetings=(meeting,))],
            }
            states.append((recorded, expected))
        assert [one(email, **recorded).status for recorded, _ in states] == [
            expected for _, expected in states
        ]


class TestAccount:
    def test_company_deal_reaches_every_person_at_the_company_subdomains_too(self) -> None:
        leads = derive_leads(
            ["ana@acme.com", "bo@eu.acme.com", "cy@other.com"],
            touches={e: summary() for e in ["ana@acme.com", "bo@eu.acme.com", "cy@other.com"]},
            bookings=[],
            deals=[deal("acme.com", "won")],
        )
        assert {e: lead.status for e, lead in leads.items() if lead} == {
            "ana@acme.com": LeadStatus.CONVERTED,
            "bo@eu.acme.com": LeadStatus.CONVERTED,
            "cy@other.com": LeadStatus.TOUCHED,
        }
        bo = leads["bo@eu.acme.com"]
        assert bo is not None
        assert bo.company_domain == "acme.com"

    def test_personal_address_has_no_company_and_joins_only_as_a_deal_person(self) -> None:
        email = "cy@gmail.com"
        lead = one(email, touches={email: summary()}, deals=[deal("gmail.com", "won")])
        assert (lead.company_domain, lead.status) == (None, LeadStatus.TOUCHED)
        as_contact = one(email, touches={email: summary()}, deals=[deal(None, contact=email)])
        assert as_contact.status is LeadStatus.OPPORTUNITY

    def test_the_tenants_personal_domains_apply(self) -> None:
        email = "dee@mailcorp.com"
        recorded = {"touches": {email: summary()}, "deals": [deal("mailcorp.com")]}
        assert one(email, **recorded).company_domain == "mailcorp.com"
        personal = one(email, personal_domains=["mailcorp.com"], **recorded)
        assert (personal.company_domain, personal.status) == (None, LeadStatus.TOUCHED)

    def test_attendee_only_person_is_a_lead_of_the_meetings_deal(self) -> None:
        meeting = booking("ana@acme.com", "eve@gmail.com")
        leads = derive_leads(
            ["eve@gmail.com"],
            touches={},
            bookings=[meeting],
            deals=[deal("acme.com", meetings=(meeting,))],
        )
        eve = leads["eve@gmail.com"]
        assert eve is not None
        assert (eve.status, eve.touches, eve.meetings, eve.company_domain) == (
            LeadStatus.OPPORTUNITY,
            0,
            1,
            None,
        )
        assert (eve.first_seen_at, eve.first_touch_at, eve.first_touch_channel) == (
            meeting.booked_at,
            None,
            None,
        )

    def test_a_person_with_neither_touch_nor_meeting_is_no_lead(self) -> None:
        assert maybe("zed@acme.com", deals=[deal("acme.com", contact="zed@acme.com")]) is None


class TestFigures:
    def test_first_seen_is_the_earlier_of_first_touch_and_first_booking(self) -> None:
        email = "ana@acme.com"
        early, late = booking(email, days=-5), booking(email, days=9)
        lead = one(email, touches={email: summary(3, "Paid Search")}, bookings=[late, early])
        assert lead.first_seen_at == early.booked_at
        assert (lead.touches, lead.meetings, lead.first_touch_channel) == (3, 2, "Paid Search")
        assert lead.first_touch_at == T0
        assert lead.last_touch_at == T0 + timedelta(days=1)

    def test_deal_ids_are_the_accounts_deals_cancelled_included(self) -> None:
        email = "ana@acme.com"
        deals = [deal("acme.com", "cancelled"), deal("acme.com", "lost"), deal("other.com")]
        lead = one(email, touches={email: summary()}, deals=deals)
        assert lead.deal_ids == tuple(sorted(d.deal_id for d in deals[:2]))
        assert lead.status is LeadStatus.LOST
