"""A touch recorded after a deal was won, inside its window, attributes the deal again: new runs
superseding the current ones, each published, in the touch's own unit of work; a touch outside
the window, or one seen before, changes nothing. Deal events are handled a batch at a time with
a fixed number of queries."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from attribution.db.tables import attribution_runs, outbox
from attribution.deal_events import record_deal_events
from attribution.domain.deal_runs import DEFAULT_MODELS
from attribution.uow import AttributionUnitOfWork
from attribution.use_cases import consume_touches, record_meeting_events
from dealflow_libs.testing.factories import meeting_event
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC, DealAttributed, TouchSubmitted
from dealflow_schemas.deals import DealReopened, DealStatus, DealWon
from dealflow_schemas.meetings import MeetingBooked

from .factories import WON_AT, deal_event, post_journey

CONSUMER = "attribution-deals"


async def won_deal(client, tenant, uow_factory, domain: str) -> uuid.UUID:  # type: ignore[no-untyped-def]
    deal_id = uuid.uuid4()
    await post_journey(client, tenant, domain, prefix=f"{deal_id.hex[:6]}-")
    won = deal_event(DealWon, tenant.id, deal_id, domain)
    await record_deal_events(uow_factory(CONSUMER), [(str(uuid.uuid4()), won)])
    return deal_id


async def runs_of(
    sessions, deal_id: uuid.UUID
) -> list[tuple[str, uuid.UUID, uuid.UUID | None, dict]]:  # type: ignore[no-untyped-def]
    r = attribution_runs.c
    async with sessions() as session:
        rows = await session.execute(
            select(r.model, r.run_id, r.supersedes, r.result)
            .where(r.deal_id == deal_id)
            .order_by(r.seq)
        )
        return [tuple(row) for row in rows]


async def published(sessions, deal_id: uuid.UUID) -> list[DealAttributed]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.scalars(
            select(outbox.c.value)
            .where(outbox.c.topic == ATTRIBUTION_TOPIC, outbox.c.key == str(deal_id))
            .order_by(outbox.c.id)
        )
        return [DealAttributed.model_validate_json(v) for v in rows]


def at(days: float) -> str:
    return (WON_AT - timedelta(days=days)).isoformat()


class TestLateTouches:
    async def test_a_touch_in_the_window_supersedes_every_run_once(
        self, client, tenant, uow_factory, sessions
    ) -> None:
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = await won_deal(client, tenant, uow_factory, domain)
        first = await runs_of(sessions, deal_id)
        assert len(first) == len(DEFAULT_MODELS)

        late = {"touch_id": f"{deal_id}-late", "person_email": f"new.person@eu.{domain}",
                "occurred_at": at(3), "activity_type": "linkedin_message"}  # fmt: skip
        answer = await client.post("/v1/touches", json={"touches": [late]}, headers=tenant.auth)
        assert answer.json()["created"] == 1, answer.text

        runs = await runs_of(sessions, deal_id)
        second = runs[len(first) :]
        assert len(second) == len(DEFAULT_MODELS)
        assert {m: s for m, _, s, _ in second} == {m: run_id for m, run_id, _, _ in first}
        linear = next(result for m, _, _, result in second if m == "linear")
        assert [t["touch_id"] for t in linear["touches"]][-1] == f"{deal_id}-late"
        assert sum(c["minor_units"] for c in linear["channels"]) == 100000
        events = await published(sessions, deal_id)
        assert [e.run_id for e in events[len(first) :]] == [run_id for _, run_id, _, _ in second]
        assert all(e.caused_by for e in events[len(first) :])  # the request behind it

        # The same touch again is a duplicate; after the close or of another company: no run.
        outside = [
            late,
            {"touch_id": f"{deal_id}-after", "person_email": f"ana@{domain}",
             "occurred_at": (WON_AT + timedelta(seconds=1)).isoformat(), "activity_type": "call"},
            {"touch_id": f"{deal_id}-old", "person_email": f"ana@{domain}",
             "occurred_at": at(91), "activity_type": "call"},
            {"touch_id": f"{deal_id}-else", "person_email": "x@unrelated-company.com",
             "occurred_at": at(2), "activity_type": "call"},
        ]  # fmt: skip
        answer = await client.post("/v1/touches", json={"touches": outside}, headers=tenant.auth)
        assert [r["status"] for r in answer.json()["results"]] == [
            "duplicate", "created", "created", "created"
        ]  # fmt: skip
        assert len(await runs_of(sessions, deal_id)) == 2 * len(DEFAULT_MODELS)
        # Not inputs of the run, yet the explanation says why they earn nothing.
        shown = await client.get(f"/v1/deals/{deal_id}/attribution", headers=tenant.auth)
        reasons = {e["touch_id"]: e["reason"] for e in shown.json()["excluded"]}
        assert reasons == {
            f"{deal_id}-old": "outside_lookback",
            f"{deal_id.hex[:6]}-t4": "after_conversion",
            f"{deal_id}-after": "after_conversion",
        }

    async def test_kafka_touches_of_a_linked_person_and_redelivery(
        self, client, tenant, uow_factory, sessions
    ) -> None:
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = await won_deal(client, tenant, uow_factory, domain)
        before = len(await runs_of(sessions, deal_id))
        # The primary contact (ceo@domain) is linked; a gmail address joins only when linked, so
        # a touch of someone at gmail reaches nothing.
        touch = TouchSubmitted(
            tenant_id=tenant.id, touch_id=f"{deal_id}-k", person_email=f"ceo@{domain}",
            occurred_at=WON_AT - timedelta(hours=1), activity_type="call",
        )  # fmt: skip
        stranger = TouchSubmitted(
            tenant_id=tenant.id, touch_id=f"{deal_id}-g", person_email="someone@gmail.com",
            occurred_at=WON_AT - timedelta(hours=1), activity_type="call",
        )  # fmt: skip
        delivery = [(str(uuid.uuid4()), touch), (str(uuid.uuid4()), stranger)]
        await consume_touches(uow_factory("attribution-touches"), delivery)
        after = await runs_of(sessions, deal_id)
        assert len(after) == before + len(DEFAULT_MODELS)
        events = await published(sessions, deal_id)
        assert {e.caused_by for e in events[before:]} == {delivery[0][0]}
        # Redelivered (the same ids), and the same touch under a new id: nothing more.
        await consume_touches(uow_factory("attribution-touches"), delivery)
        again = [(str(uuid.uuid4()), touch)]
        await consume_touches(uow_factory("attribution-touches"), again)
        assert len(await runs_of(sessions, deal_id)) == len(after)
        assert len(await published(sessions, deal_id)) == len(events)

    async def test_killed_before_its_commit_then_redelivered_recomputes_once(
        self, client, tenant, uow_factory, sessions
    ) -> None:
        """A touch consumer killed mid-batch (after computing, before committing) leaves no run
        and no outbox row; the redelivered batch attributes the deal once."""
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = await won_deal(client, tenant, uow_factory, domain)
        before = len(await runs_of(sessions, deal_id))
        published_before = len(await published(sessions, deal_id))
        touch = TouchSubmitted(
            tenant_id=tenant.id, touch_id=f"{deal_id}-k", person_email=f"new@{domain}",
            occurred_at=WON_AT - timedelta(hours=2), activity_type="call",
        )  # fmt: skip
        delivery = [(str(uuid.uuid4()), touch)]

        class KilledBeforeCommit(AttributionUnitOfWork):
            async def commit(self) -> None:
                raise RuntimeError("killed")

        with pytest.raises(RuntimeError):
            await consume_touches(KilledBeforeCommit(sessions, "attribution-touches"), delivery)
        assert len(await runs_of(sessions, deal_id)) == before
        assert len(await published(sessions, deal_id)) == published_before
        await consume_touches(uow_factory("attribution-touches"), delivery)
        await consume_touches(uow_factory("attribution-touches"), delivery)
        assert len(await runs_of(sessions, deal_id)) == before + len(DEFAULT_MODELS)
        assert len(await published(sessions, deal_id)) == published_before + len(DEFAULT_MODELS)

    async def test_a_late_booking_is_a_late_touch(
        self, client, tenant, uow_factory, sessions
    ) -> None:
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = await won_deal(client, tenant, uow_factory, domain)
        before = len(await runs_of(sessions, deal_id))
        booked = meeting_event(MeetingBooked, tenant_id=tenant.id, email=f"zed@{domain}")
        booked = booked.model_copy(update={"occurred_at": WON_AT - timedelta(days=1)})
        await record_meeting_events(
            uow_factory("attribution-meetings"), [(str(uuid.uuid4()), booked)]
        )
        runs = await runs_of(sessions, deal_id)
        assert len(runs) == before + len(DEFAULT_MODELS)
        linear = next(result for m, _, _, result in runs[before:] if m == "linear")
        assert "meeting_booked" in {t["activity_type"] for t in linear["touches"]}

    async def test_a_reopened_deal_is_not_recomputed(
        self, client, tenant, uow_factory, sessions
    ) -> None:
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = await won_deal(client, tenant, uow_factory, domain)
        reopened = deal_event(
            DealReopened, tenant.id, deal_id, domain, status=DealStatus.ACTIVE,
            from_status=DealStatus.WON,
        )  # fmt: skip
        await record_deal_events(uow_factory(CONSUMER), [(str(uuid.uuid4()), reopened)])
        before = len(await runs_of(sessions, deal_id))
        late = {"touch_id": f"{deal_id}-late", "person_email": f"ana@{domain}",
                "occurred_at": at(1), "activity_type": "call"}  # fmt: skip
        await client.post("/v1/touches", json={"touches": [late]}, headers=tenant.auth)
        assert len(await runs_of(sessions, deal_id)) == before


class TestBatches:
    async def test_queries_per_batch_do_not_grow_with_its_deals(
        self, client, tenant, uow_factory, sessions
    ) -> None:
        """No query per deal: a batch of 12 wins costs what a batch of 1 does."""

        async def statements_for(deals: int) -> int:
            batch = []
            for _ in range(deals):
                domain = f"{uuid.uuid4().hex[:8]}.com"
                await post_journey(client, tenant, domain, prefix=f"{uuid.uuid4().hex[:6]}-")
                event_ = deal_event(DealWon, tenant.id, uuid.uuid4(), domain)
                batch.append((str(uuid.uuid4()), event_))
            executed: list[str] = []

            def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
                executed.append(statement)

            engine = sessions.kw["bind"].sync_engine
            event.listen(engine, "before_cursor_execute", count)
            try:
                await record_deal_events(uow_factory(CONSUMER), batch)
            finally:
                event.remove(engine, "before_cursor_execute", count)
            return len(executed)

        assert await statements_for(12) == await statements_for(1)

    async def test_won_reopened_won_in_one_batch(
        self, client, tenant, uow_factory, sessions
    ) -> None:
        """Order within a batch is kept: the second win supersedes nothing (the first's runs
        were voided by the reopen in between)."""
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = uuid.uuid4()
        await post_journey(client, tenant, domain, prefix=f"{deal_id.hex[:6]}-")
        won = deal_event(DealWon, tenant.id, deal_id, domain)
        reopened = deal_event(
            DealReopened, tenant.id, deal_id, domain, status=DealStatus.ACTIVE,
            from_status=DealStatus.WON,
        )  # fmt: skip
        again = deal_event(DealWon, tenant.id, deal_id, domain, value="10.00")
        batch = [(str(uuid.uuid4()), e) for e in (won, reopened, again)]
        await record_deal_events(uow_factory(CONSUMER), batch)
        runs = await runs_of(sessions, deal_id)
        assert len(runs) == 2 * len(DEFAULT_MODELS)
        assert all(s is None for _, _, s, _ in runs)
        async with uow_factory() as uow:
            latest = await uow.attribution.latest_runs(tenant.id, deal_id)
        assert not any(r.voided for r in latest.values())
        assert {r.run_id for r in latest.values()} == {
            run_id for _, run_id, _, _ in runs[len(DEFAULT_MODELS) :]
        }
