"""Meeting events on the real broker drive companies and deals, observable over HTTP and Kafka."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import orjson

from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.kafka import TopicProbe, header, publish_event
from dealflow_schemas.meetings import (
    MEETINGS_TOPIC,
    MeetingAttended,
    MeetingBooked,
    MeetingCancelled,
    MeetingEvent,
    MeetingNoShow,
    MeetingOutcomeRecorded,
    MeetingRescheduled,
    MeetingStatus,
)


def domain() -> str:
    return f"acme-{uuid.uuid4().hex[:6]}.co.uk"


async def deals_of(
    client,
    tenant,
    company_domain: str,
    *,
    expect: int = 1,
    predicate=lambda d: True,
    within: float = 15,
) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        page = (
            await client.get(
                "/v1/deals", params={"company_domain": company_domain}, headers=tenant.auth
            )
        ).json()
        items = [d for d in page["items"] if predicate(d)]
        if len(items) >= expect:
            return items
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{len(items)}/{expect} deals for {company_domain}: {page}")
        await asyncio.sleep(0.1)


async def applied_through(client, tenant, producer, *events: MeetingEvent) -> list[str]:
    """Sends a marker booking on each event's Kafka key and waits until deals has applied them
    all: every event sent before on those keys was applied first (one partition, in order), so
    a duplicate it caused would be visible now. Returns the marker companies' domains."""
    markers = []
    for event in events:
        company = domain()
        marker = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"marker@{company}", company_domain=company
        )
        await publish_event(producer, MEETINGS_TOPIC, marker, key=str(event.meeting_id))
        markers.append(company)
    for company in markers:
        for _ in range(150):
            found = await client.get(
                "/v1/companies", params={"domain": company}, headers=tenant.auth
            )
            if found.json()["items"]:
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError(f"marker {company} not applied")
    return markers


class TestDealCreation:
    async def test_business_booking_creates_company_and_deal_at_booked(
        self, client, tenant, publish, deal_events: TopicProbe
    ) -> None:
        company = domain()
        booked = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"jane@{company}", company_domain=company
        )
        await publish(booked)

        [deal] = await deals_of(client, tenant, company)
        assert (deal["status"], deal["stage"], deal["probability"]) == ("active", "booked", 10)
        assert deal["currency"] == "EUR"
        assert deal["company"]["domain"] == company
        assert deal["source_meeting_id"] == str(booked.meeting_id)
        [record] = await deal_events.wait_for(lambda r: header(r, "ce_subject") == deal["deal_id"])
        assert header(record, "ce_type") == "dealflow.deal.created.v1"
        assert record.key == deal["deal_id"].encode()
        body = orjson.loads(record.value)
        assert body["meeting"]["meeting_id"] == str(booked.meeting_id)
        assert body["deal"]["company"]["domain"] == company

        detail = (await client.get(f"/v1/deals/{deal['deal_id']}", headers=tenant.auth)).json()
        assert [m["meeting_id"] for m in detail["meetings"]] == [str(booked.meeting_id)]
        assert [c["email"] for c in detail["contacts"]] == [f"jane@{company}"]
        assert [(h["kind"], h["to_stage"]) for h in detail["stage_history"]] == [
            ("created", "booked")
        ]

    async def test_second_booking_from_the_same_company_links_to_the_deal(
        self, client, tenant, publish, producer
    ) -> None:
        company = domain()
        first = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"a@{company}", company_domain=company
        )
        second = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"b@{company}", company_domain=company
        )
        await publish(first)
        await publish(second)
        await deals_of(client, tenant, company, predicate=lambda d: len(d["meeting_ids"]) == 2)
        await applied_through(client, tenant, producer, first, second)
        deals = (
            await client.get("/v1/deals", params={"company_domain": company}, headers=tenant.auth)
        ).json()["items"]
        assert len(deals) == 1
        assert set(deals[0]["meeting_ids"]) == {str(first.meeting_id), str(second.meeting_id)}

    async def test_simultaneous_bookings_from_one_company_make_one_deal(
        self, client, tenant, publish
    ) -> None:
        company = domain()
        events = [
            meeting_event(
                MeetingBooked, tenant_id=tenant.id, email=f"p{i}@{company}", company_domain=company
            )
            for i in range(12)
        ]
        await asyncio.gather(*[publish(e) for e in events])
        await deals_of(client, tenant, company, predicate=lambda d: len(d["meeting_ids"]) == 12)
        deals = (
            await client.get("/v1/deals", params={"company_domain": company}, headers=tenant.auth)
        ).json()["items"]
        assert len(deals) == 1

    async def test_personal_email_creates_no_company_and_no_deal(
        self, client, tenant, publish, producer
    ) -> None:
        booked = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email="someone@gmail.com", company_domain=None
        )
        await publish(booked)
        markers = await applied_through(client, tenant, producer, booked)

        companies = (await client.get("/v1/companies", headers=tenant.auth)).json()["items"]
        assert [c["domain"] for c in companies] == markers
        deals = (await client.get("/v1/deals", headers=tenant.auth)).json()["items"]
        assert [d["company"]["domain"] for d in deals] == markers


class TestMeetingEffects:
    async def booked(self, client, tenant, publish, **kw) -> tuple[str, dict, object]:
        company = domain()
        event = meeting_event(
            MeetingBooked,
            tenant_id=tenant.id,
            email=f"jane@{company}",
            company_domain=company,
            **kw,
        )
        await publish(event)
        [deal] = await deals_of(client, tenant, company)
        return company, deal, event

    async def test_attended_moves_booked_to_met_and_good_outcome_to_qualification(
        self, client, tenant, publish, deal_events: TopicProbe
    ) -> None:
        company, deal, booked = await self.booked(client, tenant, publish)
        mid = booked.meeting_id
        await publish(
            meeting_event(
                MeetingAttended,
                tenant_id=tenant.id,
                meeting_id=mid,
                email=f"jane@{company}",
                company_domain=company,
                status=MeetingStatus.COMPLETED,
            )
        )
        await deals_of(client, tenant, company, predicate=lambda d: d["stage"] == "met")
        await publish(
            meeting_event(
                MeetingOutcomeRecorded,
                tenant_id=tenant.id,
                meeting_id=mid,
                email=f"jane@{company}",
                company_domain=company,
                extra={"outcome": "good"},
            )
        )
        [moved] = await deals_of(
            client, tenant, company, predicate=lambda d: d["stage"] == "qualification"
        )
        assert moved["probability"] == 20
        changes = await deal_events.wait_for(
            lambda r: (
                header(r, "ce_subject") == deal["deal_id"]
                and header(r, "ce_type") == "dealflow.deal.stage_changed.v1"
            ),
            count=2,
        )
        assert [
            (orjson.loads(r.value)["from_stage"], orjson.loads(r.value)["to_stage"])
            for r in changes
        ] == [("booked", "met"), ("met", "qualification")]

    async def test_bad_outcome_and_no_show_leave_the_stage_but_reach_the_timeline(
        self, client, tenant, publish
    ) -> None:
        company, deal, booked = await self.booked(client, tenant, publish)
        common = {
            "tenant_id": tenant.id,
            "meeting_id": booked.meeting_id,
            "email": f"jane@{company}",
            "company_domain": company,
        }
        await publish(meeting_event(MeetingNoShow, **common))
        await publish(meeting_event(MeetingOutcomeRecorded, **common, extra={"outcome": "bad"}))
        for _ in range(100):
            detail = (await client.get(f"/v1/deals/{deal['deal_id']}", headers=tenant.auth)).json()
            if len(detail["timeline"]) == 2:
                break
            await asyncio.sleep(0.1)
        assert detail["stage"] == "booked"
        assert [a["kind"] for a in detail["timeline"]] == ["meeting_no_show", "meeting_outcome"]

    async def test_cancel_of_a_booked_only_deal_cancels_it(
        self, client, tenant, publish, deal_events: TopicProbe
    ) -> None:
        company, deal, booked = await self.booked(client, tenant, publish)
        await publish(
            meeting_event(
                MeetingCancelled,
                tenant_id=tenant.id,
                meeting_id=booked.meeting_id,
                email=f"jane@{company}",
                company_domain=company,
                status=MeetingStatus.CANCELLED,
                extra={"reason": "no budget"},
            )
        )
        [cancelled] = await deals_of(
            client, tenant, company, predicate=lambda d: d["status"] == "cancelled"
        )
        assert cancelled["stage"] == "booked"
        await deal_events.wait_for(
            lambda r: (
                header(r, "ce_subject") == deal["deal_id"]
                and header(r, "ce_type") == "dealflow.deal.cancelled.v1"
            )
        )

    async def test_cancel_keeps_the_deal_while_another_meeting_is_upcoming_or_past_booked(
        self, client, tenant, publish, producer
    ) -> None:
        company, _deal, booked = await self.booked(client, tenant, publish)
        other = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"bob@{company}", company_domain=company
        )
        await publish(other)
        await deals_of(client, tenant, company, predicate=lambda d: len(d["meeting_ids"]) == 2)
        await publish(
            meeting_event(
                MeetingCancelled,
                tenant_id=tenant.id,
                meeting_id=booked.meeting_id,
                email=f"jane@{company}",
                company_domain=company,
                status=MeetingStatus.CANCELLED,
            )
        )
        await applied_through(client, tenant, producer, booked)
        [still] = await deals_of(client, tenant, company)
        assert still["status"] == "active"

    async def test_reschedule_never_creates_or_cancels(
        self, client, tenant, publish, producer
    ) -> None:
        company, _deal, booked = await self.booked(client, tenant, publish)
        later = datetime.now(UTC) + timedelta(days=9)
        await publish(
            meeting_event(
                MeetingRescheduled,
                tenant_id=tenant.id,
                meeting_id=booked.meeting_id,
                email=f"jane@{company}",
                company_domain=company,
                start=later,
            )
        )
        await applied_through(client, tenant, producer, booked)
        deals = await deals_of(client, tenant, company)
        assert len(deals) == 1
        assert deals[0]["status"] == "active"

    async def test_redelivered_meeting_event_changes_nothing(
        self, client, tenant, producer, deal_events: TopicProbe
    ) -> None:
        company = domain()
        booked = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"jane@{company}", company_domain=company
        )
        event_id = uuid.uuid4()
        for _ in range(3):
            await publish_event(
                producer, MEETINGS_TOPIC, booked, key=str(booked.meeting_id), event_id=event_id
            )
        [deal] = await deals_of(client, tenant, company)
        # Marker: the meeting attended (same key) moves the deal; its DealStageChanged follows
        # any second DealCreated on the deal's partition, so a late duplicate would be seen.
        attended = meeting_event(
            MeetingAttended,
            tenant_id=tenant.id,
            meeting_id=booked.meeting_id,
            email=f"jane@{company}",
            company_domain=company,
            status=MeetingStatus.COMPLETED,
        )
        await publish_event(producer, MEETINGS_TOPIC, attended, key=str(booked.meeting_id))
        await deal_events.wait_for(
            lambda r: (
                header(r, "ce_subject") == deal["deal_id"]
                and header(r, "ce_type") == "dealflow.deal.stage_changed.v1"
            )
        )
        types = [
            header(r, "ce_type")
            for r in deal_events.matching(lambda r: header(r, "ce_subject") == deal["deal_id"])
        ]
        assert types == ["dealflow.deal.created.v1", "dealflow.deal.stage_changed.v1"]


class TestGoodOutcomePolicy:
    async def test_deal_only_on_good_outcome_with_create_deal(
        self, client, tenant, publish, producer
    ) -> None:
        saved = await client.put(
            "/v1/settings", json={"policy": "on_good_outcome"}, headers=tenant.auth
        )
        assert saved.status_code == 200, saved.text
        company = domain()
        booked = meeting_event(
            MeetingBooked,
            tenant_id=tenant.id,
            email=f"jane@{company}",
            company_domain=company,
            converting_channel="linkedin",
        )
        await publish(booked)
        await applied_through(client, tenant, producer, booked)
        assert (
            await client.get("/v1/deals", params={"company_domain": company}, headers=tenant.auth)
        ).json()["items"] == []

        await publish(
            meeting_event(
                MeetingOutcomeRecorded,
                tenant_id=tenant.id,
                meeting_id=booked.meeting_id,
                email=f"jane@{company}",
                company_domain=company,
                converting_channel="linkedin",
                extra={
                    "outcome": "good",
                    "create_deal": True,
                    "deal_value": 25000,
                    "deal_name": "Acme rollout",
                },
            )
        )
        [deal] = await deals_of(client, tenant, company)
        assert (deal["stage"], deal["name"], deal["value"], deal["converting_channel"]) == (
            "qualification",
            "Acme rollout",
            "25000.00",
            "linkedin",
        )
        assert deal["source_meeting_id"] == str(booked.meeting_id)
