"""A booking becomes a touch and a MeetingAttributed naming the journey before it."""

import uuid
from datetime import timedelta

import orjson
from sqlalchemy import select

from attribution.db.tables import outbox
from attribution.use_cases import record_meeting_events
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.kafka import TopicProbe, header, publish_event
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC, MeetingAttributed
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingBooked, MeetingConfirmed


class TestMeetingBooked:
    async def test_booking_is_attributed_to_the_touches_before_it(
        self, client, tenant, producer, attribution_events: TopicProbe
    ) -> None:
        email = f"jo@{uuid.uuid4().hex[:6]}.com"
        event = meeting_event(MeetingBooked, tenant_id=tenant.id, email=email, company_domain=None)
        booked_at = event.occurred_at
        touches = [
            (
                "first",
                booked_at - timedelta(days=10, hours=1),
                {"utm_source": "google", "utm_medium": "cpc"},
            ),
            ("open", booked_at - timedelta(days=3), {"activity_type": "email_opened"}),
            ("last", booked_at - timedelta(days=1), {"activity_type": "call"}),
            ("after", booked_at + timedelta(hours=1), {}),
        ]
        body = {
            "touches": [
                {
                    "touch_id": touch_id,
                    "person_email": email,
                    "occurred_at": at.isoformat(),
                    "activity_type": "web_visit",
                    **fields,
                }
                for touch_id, at, fields in touches
            ]
        }
        assert (await client.post("/v1/touches", json=body, headers=tenant.auth)).json()[
            "created"
        ] == 4
        await publish_event(producer, MEETINGS_TOPIC, event, key=str(event.meeting_id))

        (record,) = await attribution_events.wait_for(
            lambda r: header(r, "ce_subject") == str(event.meeting_id)
        )
        assert header(record, "ce_type") == MeetingAttributed.ce_type
        found = MeetingAttributed.model_validate(orjson.loads(record.value))
        # The open is not eligible and the later touch comes after the booking.
        assert (
            found.touches_before_booking,
            found.days_to_booking,
            found.first_touch_channel,
            found.converting_activity_id,
            found.converting_channel,
            found.person_email,
            found.rule_version,
        ) == (2, 10, "Paid Search", "last", "Phone", email, 1)

        lead = (await client.get(f"/v1/leads/{email}", headers=tenant.auth)).json()
        timeline = [item["touch"] for item in lead["timeline"] if item["kind"] == "touch"]
        (booking,) = [t for t in timeline if t["source"] == "meeting"]
        assert booking["touch_id"] == f"meeting:{event.meeting_id}"
        assert (booking["activity_type"], booking["utm_source"]) == ("meeting_booked", "linkedin")

    async def test_a_booking_without_touches(self, tenant, uow_factory, sessions) -> None:
        event = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"new@{uuid.uuid4().hex[:6]}.com"
        )
        await record_meeting_events(
            uow_factory("attribution-meetings"), [(str(uuid.uuid4()), event)]
        )
        (value,) = await outbox_values(sessions, str(event.meeting_id))
        found = MeetingAttributed.model_validate_json(value)
        assert (found.touches_before_booking, found.days_to_booking, found.converting_channel) == (
            0,
            None,
            None,
        )

    async def test_redelivered_and_repeated_bookings_publish_once(
        self, tenant, uow_factory, sessions
    ) -> None:
        event = meeting_event(MeetingBooked, tenant_id=tenant.id)
        event_id = str(uuid.uuid4())
        consumer = "attribution-meetings"
        await record_meeting_events(uow_factory(consumer), [(event_id, event)])
        # The same delivery again (the inbox claim), and the same meeting under another event id.
        await record_meeting_events(uow_factory(consumer), [(event_id, event)])
        await record_meeting_events(uow_factory(consumer), [(str(uuid.uuid4()), event)])
        # Other meeting events are read and change nothing.
        confirmed = meeting_event(
            MeetingConfirmed, tenant_id=tenant.id, meeting_id=event.meeting_id
        )
        await record_meeting_events(uow_factory(consumer), [(str(uuid.uuid4()), confirmed)])
        assert len(await outbox_values(sessions, str(event.meeting_id))) == 1


async def outbox_values(sessions, key: str) -> list[bytes]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.scalars(
            select(outbox.c.value).where(outbox.c.topic == ATTRIBUTION_TOPIC, outbox.c.key == key)
        )
        return list(rows)
