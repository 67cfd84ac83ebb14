"""Two transactions racing for one dedupe key: the loser is stored as a duplicate of the winner,
even when the winner committed only while the loser's statement was running."""

import asyncio
import uuid
from datetime import UTC, datetime

import orjson

from dealflow_schemas.bookings import Provider
from ingest import samples
from ingest.domain.deliveries import Delivery, Verdict, interpret, key_claims
from ingest.use_cases import record_deliveries


def delivery(tenant_id: str, body: bytes) -> Delivery:
    return Delivery(
        provider=Provider.CALCOM,
        tenant_id=tenant_id,
        headers={},
        body=body,
        received_at=datetime.now(UTC),
    )


async def test_loser_of_a_race_points_at_the_winner(tenant, uow_factory) -> None:
    body = samples.load("calcom_booking_created")
    body["payload"]["uid"] = uuid.uuid4().hex
    raw = orjson.dumps(body)
    first, second = interpret(delivery(tenant.id, raw)), interpret(delivery(tenant.id, raw))
    assert (first.verdict, second.verdict) == (Verdict.ACCEPTED, Verdict.ACCEPTED)

    async with uow_factory() as holder:  # claims the key and keeps its transaction open
        holders = await holder.deliveries.claim(key_claims([first]))
        assert [h.raw_event_id for h in holders.values()] == [first.raw_event_id]
        await holder.deliveries.store([first])
        racing = asyncio.create_task(record_deliveries(uow_factory(), [second]))
        await asyncio.sleep(0.5)
        assert not racing.done(), "the second insert must wait for the first transaction"
        await holder.commit()
    [result] = await asyncio.wait_for(racing, 10)

    assert result.verdict is Verdict.DUPLICATE
    assert result.event_id == first.event_id
    async with uow_factory() as uow:
        stored = await uow.deliveries.get(tenant.id, second.raw_event_id)
    assert stored is not None
    assert (stored.verdict, stored.event_id) == ("duplicate", first.event_id)
