"""Markov's training set is defined by data alone: the journeys closed before the deal's
conversion day. So the runs do not depend on how the consumer batched the events, and a
recompute of unchanged deals stores nothing."""

import uuid
from datetime import timedelta

import orjson
from sqlalchemy import select

from attribution.db.tables import attribution_runs, tenants
from attribution.deal_events import record_deal_events
from attribution.domain.canonical import canonical_json
from attribution.recompute import recompute_tenant
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.deals import DealEvent, DealLost, DealStatus, DealWon

from .factories import WON_AT, deal_event

CONSUMER = "attribution-deals"
#: (deal, closed, won, its touches: (touch id, kind, days before its close, utm source/medium)).
DEALS = [
    ("lost", WON_AT - timedelta(days=2), False, [("l1", "call", 3, None)]),
    ("early", WON_AT - timedelta(days=2), True, [("e1", "ad_click", 9, ("google", "cpc")),
                                                 ("e2", "call", 2, None)]),
    ("one", WON_AT, True, [("o1", "call", 6, None), ("o2", "sms", 2, None)]),
    ("two", WON_AT + timedelta(hours=3), True, [("t1", "sms", 4, None)]),
]  # fmt: skip


async def post_touches(client, tenant: TenantCredentials, domains: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    body = []
    for name, closed, _, touches in DEALS:
        for touch_id, kind, days, utm in touches:
            item = {
                "touch_id": touch_id,
                "person_email": f"ana@{domains[name]}",
                "occurred_at": (closed - timedelta(days=days)).isoformat(),
                "activity_type": kind,
            }
            if utm:
                item |= {"utm_source": utm[0], "utm_medium": utm[1]}
            body.append(item)
    answer = await client.post("/v1/touches", json={"touches": body}, headers=tenant.auth)
    assert answer.json()["created"] == len(body), answer.text


def events(tenant_id: str, domains: dict[str, str], ids: dict[str, uuid.UUID]) -> list[DealEvent]:
    found: list[DealEvent] = []
    for name, closed, won, _ in DEALS:
        if won:
            found.append(deal_event(DealWon, tenant_id, ids[name], domains[name], closed_at=closed))
        else:
            found.append(
                deal_event(
                    DealLost, tenant_id, ids[name], domains[name], status=DealStatus.LOST,
                    closed_at=closed, reason="price_too_high",
                )
            )  # fmt: skip
    return found


async def runs_by_name(sessions, tenant_id: str, ids: dict[str, uuid.UUID]) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """ "deal name/model" -> the run's canonical result, its deal id spelt by name and without
    its input hash (which covers the deal id): two tenants' runs of the same journeys then
    compare byte for byte."""
    r = attribution_runs.c
    async with sessions() as session:
        rows = await session.execute(
            select(r.deal_id, r.model, r.result).where(r.tenant_id == tenant_id)
        )
    names = {v: k for k, v in ids.items()}
    found = {}
    for deal_id, model, result in rows:
        result = {k: v for k, v in result.items() if k != "input_hash"} | {
            "deal_id": names[deal_id]
        }
        found[f"{names[deal_id]}/{model}"] = canonical_json(result)
    return found


async def test_runs_do_not_depend_on_batching_and_a_recompute_stores_nothing(
    client, sessions, uow_factory
) -> None:
    domains = {name: f"{uuid.uuid4().hex[:8]}.com" for name, *_ in DEALS}
    outcomes = {}
    for batches in ([[0, 1], [2, 3]], [[0], [1], [2], [3]]):
        tenant = await seed_tenant(sessions, tenants, prefix="mk")
        async with uow_factory() as uow:
            await uow.tenants.replace_settings(tenant.id, {"models": ["markov", "linear"]})
            await uow.commit()
        await post_touches(client, tenant, domains)
        ids = {name: uuid.uuid4() for name, *_ in DEALS}
        sent = events(tenant.id, domains, ids)
        for batch in batches:
            deliveries = [(str(uuid.uuid4()), sent[i]) for i in batch]
            await record_deal_events(uow_factory(CONSUMER), deliveries)
        outcomes[len(batches)] = await runs_by_name(sessions, tenant.id, ids)

        again = await recompute_tenant(
            lambda: AttributionUnitOfWork(sessions), tenant.id, caused_by="test"
        )
        assert (again.runs_created, again.runs_unchanged) == (0, 6)

    assert outcomes[2].keys() == {f"{n}/{m}" for n in ("early", "one", "two")
                                  for m in ("markov", "linear")}  # fmt: skip
    assert outcomes[2] == outcomes[4]
    # Deals one and two (won the same day) learn from the two deals closed two days before.
    one, two, early = (orjson.loads(outcomes[2][f"{n}/markov"]) for n in ("one", "two", "early"))
    assert one["params"]["training"] == two["params"]["training"]
    assert one["params"]["training"] | {"digest": "-"} == {
        "closed_before": "2026-11-25T00:00:00.000000+00:00",
        "journeys": 2,
        "conversions": 1,
        "digest": "-",
    }
    assert {c["channel"]: c["minor_units"] for c in one["channels"]} == {"Phone": 100000, "SMS": 0}
    # The first day's deal has nothing to learn from: an equal split, and the reason says so.
    assert early["params"]["training"]["journeys"] == 0
    assert {t["reason"] for t in early["touches"]} == {
        "equal share of 2 touches: no deal won before 2026-11-23 to learn from"
    }
