"""With the database unreachable the gateway answers 503, and nothing it acknowledged is lost."""

import asyncio
import time
import uuid

import httpx
import orjson
from sqlalchemy.engine import make_url

from dealflow_libs.testing.http import serve
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_libs.testing.proxy import CuttableProxy
from dealflow_libs.testing.waiting import eventually
from ingest import samples
from ingest.config import IngestSettings
from ingest.domain.signatures import signed_headers
from ingest.main import build_app


def signed(tenant) -> tuple[bytes, dict[str, str]]:
    body = samples.load("calcom_booking_created")
    body["payload"]["uid"] = uuid.uuid4().hex
    raw = orjson.dumps(body)
    return raw, signed_headers("calcom", raw, tenant.calcom_secret, timestamp=int(time.time()))


async def test_database_down_gives_503_and_loses_nothing_acknowledged(
    ingest_settings: IngestSettings, tenant, uow_factory, bookings: TopicProbe
) -> None:
    real = make_url(ingest_settings.own_database_url)
    proxy = CuttableProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = IngestSettings(ingest_database_url=proxied, tenant_cache_seconds=0)  # type: ignore[arg-type]

    async with (
        serve(build_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=15) as client,
    ):
        path = f"/webhooks/calcom/{tenant.id}"
        before = [
            await client.post(path, content=b, headers=h)
            for b, h in [signed(tenant) for _ in range(5)]
        ]
        assert {r.status_code for r in before} == {202}

        await proxy.cut()
        during = await asyncio.gather(
            *[
                client.post(path, content=b, headers=h)
                for b, h in [signed(tenant) for _ in range(5)]
            ]
        )
        assert {r.status_code for r in during} == {503}
        assert during[0].json()["error"] == "unavailable"
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("unavailable")

        await proxy.restore()
        after = [
            await client.post(path, content=b, headers=h)
            for b, h in [signed(tenant) for _ in range(3)]
        ]
        assert {r.status_code for r in after} == {202}

        # This gateway's own relay catches up once the database is back.
        acknowledged = {r.json()["event_id"] for r in before + after}

        async def every_acknowledged_published() -> bool:
            # Distinct ids: a count of records would be met early by a copy.
            return acknowledged <= {header(r, "ce_id") for r in bookings.records}

        await eventually(every_acknowledged_published, within=30, what="every 202 published")
    published = bookings.matching(lambda r: header(r, "ce_tenantid") == tenant.id)
    # Every 202 published and nothing that was refused. A cut between Kafka's ack and the
    # relay's commit sends that batch again (the relay's documented at-least-once; consumers
    # drop the copy through their inbox), so copies of acknowledged ids may appear.
    assert {header(r, "ce_id") for r in published} == acknowledged
    async with uow_factory() as uow:
        stored = await uow.deliveries.list(
            tenant.id,
            provider=None,
            trigger=None,
            verdict="accepted",
            since=None,
            until=None,
            after=None,
            limit=100,
        )
    assert {str(r.event_id) for r in stored} == acknowledged
    await proxy.cut()
