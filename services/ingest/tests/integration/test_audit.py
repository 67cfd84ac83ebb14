"""Audit API: listing with filters and cursor pagination, detail, replay, authentication."""

import time
import uuid

import orjson

from dealflow_libs.testing.kafka import TopicProbe, header
from ingest.domain.signatures import signed_headers


async def send(client, tenant, body: dict, *, secret: str | None = None) -> dict:
    raw = orjson.dumps(body)
    headers = signed_headers(
        "calcom", raw, secret or tenant.calcom_secret, timestamp=int(time.time())
    )
    response = await client.post(f"/webhooks/calcom/{tenant.id}", content=raw, headers=headers)
    return response.json()


def booking(trigger: str = "BOOKING_CREATED") -> dict:
    from ingest import samples

    body = samples.load("calcom_booking_created")
    body["triggerEvent"] = trigger
    body["payload"]["uid"] = uuid.uuid4().hex
    return body


class TestAuth:
    async def test_missing_key_is_401(self, client) -> None:
        response = await client.get("/v1/events")
        assert response.status_code == 401
        assert "Bearer" in response.json()["message"]
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_unknown_key_is_401(self, client) -> None:
        response = await client.get("/v1/events", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401

    async def test_tenants_are_isolated(self, client, tenant, uow_factory) -> None:
        from ingest.use_cases import save_tenant

        sent = await send(client, tenant, booking())
        other = f"{tenant.id}-x"
        await save_tenant(uow_factory(), tenant_id=other, api_key=f"{other}-key")
        response = await client.get(
            f"/v1/events/{sent['raw_event_id']}", headers={"Authorization": f"Bearer {other}-key"}
        )
        assert response.status_code == 404
        listing = await client.get("/v1/events", headers={"Authorization": f"Bearer {other}-key"})
        assert listing.json()["items"] == []


class TestListing:
    async def test_filters_and_pagination(self, client, tenant) -> None:
        accepted = [await send(client, tenant, booking()) for _ in range(3)]
        await send(client, tenant, booking(), secret="wrong")
        await send(client, tenant, booking("BOOKING_CANCELLED"))

        everything = await client.get("/v1/events", headers=tenant.auth)
        assert len(everything.json()["items"]) == 5

        only_accepted = await client.get(
            "/v1/events",
            params={"verdict": "accepted", "trigger": "BOOKING_CREATED"},
            headers=tenant.auth,
        )
        ids = [i["id"] for i in only_accepted.json()["items"]]
        assert ids == [a["raw_event_id"] for a in reversed(accepted)]

        unauthorized = await client.get(
            "/v1/events", params={"verdict": "unauthorized"}, headers=tenant.auth
        )
        assert len(unauthorized.json()["items"]) == 1

        pages, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/events", params=params, headers=tenant.auth)).json()
            pages.append([i["id"] for i in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [len(p) for p in pages] == [2, 2, 1]
        assert [i for p in pages for i in p] == [i["id"] for i in everything.json()["items"]]

    async def test_deliveries_of_events(self, client, tenant) -> None:
        body = booking()
        first = await send(client, tenant, body)
        again = await send(client, tenant, body)  # the provider's retry: a duplicate of it
        other = await send(client, tenant, booking())
        await send(client, tenant, booking())

        mine = await client.get(
            "/v1/events", params={"event_id": first["event_id"]}, headers=tenant.auth
        )
        assert [(i["id"], i["verdict"]) for i in mine.json()["items"]] == [
            (again["raw_event_id"], "duplicate"),
            (first["raw_event_id"], "accepted"),
        ]
        both = await client.get(
            "/v1/events",
            params=[("event_id", first["event_id"]), ("event_id", other["event_id"])],
            headers=tenant.auth,
        )
        assert {i["event_id"] for i in both.json()["items"]} == {
            first["event_id"],
            other["event_id"],
        }
        assert len(both.json()["items"]) == 3

    async def test_time_range(self, client, tenant) -> None:
        await send(client, tenant, booking())
        future = await client.get(
            "/v1/events", params={"since": "2200-01-01T00:00:00Z"}, headers=tenant.auth
        )
        assert future.json()["items"] == []
        past = await client.get(
            "/v1/events", params={"until": "2200-01-01T00:00:00Z"}, headers=tenant.auth
        )
        assert len(past.json()["items"]) == 1

    async def test_invalid_filter_is_422_naming_it(self, client, tenant) -> None:
        response = await client.get("/v1/events", params={"verdict": "great"}, headers=tenant.auth)
        assert response.status_code == 422
        assert "verdict" in response.json()["message"]

    async def test_bad_cursor_is_400(self, client, tenant) -> None:
        response = await client.get("/v1/events", params={"cursor": "garbage"}, headers=tenant.auth)
        assert response.status_code == 400


class TestReplay:
    async def test_replay_publishes_a_new_event_marked_as_replay(
        self, client, tenant, bookings: TopicProbe
    ) -> None:
        sent = await send(client, tenant, booking())
        response = await client.post(
            f"/v1/events/{sent['raw_event_id']}/replay", headers=tenant.auth
        )

        assert response.status_code == 202, response.text
        replayed = response.json()
        assert replayed["event_id"] != sent["event_id"]
        [record] = await bookings.wait_for(lambda r: header(r, "ce_id") == replayed["event_id"])
        assert header(record, "ce_replayof") == sent["raw_event_id"]
        detail = (
            await client.get(f"/v1/events/{replayed['raw_event_id']}", headers=tenant.auth)
        ).json()
        assert detail["verdict"] == "replayed"
        assert detail["replay_of"] == sent["raw_event_id"]

    async def test_replay_joins_the_trail_the_caller_names(
        self, client, tenant, bookings: TopicProbe
    ) -> None:
        sent = await send(client, tenant, booking())
        response = await client.post(
            f"/v1/events/{sent['raw_event_id']}/replay",
            headers={**tenant.auth, "X-Correlation-Id": sent["event_id"]},
        )

        assert response.status_code == 202, response.text
        replayed = response.json()["event_id"]
        [record] = await bookings.wait_for(lambda r: header(r, "ce_id") == replayed)
        assert header(record, "ce_correlationid") == sent["event_id"]
        trail = await client.get(f"/v1/trail/{sent['event_id']}", headers=tenant.auth)
        assert [i["event_id"] for i in trail.json()["items"]] == [sent["event_id"], replayed]

    async def test_unauthenticated_delivery_cannot_be_replayed(self, client, tenant) -> None:
        sent = await send(client, tenant, booking(), secret="wrong")
        response = await client.post(
            f"/v1/events/{sent['raw_event_id']}/replay", headers=tenant.auth
        )
        assert response.status_code == 409
        assert "unauthorized" in response.json()["message"]

    async def test_replay_of_unknown_event_is_404(self, client, tenant) -> None:
        response = await client.post(f"/v1/events/{uuid.uuid4()}/replay", headers=tenant.auth)
        assert response.status_code == 404


async def test_asyncapi_and_openapi_documents(client) -> None:
    asyncapi = await client.get("/asyncapi.json")
    assert asyncapi.status_code == 200
    assert "BookingEvent" in asyncapi.text
    assert "dealflow.bookings.v1" in asyncapi.text
    openapi = (await client.get("/openapi.json")).json()
    assert "/webhooks/calcom/{tenant}" in openapi["paths"]
    metrics = await client.get("/metrics")
    assert "dealflow_webhooks_total" in metrics.text
