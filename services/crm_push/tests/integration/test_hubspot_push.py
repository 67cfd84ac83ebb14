"""Meetings and deals pushed into the HubSpot emulator through the running service."""

import asyncio
from datetime import timedelta

import httpx

from dealflow_libs.testing.factories import deal_event, meeting_event
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_schemas.crm import PushOutcome
from dealflow_schemas.deals import DealCreated
from dealflow_schemas.meetings import (
    MeetingAttended,
    MeetingBooked,
    MeetingCancelled,
    MeetingNoShow,
    MeetingRescheduled,
    MeetingStatus,
)

from .support import Emulators, Publish, ResultsOf, connect_hubspot


def hubspot_objects(state: dict, kind: str) -> list[dict]:  # type: ignore[type-arg]
    return state["objects"][kind]


async def test_without_a_crm_every_push_is_skipped_with_the_reason(
    api: httpx.AsyncClient, tenant: TenantCredentials, publish: Publish, results_of: ResultsOf
) -> None:
    event_id = await publish(meeting_event(MeetingBooked, tenant_id=tenant.id))
    (result,) = await results_of(event_id)
    assert result.outcome == PushOutcome.SKIPPED
    assert (result.skipped, result.reason, result.provider) == (True, "no CRM connected", None)


async def test_a_booking_and_its_deal_become_contact_company_deal_and_linked_meeting(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    meeting = meeting_event(MeetingBooked, tenant_id=tenant.id, email="jamie@acme.com")
    booked = await publish(meeting)
    (meeting_result,) = await results_of(booked)
    assert meeting_result.success, meeting_result
    created = await publish(
        deal_event(DealCreated, tenant_id=tenant.id, meeting_ids=[meeting.meeting_id])
    )
    (deal_result,) = await results_of(created)
    assert deal_result.success, deal_result
    # The meeting's activity existed before its deal: it is pushed again, now linked.
    relinked = (await results_of(booked, count=2))[1]
    assert relinked.success, relinked
    assert relinked.crm_deal_id == deal_result.crm_deal_id

    state = await fresh_emulators.state("hubspot")
    contacts = hubspot_objects(state, "contacts")
    assert [c["properties"]["email"] for c in contacts] == ["jamie@acme.com"]
    assert len(hubspot_objects(state, "companies")) == 1
    (deal,) = hubspot_objects(state, "deals")
    assert deal["id"] == deal_result.crm_deal_id
    (activity,) = hubspot_objects(state, "meetings")
    assert activity["id"] == meeting_result.crm_activity_id
    associations = hubspot_objects(state, "associations")
    assert associations, "contact, company, deal and meeting are associated"


async def test_reschedule_cancel_no_show_and_its_undo_update_the_same_activity(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    booked = meeting_event(MeetingBooked, tenant_id=tenant.id)
    first = (await results_of(await publish(booked)))[0]
    moved_to = booked.meeting.scheduled_at + timedelta(days=2)  # type: ignore[operator]
    later = booked.meeting.updated_at + timedelta(seconds=1)

    def then(event_type, seconds, **state):  # type: ignore[no-untyped-def]
        """The meeting's next state: moved to `moved_to`, changed `seconds` later."""
        return meeting_event(
            event_type,
            tenant_id=tenant.id,
            meeting_id=booked.meeting_id,
            start=moved_to,
            ends_at=moved_to + timedelta(minutes=30),
            rescheduled_count=1,
            updated_at=later + timedelta(seconds=seconds),
            **state,
        )

    completed = {"showed_up": True, "status": MeetingStatus.COMPLETED}
    steps = [
        (then(MeetingRescheduled, 1), "RESCHEDULED"),
        (then(MeetingNoShow, 2, showed_up=False), "NO_SHOW"),
        (then(MeetingAttended, 3, **completed), "COMPLETED"),  # the no-show undone
        (then(MeetingCancelled, 4, status=MeetingStatus.CANCELLED), "CANCELED"),
    ]
    for event, outcome in steps:
        (result,) = await results_of(await publish(event))
        assert result.success, result
        assert result.crm_activity_id == first.crm_activity_id
        (activity,) = hubspot_objects(await fresh_emulators.state("hubspot"), "meetings")
        assert activity["properties"]["hs_meeting_outcome"] == outcome
    started = activity["properties"]["hs_meeting_start_time"]
    assert started.startswith(moved_to.strftime("%Y-%m-%dT%H:%M"))


async def test_bookings_of_one_attendee_together_look_the_contact_up_once(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    """Claimed in one batch (their ids read at the claim), they run one after the other: each
    after the first uses the contact id the first learned, read again once it was written."""
    await connect_hubspot(api)
    events = [
        meeting_event(MeetingBooked, tenant_id=tenant.id, email="sam@acme.com") for _ in range(4)
    ]
    booked = await asyncio.gather(*(publish(e) for e in events))
    for event_id in booked:
        (result,) = await results_of(event_id)
        assert result.success, result
    state = await fresh_emulators.state("hubspot")
    assert [c["properties"]["email"] for c in hubspot_objects(state, "contacts")] == [
        "sam@acme.com"
    ]
    assert len(hubspot_objects(state, "companies")) == 1
    assert len(hubspot_objects(state, "meetings")) == 4
    lookups = await fresh_emulators.requests(
        "hubspot", method="POST", path_prefix="/crm/v3/objects/contacts/batch/upsert"
    )
    assert len(lookups) == 1, lookups
    updates = await fresh_emulators.requests(
        "hubspot", method="PATCH", path_prefix="/crm/v3/objects/contacts/"
    )
    assert len(updates) == 3, updates
