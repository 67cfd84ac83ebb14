"""Odd input is answered with a clear 4xx and stored in the audit log: never a 500, and never a
202 for a booking the services downstream cannot store (issue 8)."""

import random
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from dealflow_libs.testing.odd_input import mutate
from dealflow_schemas.bounded import MAX_ATTENDEES
from ingest.db.tables import RawEvent
from ingest.domain.signatures import CALCOM_HEADER, CALENDLY_HEADER, sign_calendly, signed_headers
from ingest.samples import builders

TOMORROW = datetime.now(UTC) + timedelta(days=1)


def calcom_created() -> dict[str, Any]:
    email = f"buyer-{uuid.uuid4().hex[:8]}@acme.example"
    return builders.calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=TOMORROW)


def calendly_created() -> dict[str, Any]:
    uri = f"https://api.calendly.com/scheduled_events/E1/invitees/{uuid.uuid4()}"
    email = f"lead-{uuid.uuid4().hex[:8]}@example.org"
    return builders.calendly("invitee.created", uri=uri, email=email, start=TOMORROW)


async def post(
    client: httpx.AsyncClient, provider: str, tenant: str, body: bytes, secret: str
) -> httpx.Response:
    headers = signed_headers(provider, body, secret, timestamp=int(time.time()))
    return await client.post(f"/webhooks/{provider}/{tenant}", content=body, headers=headers)


Mutate = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutate:
    """Sets `a.b[0].c` in a body."""

    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.replace("[", ".[").split(".")
        node: Any = body
        for step in parents:
            node = node[int(step[1:-1])] if step.startswith("[") else node[step]
        node[int(last[1:-1]) if last.startswith("[") else last] = value

    return mutate


async def _stored(client: httpx.AsyncClient, tenant, response: httpx.Response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    raw_id = response.json()["raw_event_id"]
    stored = await client.get(f"/v1/events/{raw_id}", headers=tenant.auth)
    assert stored.status_code == 200, stored.text
    detail: dict[str, Any] = stored.json()
    assert detail["status_code"] == response.status_code
    return detail


CALCOM_UNSTORABLE = {
    "year 1 start": (_set("payload.startTime", "0001-01-01T00:00:00Z"), "payload.startTime"),
    "end overflows when moved to UTC": (
        _set("payload.endTime", "9999-12-31T23:00:00-05:00"),
        "payload.endTime",
    ),
    "NUL in uid": (_set("payload.uid", "abc\u0000def"), "payload.uid"),
    "3 KB uid": (_set("payload.uid", secrets.token_hex(1500)), "payload.uid"),
    "NUL in trigger": (_set("triggerEvent", "BOOKING_CREATED\u0000"), "triggerEvent"),
    "NUL in attendee email": (
        _set("payload.attendees[0].email", "a\u0000b@example.org"),
        "payload.attendees[0].email",
    ),
    "NUL in an answer": (
        _set("payload.responses.notes.value", "hello\u0000"),
        "payload.responses.notes.value",
    ),
    "NUL in an answer's key": (
        _set("payload.responses.bad\u0000key", "x"),
        "payload.responses.bad\u0000key",
    ),
    "NUL in the organizer's name": (
        _set("payload.organizer.name", "Alex\u0000"),
        "payload.organizer.name",
    ),
    "more attendees than a booking keeps": (
        _set(
            "payload.attendees",
            [{"email": f"guest{i}@example.org", "name": "G"} for i in range(MAX_ATTENDEES + 1)],
        ),
        "payload.attendees",
    ),
    "NUL in a tracking value": (
        _set("payload.responses.utm_source.value", "ads\u0000"),
        "payload.responses.utm_source.value",
    ),
}


class TestUnstorableBookingsAre422:
    @pytest.mark.parametrize(
        ("mutate", "path"), CALCOM_UNSTORABLE.values(), ids=CALCOM_UNSTORABLE.keys()
    )
    async def test_calcom(self, client, tenant, mutate: Mutate, path: str) -> None:
        body = calcom_created()
        mutate(body)
        response = await post(client, "calcom", tenant.id, orjson.dumps(body), tenant.calcom_secret)

        assert response.status_code == 422, response.text
        assert path in response.json()["missing"]
        assert path in response.json()["message"]
        detail = await _stored(client, tenant, response)
        assert detail["verdict"] == "invalid"
        assert detail["body"] == body  # kept as sent, NUL included

    async def test_calendly_nul_in_an_answer(self, client, tenant) -> None:
        body = calendly_created()
        body["payload"]["questions_and_answers"][0]["answer"] = "Acme\u0000"
        response = await post(
            client, "calendly", tenant.id, orjson.dumps(body), tenant.calendly_secret
        )
        assert response.status_code == 422, response.text
        assert response.json()["missing"] == ["payload.questions_and_answers[0].answer"]
        assert (await _stored(client, tenant, response))["verdict"] == "invalid"

    async def test_calendly_more_guests_than_a_booking_keeps(self, client, tenant) -> None:
        body = calendly_created()
        guests = [{"email": f"guest{i}@example.org"} for i in range(MAX_ATTENDEES)]
        body["payload"]["scheduled_event"]["event_guests"] = guests
        response = await post(
            client, "calendly", tenant.id, orjson.dumps(body), tenant.calendly_secret
        )
        assert response.status_code == 422, response.text
        assert response.json()["missing"] == ["payload.scheduled_event.event_guests"]
        assert "at most 499" in response.json()["message"]
        assert (await _stored(client, tenant, response))["body"] == body

    async def test_calendly_year_9999_start(self, client, tenant) -> None:
        body = calendly_created()
        body["payload"]["scheduled_event"]["start_time"] = "9999-12-31T23:59:59Z"
        response = await post(
            client, "calendly", tenant.id, orjson.dumps(body), tenant.calendly_secret
        )
        assert response.status_code == 422, response.text
        assert response.json()["missing"] == ["payload.scheduled_event.start_time"]


class TestOddSignaturesAre401:
    async def test_non_ascii_byte_in_calcom_signature(self, client, tenant) -> None:
        response = await client.post(
            f"/webhooks/calcom/{tenant.id}",
            content=orjson.dumps(calcom_created()),
            headers={CALCOM_HEADER: b"\xe9" + b"0" * 63},
        )
        assert response.status_code == 401, response.text
        assert (await _stored(client, tenant, response))["verdict"] == "unauthorized"

    async def test_non_ascii_byte_in_calendly_signature(self, client, tenant) -> None:
        header = f"t={int(time.time())},v1=".encode() + b"\xe9" * 64
        response = await client.post(
            f"/webhooks/calendly/{tenant.id}",
            content=orjson.dumps(calendly_created()),
            headers={CALENDLY_HEADER: header},
        )
        assert response.status_code == 401, response.text
        assert (await _stored(client, tenant, response))["verdict"] == "unauthorized"

    @pytest.mark.parametrize("timestamp", ["²", "¹²³", "9" * 5000], ids=["²", "¹²³", "5000 digits"])
    async def test_calendly_timestamp_that_is_not_ascii_digits(
        self, client, tenant, timestamp: str
    ) -> None:
        body = orjson.dumps(calendly_created())
        valid = sign_calendly(body, tenant.calendly_secret, int(time.time()))
        forged = "t=" + timestamp + "," + valid.split(",", 1)[1]
        response = await client.post(
            f"/webhooks/calendly/{tenant.id}",
            content=body,
            headers={CALENDLY_HEADER: forged.encode("latin-1")},  # as sent on the wire
        )
        assert response.status_code == 401, response.text
        assert "t=<unix>" in response.json()["message"]
        assert (await _stored(client, tenant, response))["verdict"] == "unauthorized"


class TestOddTenantsAre404:
    @pytest.mark.parametrize("tenant_id", ["a%00b", secrets.token_hex(1500)], ids=["NUL", "3 KB"])
    async def test_unknown_tenant_that_cannot_be_a_tenant_id(
        self, client, uow_factory, tenant_id: str
    ) -> None:
        body = orjson.dumps(calcom_created())
        response = await post(client, "calcom", tenant_id, body, "x")
        assert response.status_code == 404, response.text
        assert response.json()["error"] == "unknown_tenant"
        raw_id = uuid.UUID(response.json()["raw_event_id"])
        async with uow_factory() as uow:
            found = await uow.session.scalar(select(RawEvent).where(RawEvent.id == raw_id))
        assert found is not None
        assert found.body == body
        assert "\x00" not in found.tenant_id


class TestAuditQueries:
    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"trigger": "BOOKING\x00"}, "trigger"),
            ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
            ({"until": "9999-12-31T23:00:00-05:00"}, "until"),
        ],
        ids=["NUL trigger", "since overflows", "until overflows"],
    )
    async def test_odd_filters_are_422_naming_them(
        self, client, tenant, query: dict[str, str], field: str
    ) -> None:
        response = await client.get("/v1/events", params=query, headers=tenant.auth)
        assert response.status_code == 422, response.text
        assert response.json()["details"][0]["field"] == f"query.{field}"


@pytest.mark.parametrize("provider", ["calcom", "calendly"])
async def test_fuzzed_deliveries_are_stored_and_never_a_500(client, tenant, provider: str) -> None:
    """Odd values anywhere in signed deliveries, through the real gateway and database."""
    rng = random.Random(provider)
    secret = getattr(tenant, f"{provider}_secret")
    statuses = []
    for _ in range(150):  # enough for the old gateway to answer a 500
        body = calcom_created() if provider == "calcom" else calendly_created()
        mutate(body, rng)
        response = await post(client, provider, tenant.id, orjson.dumps(body), secret)
        assert response.status_code in (200, 202, 400, 422), response.text
        statuses.append(response.status_code)
        assert (await _stored(client, tenant, response))["body"] == body
    assert 422 in statuses
