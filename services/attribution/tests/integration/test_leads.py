"""The leads read model over the real broker and PostgreSQL: statuses follow touches (API),
bookings and deal events (topics), filters and the cursor, redelivery, tenants, errors."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, text

from attribution.db.tables import leads, meeting_attendees, tenants
from attribution.deal_events import record_deal_events
from attribution.domain.leads import LeadStatus
from attribution.leads import record_tenant_changes, refresh_deals
from attribution.reporting import record_deal_states
from attribution.use_cases import record_meeting_events, record_touches
from dealflow_libs.auth import hash_api_key
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.kafka import TopicProbe, header, publish_event
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.attribution import ActivityType, TouchIn
from dealflow_schemas.deals import (
    DEALS_TOPIC,
    DealCreated,
    DealEvent,
    DealLost,
    DealReopened,
    DealStatus,
    DealWon,
    LostReason,
)
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingAttended, MeetingBooked
from dealflow_schemas.tenants import TenantChanged

from . import factories

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def deal_event(
    kind: type[DealEvent],
    tenant_id: str,
    deal_id: uuid.UUID,
    domain: str | None,
    status: DealStatus,
    *,
    contact: str | None = None,
    **fields: Any,
) -> DealEvent:
    """A 2,500 EUR deal created at T0 + 5 days, closed (if so) at T0 + 20 days."""
    return factories.deal_event(
        kind,
        tenant_id,
        deal_id,
        domain,
        status=status,
        value="2500.00",
        currency="EUR",
        contact=contact,
        created_at=T0 + timedelta(days=5),
        closed_at=T0 + timedelta(days=20),
        **fields,
    )


def touch(touch_id: str, email: str, days: float = 0, **fields: Any) -> dict[str, Any]:
    return {
        "touch_id": touch_id,
        "person_email": email,
        "occurred_at": (T0 + timedelta(days=days)).isoformat(),
        "activity_type": "email_sent",
        **fields,
    }


def new_id() -> str:
    """An event id no other test claimed (the inbox is per consumer, across tenants)."""
    return str(uuid.uuid4())


async def post(client: httpx.AsyncClient, tenant: TenantCredentials, *items: Any) -> None:
    answer = await client.post("/v1/touches", json={"touches": list(items)}, headers=tenant.auth)
    assert answer.json()["created"] == len(items), answer.text


async def statuses(client: httpx.AsyncClient, tenant: TenantCredentials) -> dict[str, str]:
    return {lead["email"]: lead["status"] for lead in await walk(client, tenant, limit=500)}


async def walk(
    client: httpx.AsyncClient, tenant: TenantCredentials, *, limit: int, **filters: Any
) -> list[dict[str, Any]]:
    """Every page of GET /v1/leads, following the cursor."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**filters, "limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = await client.get("/v1/leads", params=params, headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


class Deals:
    """Deal events through the topic; a won deal of another company on the same key, whose
    DealAttributed comes after, marks that the events before it were handled."""

    def __init__(self, producer: Any, probe: TopicProbe, tenant: TenantCredentials) -> None:
        self.producer, self.probe, self.tenant = producer, probe, tenant

    async def publish(self, *events: DealEvent, event_id: uuid.UUID | None = None) -> None:
        key = str(events[0].deal_id)
        for event in events:
            await publish_event(self.producer, DEALS_TOPIC, event, key=key, event_id=event_id)
        marker = deal_event(
            DealWon, self.tenant.id, uuid.uuid4(), f"m-{uuid.uuid4().hex[:6]}.com", DealStatus.WON
        )
        await publish_event(self.producer, DEALS_TOPIC, marker, key=key)
        await self.probe.wait_for(lambda r: header(r, "ce_subject") == str(marker.deal_id))


class TestStatusesFollowTheEvents:
    async def test_touched_to_converted_through_the_topics(
        self, client, sessions, producer, attribution_events: TopicProbe
    ) -> None:
        tenant = await seed_tenant(sessions, tenants, prefix="a")
        domain = f"{uuid.uuid4().hex[:8]}.com"
        ana, bo, cy, eve = f"ana@{domain}", f"bo@eu.{domain}", "cy@gmail.com", "eve@gmail.com"
        await post(client, tenant, touch("a1", ana), touch("b1", bo, 1), touch("c1", cy, 2))
        assert await statuses(client, tenant) == dict.fromkeys([ana, bo, cy], "touched")

        # Ana books with Eve (a gmail attendee with no touch): both are meeting_booked.
        booked = meeting_event(
            MeetingBooked,
            tenant_id=tenant.id,
            email=ana,
            company_domain=domain,
            attendees=[{"email": ana, "name": "Ana"}, {"email": eve, "name": "Eve"}],
        )
        await publish_event(producer, MEETINGS_TOPIC, booked, key=str(booked.meeting_id))
        await attribution_events.wait_for(
            lambda r: header(r, "ce_subject") == str(booked.meeting_id)
        )
        assert await statuses(client, tenant) == {
            ana: "meeting_booked",
            bo: "touched",
            cy: "touched",
            eve: "meeting_booked",
        }

        # An active deal of the company, linking the meeting: the company's people and the
        # attendee are its opportunity; cy (another person, personal address) is not.
        deals = Deals(producer, attribution_events, tenant)
        deal_id = uuid.uuid4()
        linked = {"meeting_ids": [booked.meeting_id], "contact": ana}
        created = deal_event(DealCreated, tenant.id, deal_id, domain, DealStatus.ACTIVE, **linked)
        await deals.publish(created)
        account = {ana: "opportunity", bo: "opportunity", cy: "touched", eve: "opportunity"}
        assert await statuses(client, tenant) == account

        lost = deal_event(
            DealLost,
            tenant.id,
            deal_id,
            domain,
            DealStatus.LOST,
            reason=LostReason.NO_BUDGET,
            **linked,
        )
        lost_id = uuid.uuid4()
        await deals.publish(lost, event_id=lost_id)
        assert await statuses(client, tenant) == {**account, ana: "lost", bo: "lost", eve: "lost"}

        reopened = deal_event(
            DealReopened,
            tenant.id,
            deal_id,
            domain,
            DealStatus.ACTIVE,
            from_status=DealStatus.LOST,
            **linked,
        )
        await deals.publish(reopened)
        assert await statuses(client, tenant) == account

        won = deal_event(DealWon, tenant.id, deal_id, domain, DealStatus.WON, **linked)
        await publish_event(producer, DEALS_TOPIC, won, key=str(deal_id))
        await attribution_events.wait_for(lambda r: header(r, "ce_subject") == str(deal_id))
        converted = {ana: "converted", bo: "converted", cy: "touched", eve: "converted"}
        assert await statuses(client, tenant) == converted
        rows = await lead_rows(sessions, tenant.id)

        # The loss delivered again (the same event id), and a new event carrying the older
        # state: neither changes a row.
        await deals.publish(lost, event_id=lost_id)
        stale = deal_event(
            DealLost,
            tenant.id,
            deal_id,
            domain,
            DealStatus.LOST,
            reason=LostReason.NO_BUDGET,
            occurred_at=lost.occurred_at,
            **linked,
        )
        await deals.publish(stale)
        assert await lead_rows(sessions, tenant.id) == rows

        detail = (await client.get(f"/v1/leads/{eve}", headers=tenant.auth)).json()
        assert (detail["status"], detail["touches"], detail["meetings"]) == ("converted", 0, 1)
        assert detail["company_domain"] is None
        # The deal was created (T0 + 5 days) before this booking (now): time order.
        assert [item["kind"] for item in detail["timeline"]] == ["deal", "meeting"]
        assert detail["timeline"][1]["meeting"]["attendees"] == sorted([ana, eve])
        deal = detail["timeline"][0]["deal"]
        assert (deal["deal_id"], deal["status"], deal["value"], deal["currency"]) == (
            str(deal_id),
            "won",
            "2500.00",
            "EUR",
        )
        assert datetime.fromisoformat(deal["won_at"]) == T0 + timedelta(days=20)
        assert deal["lost_at"] is None


async def lead_rows(sessions: Any, tenant_id: str) -> list[tuple[Any, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            select(leads).where(leads.c.tenant_id == tenant_id).order_by(leads.c.email)
        )
        return [tuple(row) for row in rows]


class TestListing:
    async def test_filters_and_cursor_pages_cover_every_lead_once(
        self, client, sessions, uow_factory
    ) -> None:
        tenant = await seed_tenant(sessions, tenants, prefix="a")
        other = await seed_tenant(sessions, tenants, prefix="a")
        acme, beta = f"acme-{uuid.uuid4().hex[:6]}.com", f"beta-{uuid.uuid4().hex[:6]}.com"
        people = [f"p{i:02d}@{acme if i % 2 else beta}" for i in range(23)]
        await post(
            client,
            tenant,
            *(touch(f"t{i}", email, days=i) for i, email in enumerate(people)),
            # Two more touches of p00 later on: one lead, three touches, first channel kept.
            touch("t-late", people[0], days=40, activity_type="call"),
            touch("t-web", people[0], days=41, utm_source="google", utm_medium="cpc"),
            touch("c1", "Carla_100%@Gmail.com", days=3, activity_type="linkedin_message"),
            touch("c2", "carla_1@gmail.com", days=4, activity_type="call"),
        )
        await post(client, other, touch("o1", people[0]))
        # p01 books a meeting; beta's deal is active, so every beta lead is an opportunity.
        booked = meeting_event(MeetingBooked, tenant_id=tenant.id, email=people[1])
        await record_meeting_events(uow_factory("attribution-meetings"), [(new_id(), booked)])
        active = deal_event(DealCreated, tenant.id, uuid.uuid4(), beta, DealStatus.ACTIVE)
        await record_deal_events(uow_factory("attribution-deals"), [(new_id(), active)])

        everyone = sorted([*people, "carla_100%@gmail.com", "carla_1@gmail.com"])
        for limit in (1, 7, 25, 500):
            assert [lead["email"] for lead in await walk(client, tenant, limit=limit)] == everyone

        async def emails(**filters: Any) -> list[str]:
            return [lead["email"] for lead in await walk(client, tenant, limit=4, **filters)]

        betas = [p for p in people if p.endswith(beta)]
        assert await emails(status="opportunity") == betas
        assert await emails(status="meeting_booked") == [people[1]]
        assert await emails(status="converted") == []
        # A subdomain names its company.
        assert await emails(company_domain=f"mail.{acme}") == sorted(
            p for p in people if p.endswith(acme)
        )
        assert await emails(channel="Phone") == ["carla_1@gmail.com"]
        assert await emails(channel="Outbound Email") == sorted(people)  # p00's first touch
        seen = {lead["email"]: lead for lead in await walk(client, tenant, limit=500)}
        assert (seen[people[0]]["touches"], seen[people[0]]["first_touch_channel"]) == (
            3,
            "Outbound Email",
        )
        assert seen["carla_1@gmail.com"]["company_domain"] is None
        since, until = T0 + timedelta(days=5), T0 + timedelta(days=9)
        window = {"first_seen_from": since.isoformat(), "first_seen_to": until.isoformat()}
        assert await emails(**window) == sorted(people[5:10])
        assert await emails(**window, status="opportunity") == sorted(
            p for p in people[5:10] if p.endswith(beta)
        )
        # An email prefix, case-insensitive, its % and _ taken literally.
        assert await emails(q="P1") == sorted(p for p in people if p.startswith("p1"))
        assert await emails(q="carla_1") == ["carla_100%@gmail.com", "carla_1@gmail.com"]
        assert await emails(q="carla_100%") == ["carla_100%@gmail.com"]
        assert await emails(q="carla%") == []

        # Another tenant sees only its own lead, and none of these.
        assert [lead["email"] for lead in await walk(client, other, limit=50)] == [people[0]]
        mine = await client.get(f"/v1/leads/{people[2]}", headers=other.auth)
        assert mine.status_code == 404

    async def test_a_bad_filter_is_a_422_naming_it(self, client, tenant) -> None:
        async def problem(**params: Any) -> tuple[int, str]:
            answer = await client.get("/v1/leads", params=params, headers=tenant.auth)
            return answer.status_code, answer.json().get("message", "")

        status, message = await problem(status="won")
        assert (status, message.split(":")[0]) == (422, "query.status")
        status, message = await problem(first_seen_from="2026-01-01T00:00:00")  # naive
        assert (status, message.split(":")[0]) == (422, "query.first_seen_from")
        assert await problem(
            first_seen_from="2026-02-01T00:00:00Z", first_seen_to="2026-01-01T00:00:00Z"
        ) == (422, "first_seen_from: after first_seen_to")
        assert await problem(company_domain="localhost") == (
            422,
            "company_domain: not a domain name with a registrable domain",
        )
        status, message = await problem(stauts="touched")
        assert (status, message.split(":")[0]) == (422, "stauts")
        assert (await problem(limit=0))[0] == 422
        assert (await problem(cursor="nope"))[0] == 400
        assert (await client.get("/v1/leads")).status_code == 401
        assert (await client.get("/v1/leads/x@y.com")).status_code == 401
        unknown = await client.get("/v1/leads/nobody@nowhere.com", headers=tenant.auth)
        assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")


class TestTimeline:
    async def test_touches_meetings_and_deals_in_time_order(
        self, client, tenant, uow_factory
    ) -> None:
        domain = f"{uuid.uuid4().hex[:8]}.com"
        email = f"ivy@{domain}"
        start = T0 + timedelta(days=3)
        booked = meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=email, company_domain=domain, start=start
        )
        booked = booked.model_copy(update={"occurred_at": T0 + timedelta(days=2)})
        attended = meeting_event(
            MeetingAttended,
            tenant_id=tenant.id,
            meeting_id=booked.meeting_id,
            email=email,
            company_domain=domain,
            start=start,
            showed_up=True,
        )
        await record_meeting_events(
            uow_factory("attribution-meetings"), [(new_id(), booked), (new_id(), attended)]
        )
        await post(client, tenant, touch("first", email, 1), touch("later", email.upper(), 30))
        won = deal_event(DealWon, tenant.id, uuid.uuid4(), domain, DealStatus.WON)
        # Another deal of the account created at the same instant: deals tie by id.
        upsell = deal_event(DealCreated, tenant.id, uuid.uuid4(), domain, DealStatus.ACTIVE)
        await record_deal_events(
            uow_factory("attribution-deals"), [(new_id(), won), (new_id(), upsell)]
        )

        detail = (await client.get(f"/v1/leads/{email.upper()}", headers=tenant.auth)).json()
        assert (detail["email"], detail["status"], detail["company_domain"]) == (
            email,
            "converted",
            domain,
        )
        assert (detail["touches"], detail["meetings"]) == (3, 1)  # the booking is a touch too
        assert datetime.fromisoformat(detail["first_seen_at"]) == T0 + timedelta(days=1)
        assert datetime.fromisoformat(detail["last_touch_at"]) == T0 + timedelta(days=30)
        kinds = [
            (item["kind"], (item["touch"] or {}).get("touch_id")) for item in detail["timeline"]
        ]
        assert kinds == [
            ("touch", "first"),
            ("touch", f"meeting:{booked.meeting_id}"),  # at the booking instant, touch first
            ("meeting", None),
            ("deal", None),
            ("deal", None),
            ("touch", "later"),
        ]
        deals = [item["deal"]["deal_id"] for item in detail["timeline"] if item["deal"]]
        assert deals == sorted([str(won.deal_id), str(upsell.deal_id)])
        meeting = detail["timeline"][2]["meeting"]
        assert (meeting["status"], meeting["showed_up"], meeting["booked_by"]) == (
            attended.meeting.status.value,
            True,
            email,
        )
        assert datetime.fromisoformat(meeting["scheduled_at"]) == start
        (deal,) = [d for d in (item["deal"] for item in detail["timeline"]) if d and d["won_at"]]
        assert (deal["deal_id"], deal["status"], deal["stage"]) == (
            str(won.deal_id),
            "won",
            "closed_won",
        )


class TestTenantChanges:
    async def test_new_personal_domains_move_companies_and_accounts(
        self, client, sessions, uow_factory
    ) -> None:
        tenant = await seed_tenant(sessions, tenants, prefix="a")
        domain = f"mail-{uuid.uuid4().hex[:6]}.com"
        dee = f"dee@{domain}"
        await post(client, tenant, touch("d1", dee), touch("z1", f"zed@x.{domain}"))
        active = deal_event(DealCreated, tenant.id, uuid.uuid4(), domain, DealStatus.ACTIVE)
        await record_deal_events(uow_factory("attribution-deals"), [(new_id(), active)])

        async def leads_now() -> dict[str, tuple[str | None, str]]:
            found = await walk(client, tenant, limit=50)
            return {lead["email"]: (lead["company_domain"], lead["status"]) for lead in found}

        company = {dee: (domain, "opportunity"), f"zed@x.{domain}": (domain, "opportunity")}
        assert await leads_now() == company

        def change(personal: list[str]) -> TenantChanged:
            return TenantChanged(
                tenant_id=tenant.id,
                name=tenant.id,
                api_key_hashes=[hash_api_key(tenant.api_key)],
                personal_domains=personal,
                changed_at=datetime.now(UTC),
            )

        feed, change_id = "attribution-tenants", new_id()
        personal = change([domain])
        await record_tenant_changes(uow_factory(feed), [(change_id, personal)])
        assert await leads_now() == {
            dee: (None, "touched"),
            f"zed@x.{domain}": (None, "touched"),
        }
        # The same change delivered again changes nothing; the list emptied brings them back.
        rows = await lead_rows(sessions, tenant.id)
        await record_tenant_changes(uow_factory(feed), [(change_id, personal)])
        assert await lead_rows(sessions, tenant.id) == rows
        await record_tenant_changes(uow_factory(feed), [(new_id(), change([]))])
        assert await leads_now() == company


class TestScale:
    async def test_more_people_than_a_statement_has_parameters(self, tenant, uow_factory) -> None:
        # An IN list binds one parameter per value (at most 32,767): a company can have more.
        people = [f"p{i}@big.example.com" for i in range(40_000)]
        async with uow_factory() as uow:
            assert await uow.leads.touch_summaries(tenant.id, people) == {}
            assert await uow.leads.stored(tenant.id, people) == {}
            assert await uow.leads.deals(tenant.id, people=people, companies=people) == []


class TestConcurrentWriters:
    async def test_a_first_touch_racing_a_deal_event_reads_the_deal(
        self, tenant, uow_factory, sessions
    ) -> None:
        """The deal's transaction refreshed its leads but has not committed; a new person's
        first touch at the company, in its own transaction, waits for the tenant's leads lock
        and then derives its lead with the deal (without the lock it would stay `touched`)."""
        domain = f"{uuid.uuid4().hex[:8]}.com"
        active = deal_event(DealCreated, tenant.id, uuid.uuid4(), domain, DealStatus.ACTIVE)
        first = TouchIn(
            touch_id="first",
            person_email=f"new@{domain}",
            occurred_at=T0,
            activity_type=ActivityType.CALL,
        )
        deals = uow_factory("attribution-deals")
        async with deals:
            await record_deal_states(deals, [active])
            await refresh_deals(deals, {tenant.id: {active.deal_id}})
            touching = asyncio.create_task(record_touches(uow_factory(), tenant.id, [first], "api"))
            await waiting_for_advisory_lock(sessions)
            await deals.commit()
        await touching
        async with uow_factory() as uow:
            lead = await uow.leads.get(tenant.id, f"new@{domain}")
        assert lead is not None
        assert (lead.status, lead.deal_ids) == (LeadStatus.OPPORTUNITY, (active.deal_id,))


async def waiting_for_advisory_lock(sessions: Any, within: float = 10) -> None:
    """Until another session waits for an advisory lock (polled: a condition to reach, not an
    absence to prove)."""
    deadline = asyncio.get_running_loop().time() + within
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
    )
    while asyncio.get_running_loop().time() < deadline:
        async with sessions() as session:
            if await session.scalar(query):
                return
        await asyncio.sleep(0.02)
    raise TimeoutError("no transaction waits for an advisory lock")


class TestMeetingAttendees:
    async def test_the_trigger_indexes_every_booking_however_written(
        self, tenant, sessions
    ) -> None:
        meeting = uuid.uuid4()
        async with sessions() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO meeting_bookings (meeting_id, tenant_id, person_email,"
                    " attendee_emails, booked_at, touch_id) VALUES (:m, :t, 'a@x.com',"
                    " '{a@x.com,b@y.com}', now(), 'mt')"
                ),
                {"m": meeting, "t": tenant.id},
            )
        assert await attendee_rows(sessions, meeting) == [
            (tenant.id, "a@x.com", meeting),
            (tenant.id, "b@y.com", meeting),
        ]
        async with sessions() as session, session.begin():
            await session.execute(
                text("DELETE FROM meeting_bookings WHERE meeting_id = :m"), {"m": meeting}
            )
        assert await attendee_rows(sessions, meeting) == []


async def attendee_rows(sessions: Any, meeting_id: uuid.UUID) -> list[tuple[Any, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            select(meeting_attendees)
            .where(meeting_attendees.c.meeting_id == meeting_id)
            .order_by(meeting_attendees.c.email)
        )
        return [tuple(row) for row in rows]
