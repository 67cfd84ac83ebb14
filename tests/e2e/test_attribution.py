"""Touches, a booking, a good outcome and a win: the deal's attribution and the channel report,
through the running services' public interfaces."""

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from attribution.domain.deal_runs import DEFAULT_MODELS
from dealflow_libs.testing.kafka import TopicProbe, header
from ingest.samples.builders import calcom

from .conftest import System, eventually
from .test_journey import company, deals_of, meeting_of, soon

pytestmark = pytest.mark.e2e


async def test_touches_booking_won_attribution_and_report(
    system: System, attribution_stream: TopicProbe
) -> None:
    domain = company()
    email, colleague = f"jane-{uuid.uuid4().hex[:4]}@{domain}", f"ana@{domain}"
    now = datetime.now(UTC)
    touches = [
        {"touch_id": f"{domain}-ad", "person_email": colleague, "activity_type": "ad_click",
         "occurred_at": (now - timedelta(days=20)).isoformat(),
         "utm_source": "google", "utm_medium": "cpc"},
        {"touch_id": f"{domain}-reply", "person_email": email, "activity_type": "email_replied",
         "occurred_at": (now - timedelta(days=4)).isoformat()},
        {"touch_id": f"{domain}-naive", "person_email": email, "activity_type": "call",
         "occurred_at": "2026-11-01T10:00:00"},
    ]  # fmt: skip
    posted = await system.post("attribution", "/v1/touches", {"touches": touches})
    assert posted.status_code == 200, posted.text
    assert [r["status"] for r in posted.json()["results"]] == ["created", "created", "error"]

    uid = uuid.uuid4().hex
    response = await system.webhook(
        "calcom", calcom("BOOKING_CREATED", uid=uid, email=email, start=soon(1))
    )
    assert response.status_code == 202, response.text
    [deal] = await deals_of(system, domain)
    meeting = await meeting_of(system, email)

    [booking] = await attribution_stream.wait_for(
        lambda r: header(r, "ce_subject") == meeting["meeting_id"]
    )
    assert header(booking, "ce_type") == "dealflow.meeting.attributed.v1"
    journey = orjson.loads(booking.value)
    assert (
        journey["touches_before_booking"],
        journey["days_to_booking"],
        journey["converting_activity_id"],
        journey["converting_channel"],
    ) == (1, 4, f"{domain}-reply", "Outbound Email")
    assert journey["first_touch_channel"] == "Outbound Email"  # Jane's own first: the reply

    # The journey reaches the meeting's read model (meetings consumes MeetingAttributed).
    analytics = ("touches_before_booking", "days_to_booking", "converting_activity_id",
                 "converting_channel", "first_touch_channel")  # fmt: skip
    attributed = await meeting_of(system, email, lambda m: m["touches_before_booking"] is not None)
    shown = await system.get("meetings", f"/v1/meetings/{attributed['meeting_id']}")
    assert [shown[f] for f in analytics] == [journey[f] for f in analytics]
    assert [attributed[f] for f in analytics] == [journey[f] for f in analytics]

    assert (
        await system.webhook("calcom", calcom("MEETING_ENDED", uid=uid, email=email, start=soon(1)))
    ).status_code == 202
    done = await meeting_of(system, email, lambda m: m["status"] == "completed")
    outcome = await system.post(
        "meetings", f"/v1/meetings/{done['meeting_id']}/outcome", {"outcome": "good"}
    )
    assert outcome.status_code == 200, outcome.text
    await deals_of(system, domain, lambda d: d["stage"] == "qualification")
    won = await system.post("deals", f"/v1/deals/{deal['deal_id']}/won", {"value": "30000"})
    assert won.status_code == 200, won.text

    # The deal shows its source meeting's journey (deals consumes MeetingAttributed too).
    [listed] = await deals_of(system, domain, lambda d: d["touches_before_deal"] is not None)
    detail = await system.get("deals", f"/v1/deals/{deal['deal_id']}")
    for shown_deal in (listed, detail):
        assert (
            shown_deal["converting_channel"],
            shown_deal["converting_activity_id"],
            shown_deal["first_touch_channel"],
            shown_deal["touches_before_deal"],
        ) == ("Outbound Email", f"{domain}-reply", "Outbound Email", 1)

    async def attribution() -> dict | None:
        response = await system.http.get(
            f"{system.urls['attribution']}/v1/deals/{deal['deal_id']}/attribution",
            params={"model": "linear"},
            headers=system.auth,
        )
        return response.json() if response.status_code == 200 else None

    run = await eventually(attribution, what="the deal's attribution")
    assert (run["value_minor"], run["currency"]) == (3_000_000, "EUR")
    credited = {t["touch_id"]: (t["channel"], t["minor_units"]) for t in run["touches"]}
    assert credited == {
        f"{domain}-ad": ("Paid Search", 1_000_000),
        f"{domain}-reply": ("Outbound Email", 1_000_000),
        f"meeting:{meeting['meeting_id']}": (
            credited[f"meeting:{meeting['meeting_id']}"][0],
            1_000_000,
        ),
    }
    runs = await attribution_stream.wait_for(
        lambda r: header(r, "ce_subject") == deal["deal_id"], count=len(DEFAULT_MODELS)
    )
    assert {header(r, "ce_type") for r in runs} == {"dealflow.deal.attributed.v1"}

    report = await system.get("attribution", "/v1/reports/channels", days=30, model="linear")
    rows = {row["channel"]: row for row in report["channels"]}
    assert report["currency"] == "EUR"
    assert rows["Paid Search"]["attributed_value"] >= 1_000_000
    assert rows["Outbound Email"]["deals_attributed"] >= 1
    assert sum(row["percentage_of_revenue"] for row in report["channels"]) == 10_000
