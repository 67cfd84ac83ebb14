"""The whole journey: signed webhooks in at the gateway become meetings and deals, observable
over HTTP and on Kafka, and records in the customer's CRM (the HubSpot emulator). Everything here
goes through the running services' public interfaces."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from icalendar import Calendar

from dealflow_libs.testing.kafka import TopicProbe, header
from ingest.domain.signatures import signed_headers
from ingest.samples.builders import calcom, calendly

from .conftest import PERSONAL_DOMAIN, System, eventually

pytestmark = pytest.mark.e2e


def soon(days: int = 3) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0)


def company() -> str:
    return f"e2e-{uuid.uuid4().hex[:6]}.com"


async def meeting_of(system: System, email: str, predicate=lambda m: True) -> dict:
    async def find() -> dict | None:
        items = (await system.get("meetings", "/v1/meetings", attendee_email=email))["items"]
        return next((m for m in items if predicate(m)), None)

    return await eventually(find, what=f"meeting for {email}")


async def deals_of(system: System, domain: str, predicate=lambda d: True) -> list[dict]:
    async def find() -> list[dict] | None:
        items = (await system.get("deals", "/v1/deals", company_domain=domain))["items"]
        return [d for d in items if predicate(d)] or None

    return await eventually(find, what=f"deal for {domain}")


async def booked(
    system: System, domain: str, *, start: datetime | None = None
) -> tuple[str, str, dict]:
    uid, email = uuid.uuid4().hex, f"jane-{uuid.uuid4().hex[:4]}@{domain}"
    response = await system.webhook(
        "calcom", calcom("BOOKING_CREATED", uid=uid, email=email, start=start or soon())
    )
    assert response.status_code == 202, response.text
    [deal] = await deals_of(system, domain)
    return uid, email, deal


async def test_business_booking_becomes_meeting_and_deal(
    system: System, deal_stream: TopicProbe
) -> None:
    domain = company()
    uid, email, deal = await booked(system, domain)
    meeting = await meeting_of(system, email)
    assert (meeting["provider_uid"], meeting["company_domain"], meeting["status"]) == (
        uid,
        domain,
        "scheduled",
    )
    assert (deal["stage"], deal["status"], deal["currency"]) == ("booked", "active", "EUR")
    assert deal["source_meeting_id"] == meeting["meeting_id"]
    [created] = await deal_stream.wait_for(lambda r: header(r, "ce_subject") == deal["deal_id"])
    assert header(created, "ce_type") == "dealflow.deal.created.v1"
    assert orjson.loads(created.value)["meeting"]["primary_email"] == email
    linked = await meeting_of(system, email, lambda m: m["deal_id"] == deal["deal_id"])
    assert linked["deal_id"] == deal["deal_id"]


async def test_second_booking_from_same_company_makes_no_new_deal(system: System) -> None:
    domain = company()
    _, _, deal = await booked(system, domain)
    other = f"bob@{domain}"
    assert (
        await system.webhook(
            "calcom", calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=other, start=soon(4))
        )
    ).status_code == 202
    [same] = await deals_of(system, domain, lambda d: len(d["meeting_ids"]) == 2)
    assert same["deal_id"] == deal["deal_id"]
    assert len((await system.get("deals", "/v1/deals", company_domain=domain))["items"]) == 1


async def test_personal_email_gets_a_meeting_but_no_company_or_deal(system: System) -> None:
    email = f"someone.{uuid.uuid4().hex[:6]}@gmail.com"
    assert (
        await system.webhook(
            "calcom", calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=soon())
        )
    ).status_code == 202
    meeting = await meeting_of(system, email)
    assert (meeting["company_domain"], meeting["is_personal_email"]) == (None, True)
    companies = (await system.get("deals", "/v1/companies", domain="gmail.com"))["items"]
    assert companies == []


async def test_a_tenant_personal_domain_is_a_person_to_meetings_and_deals(system: System) -> None:
    """One rule, one list: the tenant's personal domains reach every service with the tenant."""
    settings = await system.get("ingest", "/v1/settings")
    assert settings["personal_domains"] == [PERSONAL_DOMAIN]
    email = f"jo.{uuid.uuid4().hex[:6]}@{PERSONAL_DOMAIN}"
    assert (
        await system.webhook(
            "calcom", calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=soon())
        )
    ).status_code == 202
    meeting = await meeting_of(system, email)
    assert (meeting["company_domain"], meeting["is_personal_email"]) == (None, True)

    synced = await system.post(
        "deals",
        "/v1/sync/hubspot",
        {"external_deal_id": uuid.uuid4().hex, "stage": "qualifiedtobuy", "contact_email": email},
    )
    assert synced.status_code == 404, synced.text
    companies = (await system.get("deals", "/v1/companies", domain=PERSONAL_DOMAIN))["items"]
    assert companies == []


async def test_calcom_reschedule_keeps_meeting_and_deal(system: System) -> None:
    domain = company()
    uid, email, deal = await booked(system, domain)
    new_uid, new_start = uuid.uuid4().hex, soon(6)
    response = await system.webhook(
        "calcom",
        calcom("BOOKING_RESCHEDULED", uid=new_uid, previous_uid=uid, email=email, start=new_start),
    )
    assert response.status_code == 202
    meeting = await meeting_of(system, email, lambda m: m["rescheduled_count"] == 1)
    assert (meeting["provider_uid"], meeting["previous_provider_uids"]) == (new_uid, [uid])
    assert meeting["scheduled_at"].startswith(new_start.strftime("%Y-%m-%dT%H:%M"))
    [same] = await deals_of(system, domain)
    assert (same["deal_id"], same["status"]) == (deal["deal_id"], "active")


@pytest.mark.parametrize(
    "cancel_first", [True, False], ids=["cancel-half-first", "create-half-first"]
)
async def test_calendly_reschedule_keeps_meeting_and_deal(
    system: System, cancel_first: bool
) -> None:
    domain = company()
    email = f"lee@{domain}"
    old = f"https://api.calendly.com/scheduled_events/{uuid.uuid4()}/invitees/{uuid.uuid4()}"
    new = f"https://api.calendly.com/scheduled_events/{uuid.uuid4()}/invitees/{uuid.uuid4()}"
    assert (
        await system.webhook(
            "calendly", calendly("invitee.created", uri=old, email=email, start=soon())
        )
    ).status_code == 202
    [deal] = await deals_of(system, domain)
    halves = [
        calendly("invitee.canceled", uri=old, new_invitee=new, email=email, start=soon()),
        calendly("invitee.created", uri=new, old_invitee=old, email=email, start=soon(8)),
    ]
    for body in halves if cancel_first else reversed(halves):
        assert (await system.webhook("calendly", body)).status_code == 202
    meeting = await meeting_of(system, email, lambda m: m["rescheduled_count"] == 1)
    assert (meeting["provider_uid"], meeting["status"]) == (new, "scheduled")
    assert len((await system.get("meetings", "/v1/meetings", attendee_email=email))["items"]) == 1
    [same] = await deals_of(system, domain)
    assert (same["deal_id"], same["status"]) == (deal["deal_id"], "active")


async def test_meeting_ended_then_good_outcome_then_won_in_the_crm(
    hubspot: System, deal_stream: TopicProbe
) -> None:
    system = hubspot
    domain = company()
    uid, email, deal = await booked(system, domain, start=soon(1))
    assert (
        await system.webhook("calcom", calcom("MEETING_ENDED", uid=uid, email=email, start=soon(1)))
    ).status_code == 202
    await deals_of(system, domain, lambda d: d["stage"] == "met")
    meeting = await meeting_of(system, email, lambda m: m["status"] == "completed")
    assert meeting["showed_up"] is True

    outcome = await system.post(
        "meetings",
        f"/v1/meetings/{meeting['meeting_id']}/outcome",
        {"outcome": "good", "notes": "Great fit"},
    )
    assert outcome.status_code == 200, outcome.text
    await deals_of(system, domain, lambda d: d["stage"] == "qualification")

    won = await system.post("deals", f"/v1/deals/{deal['deal_id']}/won", {"value": "30000"})
    assert won.status_code == 200, won.text
    assert (won.json()["status"], won.json()["stage"], won.json()["value"]) == (
        "won",
        "closed_won",
        "30000.00",
    )
    events = await deal_stream.wait_for(
        lambda r: header(r, "ce_subject") == deal["deal_id"], count=4
    )
    assert [header(r, "ce_type").split(".")[2] for r in events] == [
        "created",
        "stage_changed",
        "stage_changed",
        "won",
    ]
    # crm_push followed it into the customer's HubSpot (the emulator): the deal won with its
    # value, one contact, one meeting activity (attended), linked to the deal.
    won_push = await final_push(system, deal["deal_id"], "dealflow.deal.won.v1")
    assert won_push["status"] == "succeeded", won_push
    mark = f"dealflow:meeting:{meeting['meeting_id']}"

    async def meeting_completed() -> dict | None:
        crm = await system.emulated("hubspot")
        found = [m for m in crm["meetings"] if m["properties"].get("dealflow_id") == mark]
        done = found and found[0]["properties"].get("hs_meeting_outcome") == "COMPLETED"
        return crm if done else None

    crm = await eventually(meeting_completed, what="the meeting activity marked completed")
    [crm_deal] = [d for d in crm["deals"] if d["id"] == won_push["crm_deal_id"]]
    assert (
        crm_deal["properties"]["dealstage"],
        crm_deal["properties"]["hs_is_closed_won"],
        crm_deal["properties"]["amount"],
    ) == ("closedwon", "true", "30000")
    assert [c["id"] for c in crm["contacts"] if c["properties"]["email"] == email] == [
        won_push["crm_contact_id"]
    ]
    [activity] = [m for m in crm["meetings"] if m["properties"].get("dealflow_id") == mark]
    [links] = [
        a
        for a in crm["associations"]
        if (a["objectType"], a["objectId"]) == ("meetings", activity["id"])
    ]
    assert list(links["associations"]["deals"]) == [crm_deal["id"]]


async def final_push(
    system: System, deal_id: str, source_event_type: str, within: float = 60
) -> dict:
    """crm_push's push of the deal's event of that type, once it has ended (or is parked)."""

    async def ended() -> dict | None:
        pushes = (await system.get("crm_push", "/v1/crm/pushes", deal_id=deal_id))["items"]
        found = [p for p in pushes if p["source_event_type"] == source_event_type]
        return found[0] if found and found[0]["status"] not in ("pending", "running") else None

    return await eventually(ended, within=within, what=f"crm_push's push of {source_event_type}")


async def test_a_booking_confirmation_is_emailed_from_the_organizers_domain(
    mailer: System,
) -> None:
    system = mailer
    organizer = f"someone-{uuid.uuid4().hex[:4]}@revenueengineer.com"
    email, start = f"jane@{company()}", soon(days=4)
    body = calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=start)
    body["payload"]["organizer"]["email"] = organizer
    response = await system.webhook("calcom", body)
    assert response.status_code == 202, response.text

    async def confirmation() -> dict | None:
        emails = (await system.emulated("resend"))["emails"]
        return next((e for e in emails if email in e["to"]), None)

    sent = await eventually(confirmation, within=30, what=f"confirmation to {email}")
    assert sent["from"] == "benjamin.crane@revenueengineer.com"
    assert sent["reply_to"] in (organizer, [organizer])
    meeting = await meeting_of(system, email, lambda m: m["notification_sent_at"] is not None)
    [invite] = [a for a in sent["attachments"] if a["filename"].endswith(".ics")]
    calendar = Calendar.from_ical(invite["text"])
    [event] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"{meeting['meeting_id']}@dealflow"
    assert event["DTSTART"].dt == start
    assert datetime.fromisoformat(meeting["notification_sent_at"]) <= datetime.now(UTC)


async def test_lost_deal_with_reason(system: System) -> None:
    domain = company()
    _, _, deal = await booked(system, domain)
    lost = await system.post(
        "deals",
        f"/v1/deals/{deal['deal_id']}/lost",
        {"reason": "chose_competitor", "notes": "Went elsewhere"},
    )
    assert lost.status_code == 200
    assert (lost.json()["status"], lost.json()["lost_reason"]) == ("lost", "chose_competitor")
    analysis = await system.get("deals", "/v1/analytics/lost", days=1)
    assert any(r["reason"] == "chose_competitor" for r in analysis["reasons"])


async def test_cancel_of_booked_only_deal_cancels_it(system: System) -> None:
    domain = company()
    uid, email, deal = await booked(system, domain)
    response = await system.webhook(
        "calcom",
        calcom("BOOKING_CANCELLED", uid=uid, email=email, start=soon(), reason="No longer needed"),
    )
    assert response.status_code == 202
    [cancelled] = await deals_of(system, domain, lambda d: d["status"] == "cancelled")
    assert cancelled["deal_id"] == deal["deal_id"]
    meeting = await meeting_of(system, email, lambda m: m["status"] == "cancelled")
    assert meeting["cancellation_reason"] == "No longer needed"


async def test_duplicate_deliveries_double_nothing(system: System, deal_stream: TopicProbe) -> None:
    domain = company()
    uid, email = uuid.uuid4().hex, f"dup@{domain}"
    body = calcom("BOOKING_CREATED", uid=uid, email=email, start=soon())
    answers = [await system.webhook("calcom", body) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 200, 200]
    assert {a.json()["event_id"] for a in answers} == {answers[0].json()["event_id"]}
    [deal] = await deals_of(system, domain)
    await meeting_of(system, email)
    # Marker: the cancellation travels the same keys (attendee, meeting, deal) behind the
    # booking, so by the time the deal is cancelled a doubled meeting or deal event would show.
    cancel = calcom("BOOKING_CANCELLED", uid=uid, email=email, start=soon(), reason="marker")
    assert (await system.webhook("calcom", cancel)).status_code == 202
    await deal_stream.wait_for(
        lambda r: (
            header(r, "ce_subject") == deal["deal_id"]
            and header(r, "ce_type") == "dealflow.deal.cancelled.v1"
        )
    )
    assert len((await system.get("meetings", "/v1/meetings", attendee_email=email))["items"]) == 1
    assert len((await system.get("deals", "/v1/deals", company_domain=domain))["items"]) == 1
    types = [
        header(r, "ce_type")
        for r in deal_stream.matching(lambda r: header(r, "ce_subject") == deal["deal_id"])
    ]
    assert types == ["dealflow.deal.created.v1", "dealflow.deal.cancelled.v1"]


async def test_one_trace_and_one_correlation_from_webhook_to_deal_created(
    system: System, deal_stream: TopicProbe, collector
) -> None:
    trace_id, parent = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    domain = company()
    booking = calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=f"ann@{domain}", start=soon())
    raw = orjson.dumps(booking)
    headers = {
        **signed_headers("calcom", raw, system.calcom_secret, timestamp=int(time.time())),
        "traceparent": f"00-{trace_id}-{parent}-01",
    }
    response = await system.http.post(
        f"{system.urls['ingest']}/webhooks/calcom/{system.tenant}", content=raw, headers=headers
    )
    assert response.status_code == 202, response.text
    booking_event_id = response.json()["event_id"]
    [deal] = await deals_of(system, domain)
    [created] = await deal_stream.wait_for(
        lambda r: (
            header(r, "ce_subject") == deal["deal_id"]
            and header(r, "ce_type") == "dealflow.deal.created.v1"
        )
    )
    # The deal event continues the caller's trace and names the booking it came from.
    assert header(created, "ce_traceparent").split("-")[1] == trace_id
    assert header(created, "ce_correlationid") == booking_event_id

    async def spans_of_every_hop() -> set[str] | None:
        services = {s.service for s in collector.in_trace(trace_id)}
        wanted = {"dealflow-ingest", "dealflow-meetings", "dealflow-deals"}
        return services if wanted <= services else None

    await eventually(
        spans_of_every_hop, within=40, what="spans of ingest, meetings and deals in one trace"
    )
    spans = collector.in_trace(trace_id)
    by_id = {s.span_id: s for s in spans}
    # Every span but the webhook's hangs under another span of this trace (one connected tree).
    roots = [s for s in spans if s.parent_span_id not in by_id]
    assert [r.parent_span_id for r in roots] == [parent]


async def test_every_service_answers_what_it_did_for_one_booking(system: System) -> None:
    domain = company()
    uid, email = uuid.uuid4().hex, f"bo@{domain}"
    booking = calcom("BOOKING_CREATED", uid=uid, email=email, start=soon())
    response = await system.webhook("calcom", booking)
    assert response.status_code == 202, response.text
    correlation = response.json()["event_id"]
    [deal] = await deals_of(system, domain)

    async def trail(service: str) -> list[tuple[str, str]]:
        answer = await system.get(service, f"/v1/trail/{correlation}")
        return [(i["direction"], i["event_type"]) for i in answer["items"]]

    assert await trail("ingest") == [("published", "dealflow.booking.v1")]
    meetings = await trail("meetings")
    assert meetings[0] == ("consumed", "dealflow.booking.v1")
    assert ("published", "dealflow.meeting.booked.v1") in meetings
    deals = await eventually(
        lambda: _when(trail("deals"), lambda t: ("published", "dealflow.deal.created.v1") in t),
        what="deals' trail",
    )
    assert ("consumed", "dealflow.meeting.booked.v1") in deals
    # Another tenant's key sees nothing of it.
    other = await system.http.get(
        f"{system.urls['deals']}/v1/trail/{correlation}",
        headers={"Authorization": "Bearer demo-api-key-that-does-not-exist"},
    )
    assert other.status_code == 401
    assert deal["deal_id"]


async def _when(value, predicate):  # type: ignore[no-untyped-def]
    result = await value
    return result if predicate(result) else None
