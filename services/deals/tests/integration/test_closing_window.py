"""The deal list filtered by a closing window: exactly the deals closed in it, newest created
first, page after page (its plans: test_list_plans); a deal may close up to a day before it was
created (two instances' clocks), never more."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from deals.db.tables import companies, deals

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def deal_row(tenant_id: str, company_id: uuid.UUID, created: datetime, closed: datetime | None):
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "company_id": company_id,
        "name": "D",
        "status": "won" if closed else "active",
        "stage": "closed_won" if closed else "booked",
        "probability": 100 if closed else 10,
        "currency": "EUR",
        "closed_at": closed,
        "created_at": created,
        "updated_at": created,
        "stage_entered_at": created,
    }


async def insert_deals(uow_factory, tenant_id: str, rows: list[dict]) -> None:
    async with uow_factory() as uow:
        await uow.session.execute(
            insert(companies),
            [
                {"id": r["company_id"], "tenant_id": tenant_id, "domain": f"{r['id']}.io",
                 "name": "C", "created_at": r["created_at"]}
                for r in rows
            ],
        )  # fmt: skip
        await uow.session.execute(insert(deals), rows)
        await uow.commit()


async def test_a_closing_window_lists_exactly_its_deals_page_after_page(
    client, tenant, uow_factory
) -> None:
    rng = random.Random(4)
    rows = []
    for _ in range(120):
        created = T0 + timedelta(days=rng.uniform(0, 200))
        closed = created + timedelta(days=rng.uniform(-0.9, 60)) if rng.random() < 0.7 else None
        rows.append(deal_row(tenant.id, uuid.uuid4(), created, closed))
    since, until = T0 + timedelta(days=60), T0 + timedelta(days=90)
    # Created ten hours after the window's end, closed an hour before it: in the window.
    rows.append(
        deal_row(tenant.id, uuid.uuid4(), until + timedelta(hours=10), until - timedelta(hours=1))
    )
    await insert_deals(uow_factory, tenant.id, rows)

    expected = [
        str(r["id"])
        for r in sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True)
        if r["closed_at"] is not None and since <= r["closed_at"] < until
    ]
    listed, cursor = [], None
    while True:
        params = {"closed_since": since.isoformat(), "closed_until": until.isoformat(), "limit": 7}
        page = await client.get(
            "/v1/deals", params={**params, **({"cursor": cursor} if cursor else {})},
            headers=tenant.auth,
        )  # fmt: skip
        assert page.status_code == 200, page.text
        listed += [d["deal_id"] for d in page.json()["items"]]
        if not (cursor := page.json()["next_cursor"]):
            break
    assert len(expected) > 10
    assert listed == expected


async def test_a_close_more_than_a_day_before_creation_is_refused(tenant, uow_factory) -> None:
    row = deal_row(tenant.id, uuid.uuid4(), T0, T0 - timedelta(hours=25))
    with pytest.raises(IntegrityError, match="ck_deals_closed_after_created"):
        await insert_deals(uow_factory, tenant.id, [row])
