"""Booking events on the real broker become meetings, observable over HTTP and as events."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from dealflow_libs.testing.factories import booking_event
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_schemas.bookings import BookingTrigger, Provider


async def wait_meeting(
    client, tenant, *, email: str, predicate=lambda m: True, within: float = 15
) -> dict:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        response = await client.get(
            "/v1/meetings", params={"attendee_email": email}, headers=tenant.auth
        )
        assert response.status_code == 200, response.text
        items = [m for m in response.json()["items"] if predicate(m)]
        if items:
            return items[0]
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"no matching meeting for {email}: {response.json()}")
        await asyncio.sleep(0.1)


def of_meeting(meeting_id: str, ce_type: str):
    return lambda r: header(r, "ce_subject") == meeting_id and header(r, "ce_type") == ce_type


async def cancel_as_marker(
    publish,
    meeting_events: TopicProbe,
    *,
    tenant_id: str,
    email: str,
    meeting_id: str,
    uid: str,
    **booking: object,
) -> list[str]:
    """Cancels the meeting (a later event on the same booking key) and waits for its
    MeetingCancelled; returns the types of every event published for the meeting by then.

    Everything sent before on that key was applied first (one partition, in order), and the
    meeting's events share a partition too: a late duplicate would be listed, not missed.
    """
    cancel = booking_event(
        tenant_id=tenant_id, email=email, uid=uid, trigger=BookingTrigger.CANCELLED, **booking
    )
    await publish(cancel)
    await meeting_events.wait_for(of_meeting(meeting_id, "dealflow.meeting.cancelled.v1"))
    return [
        header(r, "ce_type")
        for r in meeting_events.matching(lambda r: header(r, "ce_subject") == meeting_id)
    ]


class TestLifecycle:
    async def test_created_booking_becomes_a_meeting_and_meeting_booked(
        self, client, tenant, publish, meeting_events: TopicProbe
    ) -> None:
        email = f"jamie-{uuid.uuid4().hex[:6]}@acme.co.uk"
        event = booking_event(tenant_id=tenant.id, email=email)
        await publish(event)

        meeting = await wait_meeting(client, tenant, email=email)
        assert meeting["provider_uid"] == event.booking_uid
        assert meeting["status"] == "scheduled"
        assert meeting["meeting_type"] == "discovery"
        assert meeting["duration_minutes"] == 30
        assert meeting["company_domain"] == "acme.co.uk"
        assert meeting["tracking"]["utm_source"] == "linkedin"
        [record] = await meeting_events.wait_for(
            of_meeting(meeting["meeting_id"], "dealflow.meeting.booked.v1")
        )
        assert record.key == meeting["meeting_id"].encode()
        body = orjson.loads(record.value)
        assert body["meeting"]["primary_email"] == email
        assert body["meeting"]["organizer"]["email"] == "rep@dealflow.dev"

    async def test_redelivery_changes_nothing(
        self, client, tenant, publish, meeting_events: TopicProbe
    ) -> None:
        email = f"dup-{uuid.uuid4().hex[:6]}@acme.com"
        event = booking_event(tenant_id=tenant.id, email=email)
        event_id = uuid.uuid4()
        await publish(event, event_id=event_id)
        await publish(event, event_id=event_id)  # the same CloudEvent again
        await publish(event)  # the same booking as a new event (e.g. a replay)

        meeting = await wait_meeting(client, tenant, email=email)
        types = await cancel_as_marker(
            publish,
            meeting_events,
            tenant_id=tenant.id,
            email=email,
            meeting_id=meeting["meeting_id"],
            uid=event.booking_uid,
        )
        listing = (
            await client.get("/v1/meetings", params={"attendee_email": email}, headers=tenant.auth)
        ).json()
        assert len(listing["items"]) == 1
        assert types == ["dealflow.meeting.booked.v1", "dealflow.meeting.cancelled.v1"]

    async def test_calcom_reschedule_then_cancel(
        self, client, tenant, publish, meeting_events: TopicProbe
    ) -> None:
        email = f"move-{uuid.uuid4().hex[:6]}@acme.com"
        created = booking_event(tenant_id=tenant.id, email=email)
        new_start = created.start_time + timedelta(days=2)
        await publish(created)
        await publish(
            booking_event(
                tenant_id=tenant.id,
                email=email,
                trigger=BookingTrigger.RESCHEDULED,
                start=new_start,
                previous_booking_uid=created.booking_uid,
                is_reschedule=True,
            )
        )
        meeting = await wait_meeting(
            client, tenant, email=email, predicate=lambda m: m["rescheduled_count"] == 1
        )
        assert meeting["scheduled_at"] == new_start.isoformat().replace("+00:00", "Z")
        assert meeting["original_scheduled_at"] == created.start_time.isoformat().replace(
            "+00:00", "Z"
        )
        assert meeting["previous_provider_uids"] == [created.booking_uid]

        detail = (
            await client.get(f"/v1/meetings/{meeting['meeting_id']}", headers=tenant.auth)
        ).json()
        assert [h["from_uid"] for h in detail["reschedule_history"]] == [created.booking_uid]

        await publish(
            booking_event(
                tenant_id=tenant.id,
                email=email,
                trigger=BookingTrigger.CANCELLED,
                uid=meeting["provider_uid"],
                cancellation_reason="Budget frozen",
            )
        )
        cancelled = await wait_meeting(
            client, tenant, email=email, predicate=lambda m: m["status"] == "cancelled"
        )
        assert cancelled["cancellation_reason"] == "Budget frozen"
        types = [
            header(r, "ce_type")
            for r in await meeting_events.wait_for(
                lambda r, mid=meeting["meeting_id"]: header(r, "ce_subject") == mid, count=3
            )
        ]
        assert types == [
            "dealflow.meeting.booked.v1",
            "dealflow.meeting.rescheduled.v1",
            "dealflow.meeting.cancelled.v1",
        ]

    async def test_calendly_reschedule_in_either_order_is_one_meeting(
        self, client, tenant, publish, meeting_events: TopicProbe
    ) -> None:
        for cancel_first in (True, False):
            email = f"cly-{uuid.uuid4().hex[:6]}@acme.com"
            old_uri, new_uri = (
                f"https://api.calendly.com/i/{uuid.uuid4()}",
                f"https://api.calendly.com/i/{uuid.uuid4()}",
            )
            created = booking_event(
                tenant_id=tenant.id, email=email, uid=old_uri, provider=Provider.CALENDLY
            )
            cancel_half = booking_event(
                tenant_id=tenant.id,
                email=email,
                uid=old_uri,
                provider=Provider.CALENDLY,
                trigger=BookingTrigger.CANCELLED,
                is_reschedule=True,
                next_booking_uid=new_uri,
            )
            create_half = booking_event(
                tenant_id=tenant.id,
                email=email,
                uid=new_uri,
                provider=Provider.CALENDLY,
                start=created.start_time + timedelta(hours=5),
                previous_booking_uid=old_uri,
                is_reschedule=True,
            )
            await publish(created)
            for event in (cancel_half, create_half) if cancel_first else (create_half, cancel_half):
                await publish(event)

            meeting = await wait_meeting(
                client, tenant, email=email, predicate=lambda m: m["rescheduled_count"] == 1
            )
            assert meeting["status"] == "scheduled"
            assert meeting["provider_uid"] == new_uri
            types = await cancel_as_marker(
                publish,
                meeting_events,
                tenant_id=tenant.id,
                email=email,
                meeting_id=meeting["meeting_id"],
                uid=new_uri,
                provider=Provider.CALENDLY,
            )
            listing = (
                await client.get(
                    "/v1/meetings", params={"attendee_email": email}, headers=tenant.auth
                )
            ).json()
            assert len(listing["items"]) == 1
            assert types == [
                "dealflow.meeting.booked.v1",
                "dealflow.meeting.rescheduled.v1",
                "dealflow.meeting.cancelled.v1",
            ]

    async def test_cancel_before_create_is_not_lost(self, client, tenant, publish) -> None:
        email = f"early-{uuid.uuid4().hex[:6]}@acme.com"
        created = booking_event(tenant_id=tenant.id, email=email)
        cancelled = booking_event(
            tenant_id=tenant.id,
            email=email,
            uid=created.booking_uid,
            trigger=BookingTrigger.CANCELLED,
            cancellation_reason="oops",
        )
        await publish(cancelled)
        await publish(created)
        meeting = await wait_meeting(
            client, tenant, email=email, predicate=lambda m: m["status"] == "cancelled"
        )
        assert meeting["cancellation_reason"] == "oops"

    async def test_no_show_before_meeting_is_applied_when_it_appears(
        self, client, tenant, publish
    ) -> None:
        email = f"ns-{uuid.uuid4().hex[:6]}@acme.com"
        created = booking_event(tenant_id=tenant.id, email=email)
        no_show = booking_event(
            tenant_id=tenant.id,
            email=email,
            uid=created.booking_uid,
            trigger=BookingTrigger.NO_SHOW_UPDATED,
            start_time=None,
            end_time=None,
            attendees=[{"email": email, "no_show": True}],
        )
        await publish(no_show)
        await asyncio.sleep(0.5)
        await publish(created)
        meeting = await wait_meeting(
            client, tenant, email=email, predicate=lambda m: m["showed_up"] is False
        )
        assert meeting["attendance_confirmed_by"] == "calcom"

    async def test_meeting_ended_means_completed_and_attended(
        self, client, tenant, publish, meeting_events: TopicProbe
    ) -> None:
        email = f"end-{uuid.uuid4().hex[:6]}@acme.com"
        created = booking_event(tenant_id=tenant.id, email=email)
        await publish(created)
        await publish(
            booking_event(
                tenant_id=tenant.id,
                email=email,
                uid=created.booking_uid,
                trigger=BookingTrigger.MEETING_ENDED,
            )
        )
        meeting = await wait_meeting(
            client, tenant, email=email, predicate=lambda m: m["status"] == "completed"
        )
        assert meeting["showed_up"] is True
        await meeting_events.wait_for(
            of_meeting(meeting["meeting_id"], "dealflow.meeting.attended.v1")
        )


class TestCommands:
    async def booked(self, client, tenant, publish, **overrides) -> dict:
        email = f"cmd-{uuid.uuid4().hex[:6]}@acme.com"
        await publish(booking_event(tenant_id=tenant.id, email=email, **overrides))
        return await wait_meeting(client, tenant, email=email)

    async def test_confirm_attendance_outcome(
        self, client, tenant, publish, meeting_events: TopicProbe
    ) -> None:
        meeting = await self.booked(client, tenant, publish)
        path = f"/v1/meetings/{meeting['meeting_id']}"

        confirmed = await client.post(f"{path}/confirm", headers=tenant.auth)
        assert confirmed.status_code == 200
        assert confirmed.json()["confirmed"] is True

        outcome = await client.post(
            f"{path}/outcome",
            json={
                "outcome": "good",
                "notes": "Strong fit",
                "next_steps": "Send proposal",
                "create_deal": True,
                "deal_value": 12000,
            },
            headers=tenant.auth,
        )
        assert outcome.status_code == 200, outcome.text
        assert outcome.json()["showed_up"] is True
        assert outcome.json()["meeting_outcome"] == "good"
        [record] = await meeting_events.wait_for(
            of_meeting(meeting["meeting_id"], "dealflow.meeting.outcome_recorded.v1")
        )
        body = orjson.loads(record.value)
        assert (body["outcome"], body["create_deal"], body["deal_value"]) == ("good", True, 12000)
        await meeting_events.wait_for(
            of_meeting(meeting["meeting_id"], "dealflow.meeting.confirmed.v1")
        )

        attendance = await client.post(
            f"{path}/attendance",
            json={"showed_up": False, "confirmed_by": "rep@x.com", "no_show_reason": "sick"},
            headers=tenant.auth,
        )
        assert attendance.json()["showed_up"] is False
        assert attendance.json()["no_show_reason"] == "sick"

    @pytest.mark.parametrize("value", ["great", "cancelled"])
    async def test_invalid_outcome_is_422_naming_allowed_values(
        self, client, tenant, publish, value
    ) -> None:
        meeting = await self.booked(client, tenant, publish)
        response = await client.post(
            f"/v1/meetings/{meeting['meeting_id']}/outcome",
            json={"outcome": value},
            headers=tenant.auth,
        )
        assert response.status_code == 422
        assert "good" in response.json()["message"]
        assert "no_show" in response.json()["message"]
        after = await client.get(f"/v1/meetings/{meeting['meeting_id']}", headers=tenant.auth)
        assert after.json()["meeting_outcome"] == "pending"

    async def test_commands_on_cancelled_meeting_are_409(self, client, tenant, publish) -> None:
        meeting = await self.booked(client, tenant, publish)
        await publish(
            booking_event(
                tenant_id=tenant.id,
                email=meeting["primary_email"],
                uid=meeting["provider_uid"],
                trigger=BookingTrigger.CANCELLED,
            )
        )
        await wait_meeting(
            client,
            tenant,
            email=meeting["primary_email"],
            predicate=lambda m: m["status"] == "cancelled",
        )
        response = await client.post(
            f"/v1/meetings/{meeting['meeting_id']}/confirm", headers=tenant.auth
        )
        assert response.status_code == 409

    async def test_unknown_meeting_is_404_and_other_tenants_are_invisible(
        self, client, tenant, publish
    ) -> None:
        assert (
            await client.get(f"/v1/meetings/{uuid.uuid4()}", headers=tenant.auth)
        ).status_code == 404
        response = await client.get("/v1/meetings", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401


class TestQueries:
    async def test_filters_and_pagination(self, client, tenant, publish) -> None:
        email = f"q-{uuid.uuid4().hex[:6]}@acme.com"
        base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        events = [
            booking_event(tenant_id=tenant.id, email=email, start=base + timedelta(hours=i))
            for i in range(5)
        ]
        events.append(
            booking_event(
                tenant_id=tenant.id,
                email=email,
                start=base - timedelta(days=10),
                title="Product demo",
                event_type={"slug": "demo"},
            )
        )
        for event in events:
            await publish(event)
        await wait_meeting(
            client, tenant, email=email, predicate=lambda m: m["meeting_type"] == "demo"
        )
        for _ in range(50):
            page = (
                await client.get("/v1/meetings", params={"limit": 100}, headers=tenant.auth)
            ).json()
            if len(page["items"]) == 6:
                break
            await asyncio.sleep(0.1)

        upcoming = (
            await client.get("/v1/meetings", params={"upcoming": "true"}, headers=tenant.auth)
        ).json()
        assert len(upcoming["items"]) == 5
        demos = (
            await client.get("/v1/meetings", params={"type": "demo"}, headers=tenant.auth)
        ).json()
        assert len(demos["items"]) == 1
        ranged = (
            await client.get(
                "/v1/meetings",
                params={
                    "since": base.isoformat(),
                    "until": (base + timedelta(hours=2)).isoformat(),
                },
                headers=tenant.auth,
            )
        ).json()
        assert len(ranged["items"]) == 2

        seen, cursor = [], None
        while True:
            params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/meetings", params=params, headers=tenant.auth)).json()
            seen += [m["meeting_id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 6

        newest, cursor = [], None
        while True:
            params = {"limit": 4, "newest_first": "true", **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/meetings", params=params, headers=tenant.auth)).json()
            newest += [m["meeting_id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert newest == list(reversed(seen))

    async def test_show_rate(self, client, tenant, publish) -> None:
        past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
        emails = [f"sr{i}-{uuid.uuid4().hex[:4]}@acme.com" for i in range(3)]
        for email in emails:
            await publish(booking_event(tenant_id=tenant.id, email=email, start=past))
        meetings = [await wait_meeting(client, tenant, email=e) for e in emails]
        await client.post(f"/v1/meetings/{meetings[0]['meeting_id']}/confirm", headers=tenant.auth)
        await client.post(
            f"/v1/meetings/{meetings[0]['meeting_id']}/outcome",
            json={"outcome": "good"},
            headers=tenant.auth,
        )
        await client.post(
            f"/v1/meetings/{meetings[1]['meeting_id']}/outcome",
            json={"outcome": "no_show"},
            headers=tenant.auth,
        )

        figures = (
            await client.get("/v1/analytics/show-rate", params={"days": 7}, headers=tenant.auth)
        ).json()
        assert figures["total_meetings"] == 3
        assert figures["attendance_known"] == 2
        assert figures["show_rate"] == 0.5
        assert figures["no_show_rate"] == 0.5
        assert figures["confirmed_show_rate"] == 1.0
        assert figures["reminded_show_rate"] is None


async def test_asyncapi_documents_topics_and_payloads(client) -> None:
    response = await client.get("/asyncapi.json")
    assert response.status_code == 200, response.text
    document = response.text
    assert "dealflow.bookings.v1" in document
    assert "dealflow.meetings.v1" in document
    assert "MeetingRescheduled" in document
    assert "BookingEvent" in document
    assert "TenantChanged" in document
    assert "dealflow.attribution.v1" in document
    assert "MeetingAttributed" in document


async def test_manual_meeting_is_booked_and_published(client, tenant, meeting_events) -> None:
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    response = await client.post(
        "/v1/meetings",
        json={
            "title": "Product demo with Initech",
            "scheduled_at": start.isoformat(),
            "duration_minutes": 45,
            "attendee_email": "Peter@Initech.com",
            "attendee_name": "Peter",
            "notes": "Met at the trade fair",
        },
        headers=tenant.auth,
    )
    assert response.status_code == 201, response.text
    meeting = response.json()
    assert (meeting["provider"], meeting["provider_uid"], meeting["meeting_type"]) == (
        "manual",
        None,
        "demo",
    )
    assert (meeting["primary_email"], meeting["company_domain"], meeting["duration_minutes"]) == (
        "peter@initech.com",
        "initech.com",
        45,
    )
    assert meeting["booking_method"] == "manual"
    [record] = await meeting_events.wait_for(
        of_meeting(meeting["meeting_id"], "dealflow.meeting.booked.v1")
    )
    assert orjson.loads(record.value)["meeting"]["notes"] == "Met at the trade fair"
    detail = (await client.get(f"/v1/meetings/{meeting['meeting_id']}", headers=tenant.auth)).json()
    assert [r["offset_minutes"] for r in detail["reminders"]] == [1440]

    naive = await client.post(
        "/v1/meetings",
        json={"title": "x", "scheduled_at": "2030-01-01T10:00:00", "attendee_email": "a@b.com"},
        headers=tenant.auth,
    )
    assert naive.status_code == 422
    assert "scheduled_at" in naive.json()["message"]


class TestByBooking:
    async def test_a_meeting_is_found_by_its_uids_and_its_bookings_event_id(
        self, client, tenant, publish
    ) -> None:
        email = f"find-{uuid.uuid4().hex[:6]}@acme.com"
        created = booking_event(tenant_id=tenant.id, email=email)
        booked_as = uuid.uuid4()
        await publish(created, event_id=booked_as)
        moved = booking_event(
            tenant_id=tenant.id,
            email=email,
            trigger=BookingTrigger.RESCHEDULED,
            start=created.start_time + timedelta(days=1),
            previous_booking_uid=created.booking_uid,
            is_reschedule=True,
        )
        moved_as = uuid.uuid4()
        await publish(moved, event_id=moved_as)
        meeting = await wait_meeting(
            client, tenant, email=email, predicate=lambda m: m["rescheduled_count"] == 1
        )

        detail = (
            await client.get(f"/v1/meetings/{meeting['meeting_id']}", headers=tenant.auth)
        ).json()
        assert detail["booking_id"] == str(booked_as)
        for known_as in (created.booking_uid, moved.booking_uid, booked_as, moved_as):
            found = await client.get(f"/v1/meetings/by-booking/{known_as}", headers=tenant.auth)
            assert found.status_code == 200, (known_as, found.text)
            assert found.json()["meeting_id"] == meeting["meeting_id"]
            assert found.json()["booking_id"] == str(booked_as)

    async def test_an_unknown_booking_is_404(self, client, tenant, publish) -> None:
        email = f"other-{uuid.uuid4().hex[:6]}@acme.com"
        event = booking_event(tenant_id=tenant.id, email=email)
        await publish(event)
        await wait_meeting(client, tenant, email=email)

        unknown = await client.get(f"/v1/meetings/by-booking/{uuid.uuid4()}", headers=tenant.auth)
        assert unknown.status_code == 404
        assert "no meeting for booking" in unknown.json()["message"]
