"""`dealflow-attribution rebuild` reads the real topics into a new database and gives the same
runs as the live service: every current run's result and input hash, byte for byte."""

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.engine import make_url

from attribution.db.tables import attribution_runs, leads, run_voids, tenants
from attribution.deal_events import record_deal_events
from attribution.domain.canonical import canonical_json
from attribution.use_cases import consume_touches, record_meeting_events
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.kafka import TopicProbe, header, publish_event
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.attribution import TOUCHES_TOPIC, TouchSubmitted
from dealflow_schemas.deals import (
    DEALS_TOPIC,
    DealLost,
    DealReopened,
    DealStatus,
    DealValueChanged,
    DealWon,
)
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingBooked

from .factories import WON_AT, deal_event


async def current_runs(sessions, tenant_id: str) -> dict[tuple[str, str], tuple[bytes, str]]:  # type: ignore[no-untyped-def]
    """(deal, model) -> (canonical result JSON, input hash) of each current run."""
    r = attribution_runs.c
    async with sessions() as session:
        rows = await session.execute(
            select(r.deal_id, r.model, r.result, r.input_hash, run_voids.c.run_id)
            .outerjoin(run_voids, run_voids.c.run_id == r.run_id)
            .where(r.tenant_id == tenant_id)
            .order_by(r.seq)
        )
        latest = {(str(d), m): (result, h, voided) for d, m, result, h, voided in rows}
    return {k: (canonical_json(res), h) for k, (res, h, voided) in latest.items() if not voided}


async def lead_rows(sessions, tenant_id: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """A tenant's leads as stored, but when they were written."""
    columns = [c for c in leads.c if c.name not in ("tenant_id", "updated_at")]
    async with sessions() as session:
        rows = await session.execute(
            select(*columns).where(leads.c.tenant_id == tenant_id).order_by(leads.c.email)
        )
        return [tuple(row) for row in rows]


async def test_a_rebuild_from_the_topics_gives_the_live_runs(
    sessions, producer, prepared_stack, uow_factory, client, stack
) -> None:
    tenant = await seed_tenant(sessions, tenants, prefix="rb")
    async with uow_factory() as uow:
        await uow.tenants.replace_settings(tenant.id, {"time_decay_half_life_days": "3"})
        await uow.commit()
    a, b, c, d = (f"{uuid.uuid4().hex[:8]}.com" for _ in range(4))

    async def send(topic: str, event, key: str) -> str:  # type: ignore[no-untyped-def]
        return await publish_event(producer, topic, event, key=key, event_id=uuid.uuid4())

    def touch(n: str, email: str, days: float, kind: str = "email_replied", **utm: str):  # type: ignore[no-untyped-def]
        return TouchSubmitted(
            tenant_id=tenant.id, touch_id=f"{tenant.id}-{n}", person_email=email,
            occurred_at=WON_AT - timedelta(days=days), activity_type=kind, **utm,
        )  # fmt: skip

    touches = [
        touch("1", f"ana@{a}", 30, "ad_click", utm_source="google", utm_medium="cpc"),
        touch("2", f"bo@eu.{a}", 12, "call"),
        touch("3", "jo.private@gmail.com", 9, "linkedin_message"),
        touch("4", f"cy@{b}", 20, "web_visit", utm_source="newsletter", utm_medium="email"),
        touch("5", f"di@{c}", 3, "email_sent"),
        touch("6", f"ed@{d}", 8, "event"),
        touch("7", f"ed@{d}", 200, "call"),  # outside the lookback
    ]
    live = [(await send(TOUCHES_TOPIC, t, t.person_email), t) for t in touches]
    await consume_touches(uow_factory("attribution-touches"), live)
    # A touch posted over HTTP reaches the topic too (the service publishes it), so a rebuild
    # has it: without it deal c's runs would differ.
    at = (WON_AT - timedelta(days=6)).isoformat()
    posted = {"touch_id": f"{tenant.id}-api", "person_email": f"gil@{c}", "occurred_at": at,
              "activity_type": "call"}  # fmt: skip
    async with TopicProbe(stack.kafka_bootstrap, TOUCHES_TOPIC) as probe:
        answer = await client.post("/v1/touches", json={"touches": [posted]}, headers=tenant.auth)
        assert answer.json()["created"] == 1, answer.text
        [record] = await probe.wait_for(lambda r: header(r, "ce_subject") == posted["touch_id"])
    assert TouchSubmitted.model_validate_json(record.value).tenant_id == tenant.id

    booked = meeting_event(MeetingBooked, tenant_id=tenant.id, email=f"ana@{a}", company_domain=a)
    attendee = booked.meeting.attendees[0].model_copy(update={"email": "jo.private@gmail.com"})
    meeting = booked.meeting.model_copy(update={"attendees": [*booked.meeting.attendees, attendee]})
    booked = booked.model_copy(
        update={"occurred_at": WON_AT - timedelta(days=10), "meeting": meeting}
    )
    booked_id = await send(MEETINGS_TOPIC, booked, str(booked.meeting_id))
    await record_meeting_events(uow_factory("attribution-meetings"), [(booked_id, booked)])

    deal_ids = {name: uuid.uuid4() for name in "abcd"}
    won_a = deal_event(DealWon, tenant.id, deal_ids["a"], a)
    won_a = won_a.model_copy(
        update={"deal": won_a.deal.model_copy(update={"meeting_ids": [booked.meeting_id]})}
    )
    # b and c close on earlier days, so markov's runs of a and d learn from their journeys.
    lost_b = deal_event(
        DealLost, tenant.id, deal_ids["b"], b, status=DealStatus.LOST, reason="no_budget",
        closed_at=WON_AT - timedelta(days=2),
    )  # fmt: skip
    c_closed = WON_AT - timedelta(days=1)
    events = [
        lost_b,
        deal_event(DealWon, tenant.id, deal_ids["c"], c, closed_at=c_closed),
        won_a,
        deal_event(
            DealValueChanged, tenant.id, deal_ids["c"], c, value="1234.56", closed_at=c_closed
        ),
        deal_event(DealWon, tenant.id, deal_ids["d"], d),
        deal_event(
            DealReopened, tenant.id, deal_ids["d"], d, status=DealStatus.ACTIVE,
            from_status=DealStatus.WON,
        ),
        deal_event(DealWon, tenant.id, deal_ids["d"], d, value="99.99"),
    ]  # fmt: skip
    for event in events:
        event_id = await send(DEALS_TOPIC, event, str(event.deal_id))
        await record_deal_events(uow_factory("attribution-deals"), [(event_id, event)])
    # A late touch inside a's window (the live service recomputes a when it arrives).
    late = touch("8", f"fay@{a}", 1, "linkedin_connect")
    await consume_touches(
        uow_factory("attribution-touches"),
        [(await send(TOUCHES_TOPIC, late, late.person_email), late)],
    )
    # No live recompute: markov learns as of each deal's conversion day, whatever the batching,
    # so the consumers' runs are the rebuild's.
    expected = await current_runs(sessions, tenant.id)
    assert {deal for deal, _ in expected} == {str(deal_ids[n]) for n in "acd"}
    markov_a = orjson.loads(expected[(str(deal_ids["a"]), "markov")][0])
    assert markov_a["params"]["training"]["journeys"] == 2  # b lost, c won

    target = f"dealflow_attribution_rb_{uuid.uuid4().hex[:8]}"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "attribution.cli", "rebuild", "--database", target,
         "--tenant", tenant.id],
        capture_output=True, text=True, env={**os.environ, "DEALFLOW_LOG_LEVEL": "WARNING"},
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{tenant.id}: 3 won deals" in done.stdout, done.stdout
    assert "dealflow.deals.v1" in done.stderr  # the progress bars

    url = make_url(prepared_stack["attribution"]).set(database=target)
    engine = create_engine(url.render_as_string(hide_password=False), pool_size=1)
    try:
        rebuilt = await current_runs(session_factory(engine), tenant.id)
        rebuilt_leads = await lead_rows(session_factory(engine), tenant.id)
    finally:
        await engine.dispose()
    assert rebuilt.keys() == expected.keys()
    for key, (result, input_hash) in expected.items():
        assert rebuilt[key] == (result, input_hash), key
    # The leads the consumers kept event by event are the ones derived at once from the topics.
    live_leads = await lead_rows(sessions, tenant.id)
    assert {row[0]: row[2] for row in live_leads} == {
        f"ana@{a}": "converted",
        f"bo@eu.{a}": "converted",
        f"fay@{a}": "converted",
        "jo.private@gmail.com": "converted",  # the won deal's meeting attendee
        f"cy@{b}": "lost",
        f"di@{c}": "converted",
        f"gil@{c}": "converted",  # posted over HTTP
        f"ed@{d}": "converted",
    }
    assert rebuilt_leads == live_leads

    # The target holds data now: a second rebuild into it is refused.
    again = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "attribution.cli", "rebuild", "--database", target],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300, check=False,
    )  # fmt: skip
    assert again.returncode != 0
    assert "already holds attribution data" in again.stderr
