"""A signed delivery over real HTTP reaches the broker once, with key and CloudEvents headers."""

import asyncio
import copy
import time
import uuid
from typing import Any

import httpx
import orjson
import pytest

from dealflow_libs.testing.kafka import TopicProbe, header
from ingest import samples
from ingest.domain.signatures import signed_headers
from ingest.use_cases import drop_previous_secrets, save_tenant


def calcom_created(email: str | None = None, uid: str | None = None) -> dict[str, Any]:
    body = copy.deepcopy(samples.load("calcom_booking_created"))
    email = email or f"buyer-{uuid.uuid4().hex[:8]}@acme-{uuid.uuid4().hex[:4]}.com"
    body["payload"]["uid"] = uid or uuid.uuid4().hex
    body["payload"]["attendees"][0]["email"] = email
    body["payload"]["responses"]["email"]["value"] = email
    return body


def calendly_created(email: str | None = None) -> dict[str, Any]:
    body = copy.deepcopy(samples.load("calendly_invitee_created"))
    body["payload"]["uri"] = f"https://api.calendly.com/scheduled_events/E1/invitees/{uuid.uuid4()}"
    body["payload"]["email"] = email or f"lead-{uuid.uuid4().hex[:8]}@example.org"
    return body


async def post(
    client: httpx.AsyncClient,
    provider: str,
    tenant: str,
    body: bytes,
    secret: str,
    *,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    headers = signed_headers(provider, body, secret, timestamp=timestamp or int(time.time()))
    return await client.post(
        f"/webhooks/{provider}/{tenant}", content=body, headers={**headers, **(extra_headers or {})}
    )


class TestAccepted:
    async def test_calcom_booking_is_published_once_with_key_and_headers(
        self, client, tenant, bookings: TopicProbe
    ) -> None:
        body = calcom_created(email="Jane.Doe@Acme-Widgets.COM")
        response = await post(client, "calcom", tenant.id, orjson.dumps(body), tenant.calcom_secret)

        assert response.status_code == 202, response.text
        event_id = response.json()["event_id"]
        [record] = await bookings.wait_for(lambda r: header(r, "ce_id") == event_id)
        assert record.key == b"jane.doe@acme-widgets.com"
        assert header(record, "ce_type") == "dealflow.booking.v1"
        assert header(record, "ce_specversion") == "1.0"
        assert header(record, "ce_source") == "dealflow/ingest/calcom"
        assert header(record, "ce_tenantid") == tenant.id
        assert header(record, "ce_subject") == body["payload"]["uid"]
        assert header(record, "content-type") == "application/json"
        event = orjson.loads(record.value)
        assert event["trigger"] == "created"
        assert event["booking_uid"] == body["payload"]["uid"]
        assert event["attendees"][0]["email"] == "jane.doe@acme-widgets.com"
        assert event["raw_event_id"] == response.json()["raw_event_id"]
        # Exactly once: a later booking on the same key (same partition) is published after any
        # second copy the relay might (wrongly) send, so once it is seen a copy would be too.
        marker = await post(
            client,
            "calcom",
            tenant.id,
            orjson.dumps(calcom_created(email="Jane.Doe@Acme-Widgets.COM")),
            tenant.calcom_secret,
        )
        marker_id = marker.json()["event_id"]
        [marked] = await bookings.wait_for(lambda r: header(r, "ce_id") == marker_id)
        assert marked.key == record.key
        assert len(bookings.matching(lambda r: header(r, "ce_id") == event_id)) == 1

    async def test_calendly_booking_is_published(
        self, client, tenant, bookings: TopicProbe
    ) -> None:
        body = calendly_created(email="lead@example.org")
        response = await post(
            client, "calendly", tenant.id, orjson.dumps(body), tenant.calendly_secret
        )

        assert response.status_code == 202, response.text
        [record] = await bookings.wait_for(
            lambda r: header(r, "ce_id") == response.json()["event_id"]
        )
        assert record.key == b"lead@example.org"
        assert orjson.loads(record.value)["booking_uid"] == body["payload"]["uri"]

    async def test_duplicate_delivery_publishes_nothing_new(
        self, client, tenant, bookings: TopicProbe
    ) -> None:
        body = orjson.dumps(calcom_created())
        first = await post(client, "calcom", tenant.id, body, tenant.calcom_secret)
        second = await post(client, "calcom", tenant.id, body, tenant.calcom_secret)

        assert first.status_code == 202
        assert second.status_code == 200
        assert second.json()["status"] == "duplicate"
        assert second.json()["event_id"] == first.json()["event_id"]
        await bookings.wait_for(lambda r: header(r, "ce_id") == first.json()["event_id"])
        tenant_records = lambda r: header(r, "ce_tenantid") == tenant.id  # noqa: E731
        await bookings.wait_for(tenant_records, within=2)
        assert len(bookings.matching(tenant_records)) == 1

    async def test_concurrent_duplicates_publish_once(
        self, client, tenant, bookings: TopicProbe
    ) -> None:
        body = orjson.dumps(calcom_created())
        responses = await asyncio.gather(
            *[post(client, "calcom", tenant.id, body, tenant.calcom_secret) for _ in range(8)]
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 7 + [202]
        assert len({r.json()["event_id"] for r in responses}) == 1
        await bookings.wait_for(lambda r: header(r, "ce_tenantid") == tenant.id)
        assert len(bookings.matching(lambda r: header(r, "ce_tenantid") == tenant.id)) == 1

    async def test_same_booking_for_two_tenants_is_not_a_duplicate(
        self, client, tenant, uow_factory
    ) -> None:
        other = f"{tenant.id}-other"
        await save_tenant(uow_factory(), tenant_id=other, calcom_secret=tenant.calcom_secret)
        body = orjson.dumps(calcom_created())
        first = await post(client, "calcom", tenant.id, body, tenant.calcom_secret)
        second = await post(client, "calcom", other, body, tenant.calcom_secret)
        assert (first.status_code, second.status_code) == (202, 202)
        assert first.json()["event_id"] != second.json()["event_id"]

    async def test_ping_is_stored_and_ignored(self, client, tenant, bookings: TopicProbe) -> None:
        body = orjson.dumps(samples.load("calcom_ping"))
        response = await post(client, "calcom", tenant.id, body, tenant.calcom_secret)

        assert response.status_code == 200
        assert response.json()["status"] == "ignored"
        stored = await client.get(
            f"/v1/events/{response.json()['raw_event_id']}", headers=tenant.auth
        )
        assert stored.json()["verdict"] == "ignored"
        assert stored.json()["trigger"] == "PING"

    async def test_rotated_secret_pair_both_verify(self, client, tenant, uow_factory) -> None:
        await save_tenant(uow_factory(), tenant_id=tenant.id, calcom_secret="the-new-one")
        old = await post(
            client, "calcom", tenant.id, orjson.dumps(calcom_created()), tenant.calcom_secret
        )
        new = await post(client, "calcom", tenant.id, orjson.dumps(calcom_created()), "the-new-one")
        assert (old.status_code, new.status_code) == (202, 202)

        await drop_previous_secrets(uow_factory(), tenant.id)
        revoked = await post(
            client, "calcom", tenant.id, orjson.dumps(calcom_created()), tenant.calcom_secret
        )
        assert revoked.status_code == 401


class TestRejected:
    """Every error status, each stored in the audit log with its verdict."""

    async def assert_stored(
        self, client, tenant, response: httpx.Response, verdict: str
    ) -> dict[str, Any]:
        raw_id = response.json()["raw_event_id"]
        stored = await client.get(f"/v1/events/{raw_id}", headers=tenant.auth)
        assert stored.status_code == 200, stored.text
        detail = stored.json()
        assert detail["verdict"] == verdict
        assert detail["status_code"] == response.status_code
        assert "x-cal-signature-256" not in detail["headers"]
        assert "calendly-webhook-signature" not in detail["headers"]
        return detail

    async def test_wrong_signature_is_401_and_stored(self, client, tenant) -> None:
        body = orjson.dumps(calcom_created())
        response = await post(client, "calcom", tenant.id, body, "not-the-secret")
        assert response.status_code == 401
        assert "does not match" in response.json()["message"]
        detail = await self.assert_stored(client, tenant, response, "unauthorized")
        assert detail["body"]["payload"]["uid"] == orjson.loads(body)["payload"]["uid"]

    async def test_missing_signature_is_401(self, client, tenant) -> None:
        response = await client.post(
            f"/webhooks/calcom/{tenant.id}", content=orjson.dumps(calcom_created())
        )
        assert response.status_code == 401
        assert "missing x-cal-signature-256" in response.json()["message"]
        await self.assert_stored(client, tenant, response, "unauthorized")

    async def test_no_secret_provided_is_401(self, client, tenant) -> None:
        response = await client.post(
            f"/webhooks/calcom/{tenant.id}",
            content=orjson.dumps(calcom_created()),
            headers={"x-cal-signature-256": "no-secret-provided"},
        )
        assert response.status_code == 401
        assert "no-secret-provided" in response.json()["message"]

    async def test_expired_calendly_timestamp_is_401(self, client, tenant) -> None:
        body = orjson.dumps(calendly_created())
        response = await post(
            client,
            "calendly",
            tenant.id,
            body,
            tenant.calendly_secret,
            timestamp=int(time.time()) - 600,
        )
        assert response.status_code == 401
        assert "tolerance" in response.json()["message"]
        await self.assert_stored(client, tenant, response, "unauthorized")

    async def test_unknown_tenant_is_404_and_stored(self, client, uow_factory) -> None:
        body = orjson.dumps(calcom_created())
        response = await post(client, "calcom", "no-such-tenant", body, "x")
        assert response.status_code == 404
        assert "unknown tenant 'no-such-tenant'" in response.json()["message"]
        async with uow_factory() as uow:
            stored = await uow.deliveries.get(
                "no-such-tenant", uuid.UUID(response.json()["raw_event_id"])
            )
        assert stored is not None
        assert stored.verdict == "unknown_tenant"
        assert stored.body == body

    async def test_malformed_json_is_400_and_stored(self, client, tenant) -> None:
        response = await post(
            client,
            "calcom",
            tenant.id,
            b'{"triggerEvent": "BOOKING_CREATED",',
            tenant.calcom_secret,
        )
        assert response.status_code == 400
        assert "not valid JSON" in response.json()["message"]
        detail = await self.assert_stored(client, tenant, response, "malformed")
        assert detail["body"] == '{"triggerEvent": "BOOKING_CREATED",'

    async def test_missing_fields_are_422_naming_them(self, client, tenant) -> None:
        body = calcom_created()
        del body["payload"]["uid"]
        del body["payload"]["startTime"]
        response = await post(client, "calcom", tenant.id, orjson.dumps(body), tenant.calcom_secret)
        assert response.status_code == 422
        missing = response.json()["missing"]
        assert "payload.uid" in missing
        assert "payload.startTime" in missing
        assert "payload.uid" in response.json()["message"]
        await self.assert_stored(client, tenant, response, "invalid")

    async def test_body_over_one_mib_is_413_and_stored(self, client, tenant) -> None:
        body = orjson.dumps({"triggerEvent": "BOOKING_CREATED", "pad": "x" * (1024 * 1024)})
        response = await post(client, "calcom", tenant.id, body, tenant.calcom_secret)
        assert response.status_code == 413
        assert "1048576-byte limit" in response.json()["message"]
        detail = await self.assert_stored(client, tenant, response, "too_large")
        assert detail["body_truncated"] is True

    @pytest.mark.parametrize("provider", ["calcom", "calendly"])
    async def test_rejections_publish_nothing(
        self, client, tenant, bookings: TopicProbe, provider: str
    ) -> None:
        await post(client, provider, tenant.id, orjson.dumps(calcom_created()), "wrong")
        await post(client, provider, tenant.id, b"not json", getattr(tenant, f"{provider}_secret"))
        # A valid one afterwards is the marker that everything before it was relayed.
        ok = await post(
            client, "calcom", tenant.id, orjson.dumps(calcom_created()), tenant.calcom_secret
        )
        await bookings.wait_for(lambda r: header(r, "ce_id") == ok.json()["event_id"])
        assert len(bookings.matching(lambda r: header(r, "ce_tenantid") == tenant.id)) == 1


async def test_fastapi_routes_behave_like_the_fast_path(
    ingest_settings, tenant, bookings: TopicProbe
) -> None:
    """The documented FastAPI routes (OpenAPI) hand requests to the fast path's serve_webhook."""
    from dealflow_libs.testing.http import serve
    from ingest.main import build_app

    async with (
        serve(build_app(ingest_settings).app) as url,
        httpx.AsyncClient(base_url=url) as plain,
    ):
        documented = (await plain.get("/openapi.json")).json()["paths"]
        assert {"/webhooks/calcom/{tenant}", "/webhooks/calendly/{tenant}"} <= set(documented)
        body = orjson.dumps(calcom_created())
        first = await post(plain, "calcom", tenant.id, body, tenant.calcom_secret)
        again = await post(plain, "calcom", tenant.id, body, tenant.calcom_secret)
        unsigned = await plain.post(f"/webhooks/calendly/{tenant.id}", content=b"{}")
        too_big = await post(
            plain, "calcom", tenant.id, b"x" * (1024 * 1024 + 1), tenant.calcom_secret
        )
    assert (first.status_code, again.status_code, unsigned.status_code, too_big.status_code) == (
        202,
        200,
        401,
        413,
    )
    assert again.json()["event_id"] == first.json()["event_id"]
    await bookings.wait_for(lambda r: header(r, "ce_id") == first.json()["event_id"])
