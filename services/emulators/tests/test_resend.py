"""The Resend emulator over real HTTP against notify_notion.md §1 and R15: sends, batch,
retrieve/update/cancel, errors, auth, User-Agent, idempotency (24 h on the emulator's clock),
rate limit and quota headers, faults, test addresses, and Svix-signed webhooks checked with an
HMAC computed here."""

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import icalendar
import pytest
from fastapi import FastAPI, Request, Response

from dealflow_emulators.resend import DEV_API_KEY, DEV_WEBHOOK_SECRET, build_app
from dealflow_emulators.resend.emails import PUBLIC_FIELDS
from dealflow_libs.testing.http import serve

HEADERS = {"Authorization": f"Bearer {DEV_API_KEY}", "User-Agent": "dealflow-tests/1.0"}
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Dealflow//Tests//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:mtg_1@dealflow.test\r\nSEQUENCE:0\r\nDTSTAMP:20251201T090000Z\r\n"
    "DTSTART:20251209T090000Z\r\nDTEND:20251209T093000Z\r\nSUMMARY:Diagnostic call\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def email(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "from": "Acme Sales <meetings@acme.com>",
        "to": ["delivered@resend.dev"],
        "subject": "Confirmed: Diagnostic call",
        "html": "<p>See you</p>",
    }
    return body | overrides


@pytest.fixture(scope="module")
async def url() -> AsyncIterator[str]:
    async with serve(build_app()) as base:
        yield base


@pytest.fixture
async def resend(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the seeded key; the emulator starts fresh, its limiter off (many tests
    send more than 10 requests a second; the rate-limit tests turn it back on)."""
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=10) as client:
        assert (await client.post("/_emulator/reset")).status_code == 204
        await _config(client, rate_limit=None)
        yield client


async def _state(resend: httpx.AsyncClient) -> dict[str, Any]:
    state: dict[str, Any] = (await resend.get("/_emulator/state")).json()
    return state


async def _config(resend: httpx.AsyncClient, **changes: Any) -> None:
    answer = await resend.patch("/_emulator/config", json=changes)
    assert answer.status_code == 200, answer.text


async def until(check: Callable[[], Awaitable[bool]], within: float = 10) -> None:
    """Polls for a state the emulator reaches on its own (a scheduled send, a retry)."""
    deadline = time.monotonic() + within
    while True:
        if await check():
            return
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


def _error(answer: httpx.Response, status: int, name: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"statusCode", "name", "message"}
    assert (body["statusCode"], body["name"]) == (status, name)
    message: str = body["message"]
    return message


# -- sending ---------------------------------------------------------------------------------------


async def test_send_keeps_every_field_and_retrieve_answers_the_documented_shape(
    resend: httpx.AsyncClient,
) -> None:
    body = email(
        to="delivered+jane@resend.dev",
        cc=["Owner <owner@acme.com>"],
        reply_to="owner@acme.com",
        text="See you",
        headers={"X-Entity-Ref-ID": "mtg_1"},
        tags=[{"name": "kind", "value": "booking_created"}],
        attachments=[
            {
                "filename": "invite.ics",
                "content": base64.b64encode(ICS.encode()).decode(),
                "content_type": "text/calendar; method=REQUEST; charset=UTF-8",
            },
            {"filename": "deck.pdf", "content": base64.b64encode(b"%PDF-1.4 x").decode()},
        ],
    )
    answer = await resend.post("/emails", json=body)
    assert answer.status_code == 200, answer.text
    email_id = answer.json()["id"]
    assert answer.json() == {"id": email_id}

    [kept] = (await _state(resend))["objects"]["emails"]
    assert kept["id"] == email_id
    assert kept["to"] == ["delivered+jane@resend.dev"]
    assert kept["cc"] == ["Owner <owner@acme.com>"]
    assert kept["reply_to"] == ["owner@acme.com"]
    assert kept["headers"] == {"X-Entity-Ref-ID": "mtg_1"}
    assert kept["tags"] == [{"name": "kind", "value": "booking_created"}]
    invite, deck = kept["attachments"]
    assert invite["filename"] == "invite.ics"
    assert invite["content_type"] == "text/calendar; method=REQUEST; charset=UTF-8"
    assert invite["size"] == len(ICS.encode())
    calendar = icalendar.Calendar.from_ical(invite["text"])
    assert calendar["METHOD"] == "REQUEST"
    assert str(calendar.walk("VEVENT")[0]["UID"]) == "mtg_1@dealflow.test"
    assert deck["content_type"] == "application/pdf"  # derived from the filename
    assert deck["size"] == len(b"%PDF-1.4 x")
    assert "text" not in deck

    shown = await resend.get(f"/emails/{email_id}")
    assert shown.status_code == 200
    assert tuple(shown.json()) == PUBLIC_FIELDS
    assert shown.json()["object"] == "email"
    assert shown.json()["last_event"] == "delivered"
    assert shown.json()["created_at"].endswith("+00")  # "2026-04-03 22:13:42.674981+00"


async def test_batch_answers_ids_in_request_order_and_refuses_attachments(
    resend: httpx.AsyncClient,
) -> None:
    answer = await resend.post(
        "/emails/batch",
        json=[email(subject="first"), email(subject="second", to="delivered+2@resend.dev")],
    )
    assert answer.status_code == 200, answer.text
    ids = [item["id"] for item in answer.json()["data"]]
    subjects = {e["id"]: e["subject"] for e in (await _state(resend))["objects"]["emails"]}
    assert [subjects[i] for i in ids] == ["first", "second"]

    attached = email(attachments=[{"filename": "a.txt", "content": "YQ=="}])
    message = _error(
        await resend.post("/emails/batch", json=[email(), attached]), 422, "validation_error"
    )
    assert message.startswith("emails[1]:")
    _error(await resend.post("/emails/batch", json=[email()] * 101), 400, "validation_error")
    _error(await resend.post("/emails/batch", json=email()), 400, "validation_error")
    assert (await _state(resend))["counts"]["emails"] == 2  # all or nothing


@pytest.mark.parametrize(
    ("changes", "status", "name"),
    [
        ({"to": None}, 422, "missing_required_field"),
        ({"from": None}, 422, "missing_required_field"),
        ({"subject": None}, 422, "missing_required_field"),
        ({"html": None}, 422, "missing_required_field"),
        ({"from": "not an address"}, 400, "validation_error"),
        ({"to": ["ok@x.io", "nope"]}, 400, "validation_error"),
        ({"to": [f"u{n}@x.io" for n in range(51)]}, 400, "validation_error"),
        ({"tags": [{"name": "has space", "value": "x"}]}, 400, "validation_error"),
        ({"template": {"id": "welcome"}}, 400, "validation_error"),
        ({"scheduled_at": "next blue moon"}, 400, "validation_error"),
        ({"scheduled_at": "in 31 days"}, 400, "validation_error"),
        ({"attachments": [{"filename": "a.txt"}]}, 422, "invalid_attachment"),
        ({"attachments": [{"filename": "a.txt", "content": "%%%"}]}, 422, "invalid_attachment"),
    ],
)
async def test_invalid_sends_get_resends_error_names(
    resend: httpx.AsyncClient, changes: dict[str, Any], status: int, name: str
) -> None:
    body = {k: v for k, v in (email() | changes).items() if v is not None}
    _error(await resend.post("/emails", json=body), status, name)
    assert (await _state(resend))["counts"]["emails"] == 0


async def test_malformed_json_unknown_paths_and_ids(resend: httpx.AsyncClient) -> None:
    _error(
        await resend.post(
            "/emails", content=b"{nope", headers={"content-type": "application/json"}
        ),
        400,
        "validation_error",
    )
    _error(await resend.get("/emails/not-a-uuid"), 422, "invalid_parameter")
    _error(await resend.get("/emails/4ef9a417-02e9-4d39-ad75-9611e0fcc33c"), 404, "not_found")
    _error(await resend.get("/nowhere"), 404, "not_found")
    _error(await resend.delete("/emails"), 405, "method_not_allowed")


# -- auth ------------------------------------------------------------------------------------------


async def test_api_key_and_user_agent_are_required(resend: httpx.AsyncClient, url: str) -> None:
    _error(
        await resend.post("/emails", json=email(), headers={"Authorization": ""}),
        401,
        "missing_api_key",
    )
    message = _error(
        await resend.post("/emails", json=email(), headers={"Authorization": "Bearer re_nope"}),
        400,
        "validation_error",
    )
    assert message == "API key is invalid"
    async with httpx.AsyncClient(base_url=url, timeout=10) as bare:
        bare.headers.pop("user-agent")
        blocked = await bare.post(
            "/emails", json=email(), headers={"Authorization": f"Bearer {DEV_API_KEY}"}
        )
    assert blocked.status_code == 403
    assert blocked.text == "error code: 1010"  # blocked in front of the API, not its JSON
    assert (await _state(resend))["counts"]["emails"] == 0

    assert (await resend.post("/_emulator/faults", json={"kind": "revoke"})).status_code == 201
    _error(await resend.post("/emails", json=email()), 400, "validation_error")
    await resend.post("/_emulator/api-keys", json={"key": "re_second_key"})
    second = {"Authorization": "Bearer re_second_key"}
    assert (await resend.post("/emails", json=email(), headers=second)).status_code == 200


# -- idempotency -----------------------------------------------------------------------------------


async def test_same_key_same_body_replays_the_first_answer_without_sending_again(
    resend: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": "booking_created/mtg_1/v1"}
    first = await resend.post("/emails", json=email(), headers=key)
    reordered = dict(reversed(list(email().items())))  # the same data, keys in another order
    again = await resend.post("/emails", json=reordered, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert (await _state(resend))["counts"]["emails"] == 1

    changed = await resend.post("/emails", json=email(subject="Moved"), headers=key)
    _error(changed, 409, "invalid_idempotent_request")
    other = await resend.post("/emails/batch", json=[email()], headers=key)
    assert other.status_code == 200  # a key is kept per method and endpoint
    assert (await _state(resend))["counts"]["emails"] == 2


async def test_key_length_is_checked(resend: httpx.AsyncClient) -> None:
    for bad in ("", "k" * 257):
        answer = await resend.post("/emails", json=email(), headers={"Idempotency-Key": bad})
        _error(answer, 400, "invalid_idempotency_key")
    ok = await resend.post("/emails", json=email(), headers={"Idempotency-Key": "k" * 256})
    assert ok.status_code == 200


async def test_keys_expire_after_24_hours_on_the_emulators_clock(
    resend: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": "reminder/mtg_1/24h"}
    first = (await resend.post("/emails", json=email(), headers=key)).json()["id"]
    await resend.post("/_emulator/clock", json={"advance_seconds": 24 * 3600 - 60})
    assert (await resend.post("/emails", json=email(), headers=key)).json()["id"] == first
    clock = await resend.post("/_emulator/clock", json={"advance_seconds": 61})
    assert clock.json()["offset_seconds"] == 24 * 3600 + 1
    later = (await resend.post("/emails", json=email(), headers=key)).json()["id"]
    assert later != first
    assert (await _state(resend))["counts"]["emails"] == 2


async def test_a_refused_send_leaves_the_key_free(resend: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": "booking_created/mtg_2/v1"}
    _error(
        await resend.post("/emails", json=email(to=None), headers=key),
        422,
        "missing_required_field",
    )
    assert (await resend.post("/emails", json=email(), headers=key)).status_code == 200


async def test_a_concurrent_duplicate_is_409_and_safe_to_retry(resend: httpx.AsyncClient) -> None:
    await _config(resend, send_delay_ms=300)
    key = {"Idempotency-Key": "booking_created/mtg_3/v1"}
    first = asyncio.create_task(resend.post("/emails", json=email(), headers=key))

    async def in_flight() -> bool:
        return bool((await _state(resend))["idempotency_keys"])

    await until(in_flight)
    duplicate = await resend.post("/emails", json=email(), headers=key)
    _error(duplicate, 409, "concurrent_idempotent_requests")
    original = await first
    assert original.status_code == 200
    retried = await resend.post("/emails", json=email(), headers=key)
    assert retried.json() == original.json()
    assert (await _state(resend))["counts"]["emails"] == 1


async def test_a_send_that_happened_behind_a_500_is_replayed_on_retry(
    resend: httpx.AsyncClient,
) -> None:
    fault = {"kind": "server_error", "count": 1, "apply": True, "path_prefix": "/emails"}
    assert (await resend.post("/_emulator/faults", json=fault)).status_code == 201
    key = {"Idempotency-Key": "booking_created/mtg_4/v1"}
    failed = await resend.post("/emails", json=email(), headers=key)
    _error(failed, 500, "application_error")
    retried = await resend.post("/emails", json=email(), headers=key)
    assert retried.status_code == 200
    [kept] = (await _state(resend))["objects"]["emails"]
    assert retried.json() == {"id": kept["id"]}


# -- rate limit, quota, faults ---------------------------------------------------------------------


async def test_rate_limit_headers_and_429_across_all_keys(resend: httpx.AsyncClient) -> None:
    await resend.post("/_emulator/reset")
    config = (await resend.get("/_emulator/config")).json()
    assert (config["rate_limit"], config["rate_limit_interval_ms"]) == (10, 1000)  # the default
    await _config(resend, rate_limit=3, rate_limit_interval_ms=60_000)
    await resend.post("/_emulator/api-keys", json={"key": "re_other_key"})
    answers = [await resend.get("/nowhere") for _ in range(2)]
    answers.append(
        await resend.post("/emails", json=email(), headers={"Authorization": "Bearer re_other_key"})
    )
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
    assert all(a.headers["ratelimit-limit"] == "3" for a in answers)
    refused = await resend.post("/emails", json=email())
    _error(refused, 429, "rate_limit_exceeded")
    assert refused.headers["ratelimit-remaining"] == "0"
    assert 55 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-reset"] == refused.headers["retry-after"]
    assert (await _state(resend))["counts"]["emails"] == 1

    await _config(resend, rate_limit=None)
    answers = [await resend.get("/nowhere") for _ in range(5)]
    assert all(a.status_code == 404 and "ratelimit-limit" not in a.headers for a in answers)


async def test_daily_quota_refuses_until_midnight_utc(resend: httpx.AsyncClient) -> None:
    await _config(resend, daily_quota=2)
    first = await resend.post("/emails", json=email())
    assert first.headers["x-resend-daily-quota"] == "1"
    _error(await resend.post("/emails/batch", json=[email(), email()]), 429, "daily_quota_exceeded")
    assert (await resend.post("/emails", json=email())).headers["x-resend-daily-quota"] == "2"
    refused = await resend.post("/emails", json=email())
    _error(refused, 429, "daily_quota_exceeded")
    clock = (await resend.get("/_emulator/clock")).json()["now"]
    hour, minute = int(clock[11:13]), int(clock[14:16])
    to_midnight = (24 - hour) * 3600 - minute * 60 + 5
    await resend.post("/_emulator/clock", json={"advance_seconds": to_midnight})
    tomorrow = await resend.post("/emails", json=email())
    assert tomorrow.status_code == 200
    assert tomorrow.headers["x-resend-daily-quota"] == "1"
    assert (await _state(resend))["counts"]["emails"] == 3


async def test_monthly_quota(resend: httpx.AsyncClient) -> None:
    await _config(resend, monthly_quota=1)
    assert (await resend.post("/emails", json=email())).headers["x-resend-monthly-quota"] == "1"
    _error(await resend.post("/emails", json=email()), 429, "monthly_quota_exceeded")


async def test_faults_answer_in_resends_shapes(resend: httpx.AsyncClient) -> None:
    faults = [
        {"kind": "rate_limit", "count": 1, "retry_after_ms": 2000},
        {"kind": "server_error", "count": 1, "status": 503},
        {"kind": "server_error", "count": 1},
        {"kind": "timeout", "count": 1, "hold_seconds": 0.1},
    ]
    for fault in faults:
        assert (await resend.post("/_emulator/faults", json=fault)).status_code == 201
    limited = await resend.post("/emails", json=email())
    _error(limited, 429, "rate_limit_exceeded")
    assert limited.headers["retry-after"] == "2"
    _error(await resend.post("/emails", json=email()), 503, "service_unavailable")
    _error(await resend.post("/emails", json=email()), 500, "application_error")
    _error(await resend.post("/emails", json=email()), 504, "application_error")
    assert (await resend.post("/emails", json=email())).status_code == 200
    assert (await _state(resend))["counts"]["emails"] == 1


# -- senders, test addresses, scheduling -----------------------------------------------------------


async def test_test_addresses_behave_as_documented(resend: httpx.AsyncClient) -> None:
    expected = {
        "delivered+a@resend.dev": ["email.sent", "email.delivered"],
        "bounced@resend.dev": ["email.sent", "email.bounced"],
        "bounced+label@resend.dev": ["email.sent", "email.bounced"],
        "complained+x@resend.dev": ["email.sent", "email.delivered", "email.complained"],
        "suppressed@resend.dev": ["email.sent", "email.suppressed"],
        "jane@prospect.io": ["email.sent", "email.delivered"],
    }
    ids = {}
    for address in expected:
        ids[address] = (await resend.post("/emails", json=email(to=address))).json()["id"]
    for address, events in expected.items():
        kept = next(
            e for e in (await _state(resend))["objects"]["emails"] if e["id"] == ids[address]
        )
        assert [e["type"] for e in kept["events"]] == events, address
        shown = (await resend.get(f"/emails/{ids[address]}")).json()
        assert shown["last_event"] == events[-1].removeprefix("email.")


async def test_senders_need_a_verified_domain_and_resend_dev_reaches_only_tests(
    resend: httpx.AsyncClient,
) -> None:
    testing = "Acme <onboarding@resend.dev>"
    _error(
        await resend.post("/emails", json=email(**{"from": testing}, to="jane@prospect.io")),
        403,
        "validation_error",
    )
    for allowed in ("delivered@resend.dev", "owner@example.com"):
        answer = await resend.post("/emails", json=email(**{"from": testing}, to=allowed))
        assert answer.status_code == 200
    await _config(resend, verified_domains=["acme.com"])
    assert (await resend.post("/emails", json=email())).status_code == 200
    message = _error(
        await resend.post("/emails", json=email(**{"from": "x@sales.acme.com"})),
        403,
        "validation_error",
    )
    assert "sales.acme.com domain is not verified" in message


async def test_scheduled_emails_can_be_moved_cancelled_or_sent_when_due(
    resend: httpx.AsyncClient,
) -> None:
    later = (await resend.post("/emails", json=email(scheduled_at="in 1 hour"))).json()["id"]
    kept = (await resend.get(f"/emails/{later}")).json()
    assert kept["last_event"] == "scheduled"
    moved = await resend.patch(f"/emails/{later}", json={"scheduled_at": "2099-01-01T00:00:00Z"})
    _error(moved, 400, "validation_error")  # beyond 30 days
    moved = await resend.patch(f"/emails/{later}", json={"scheduled_at": "in 2 hours"})
    assert moved.json() == {"object": "email", "id": later}
    assert (await resend.post(f"/emails/{later}/cancel")).json() == {"object": "email", "id": later}
    assert (await resend.get(f"/emails/{later}")).json()["last_event"] == "canceled"
    again = await resend.patch(f"/emails/{later}", json={"scheduled_at": "in 3 hours"})
    _error(again, 400, "validation_error")  # "Once an email is canceled, it cannot be rescheduled"

    due = (await resend.post("/emails", json=email(scheduled_at="in 10 min"))).json()["id"]
    sent_now = (await resend.post("/emails", json=email())).json()["id"]
    _error(await resend.post(f"/emails/{sent_now}/cancel"), 400, "validation_error")
    await resend.post("/_emulator/clock", json={"advance_seconds": 601})

    async def released() -> bool:
        return bool((await resend.get(f"/emails/{due}")).json()["last_event"] != "scheduled")

    await until(released)
    assert (await resend.get(f"/emails/{due}")).json()["last_event"] == "delivered"
    assert (await resend.get(f"/emails/{later}")).json()["last_event"] == "canceled"


# -- webhooks --------------------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        import json

        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A webhook endpoint that keeps what it gets and can fail the next N deliveries."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            async with self.arrived:
                self.received.append(Received(dict(request.headers), await request.body()))
                self.arrived.notify_all()
            if self.fail_next:
                self.fail_next -= 1
                return Response(status_code=500)
            return Response(status_code=204)

        return app

    async def wait_for(self, count: int) -> list[Received]:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.received) >= count), 10)
        return self.received[:count]


@pytest.fixture
async def receiver(resend: httpx.AsyncClient) -> AsyncIterator[Receiver]:
    hooks = Receiver()
    async with serve(hooks.app()) as base:
        hooks.url = f"{base}/hook"
        await _config(resend, webhook_url=hooks.url)
        yield hooks


async def _deliveries_all(resend: httpx.AsyncClient, status: str) -> bool:
    deliveries = (await _state(resend))["objects"]["webhooks"]
    return bool(deliveries) and all(d["status"] == status for d in deliveries)


def verify_svix(received: Received, secret: str = DEV_WEBHOOK_SECRET) -> None:
    """Svix's scheme, computed here independently of the emulator's code."""
    svix_id = received.headers["svix-id"]
    timestamp = received.headers["svix-timestamp"]
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = svix_id.encode() + b"." + timestamp.encode() + b"." + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    versions = dict(s.split(",", 1) for s in received.headers["svix-signature"].split(" "))
    assert hmac.compare_digest(versions["v1"], expected)
    assert svix_id.startswith("msg_")


async def test_each_send_posts_signed_events_in_order(
    resend: httpx.AsyncClient, receiver: Receiver
) -> None:
    tags = [{"name": "kind", "value": "booking_created"}]
    email_id = (await resend.post("/emails", json=email(tags=tags))).json()["id"]
    sent, delivered = await receiver.wait_for(2)
    for received in (sent, delivered):
        verify_svix(received)
        assert abs(int(received.headers["svix-timestamp"]) - time.time()) < 300
        assert received.json["data"]["email_id"] == email_id
        assert received.json["data"]["tags"] == {"kind": "booking_created"}  # an object here
    assert [sent.json["type"], delivered.json["type"]] == ["email.sent", "email.delivered"]
    assert sent.headers["svix-id"] != delivered.headers["svix-id"]
    data = sent.json["data"]
    assert data["from"] == "Acme Sales <meetings@acme.com>"
    assert data["to"] == ["delivered@resend.dev"]
    assert data["subject"] == "Confirmed: Diagnostic call"
    assert data["message_id"].startswith("<")
    assert sent.json["created_at"].endswith("Z")


async def test_bounced_and_complained_addresses_post_their_events(
    resend: httpx.AsyncClient, receiver: Receiver
) -> None:
    await _config(resend, webhook_secret="whsec_" + base64.b64encode(b"another key").decode())
    await resend.post("/emails", json=email(to="bounced@resend.dev"))
    await resend.post("/emails", json=email(to="complained+a@resend.dev"))
    received = await receiver.wait_for(5)
    for one in received:
        verify_svix(one, "whsec_" + base64.b64encode(b"another key").decode())
    types = [r.json["type"] for r in received]
    assert types == [
        "email.sent",
        "email.bounced",
        "email.sent",
        "email.delivered",
        "email.complained",
    ]
    bounce = received[1].json["data"]["bounce"]
    assert bounce["type"] == "Permanent"
    assert received[4].json["data"]["to"] == ["complained+a@resend.dev"]


async def test_an_event_on_demand_and_the_same_svix_id_again(
    resend: httpx.AsyncClient, receiver: Receiver
) -> None:
    email_id = (await resend.post("/emails", json=email())).json()["id"]
    await receiver.wait_for(2)
    made = await resend.post(f"/_emulator/webhooks/{email_id}", json={"type": "email.bounced"})
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "succeeded"
    again = await resend.post(
        f"/_emulator/webhooks/{email_id}", json={"type": "email.bounced", "resend": True}
    )
    assert again.status_code == 200
    first, second = (await receiver.wait_for(4))[2:]
    assert first.headers["svix-id"] == second.headers["svix-id"] == made.json()["svix_id"]
    assert first.body == second.body
    verify_svix(first)
    verify_svix(second)
    assert first.json["type"] == "email.bounced"
    assert (await resend.get(f"/emails/{email_id}")).json()["last_event"] == "bounced"

    stale = await resend.post(
        f"/_emulator/webhooks/{email_id}",
        json={"type": "email.complained", "timestamp_offset_seconds": -600},
    )
    assert stale.status_code == 201
    [old] = (await receiver.wait_for(5))[4:]
    verify_svix(old)  # well signed, but ten minutes old: a receiver must refuse it
    assert time.time() - int(old.headers["svix-timestamp"]) >= 599
    unknown = await resend.post(f"/_emulator/webhooks/{email_id}", json={"type": "email.nope"})
    assert unknown.status_code == 422


async def test_failed_deliveries_are_retried_with_the_same_svix_id(
    resend: httpx.AsyncClient, receiver: Receiver
) -> None:
    config = (await resend.get("/_emulator/config")).json()
    assert config["webhook_retry_delays_seconds"] == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert config["webhook_secret"] == "[redacted]"
    receiver.fail_next = 2
    await resend.post("/emails", json=email())
    first, _ = await receiver.wait_for(2)  # email.sent failed once, email.delivered failed
    assert first.json["type"] == "email.sent"
    # The documented schedule: the next try 5 s later, on the emulator's clock.
    await resend.post("/_emulator/clock", json={"advance_seconds": 5})
    received = await receiver.wait_for(4)
    by_id: dict[str, list[Received]] = {}
    for one in received:
        verify_svix(one)
        by_id.setdefault(one.headers["svix-id"], []).append(one)
    assert sorted(len(v) for v in by_id.values()) == [2, 2]
    await until(lambda: _deliveries_all(resend, "succeeded"))
    deliveries = (await _state(resend))["objects"]["webhooks"]
    assert [[a["status_code"] for a in d["attempts"]] for d in deliveries] == [[500, 204]] * 2


async def test_deliveries_give_up_after_the_last_retry(
    resend: httpx.AsyncClient, receiver: Receiver
) -> None:
    await _config(resend, webhook_retry_delays_seconds=[0, 0])
    receiver.fail_next = 100
    await resend.post("/emails", json=email(to="bounced@resend.dev"))
    await receiver.wait_for(6)  # two events, three attempts each
    await until(lambda: _deliveries_all(resend, "failed"))
    deliveries = (await _state(resend))["objects"]["webhooks"]
    assert [len(d["attempts"]) for d in deliveries] == [3, 3]


async def test_webhook_config_is_checked(resend: httpx.AsyncClient) -> None:
    bad = await resend.patch("/_emulator/config", json={"webhook_secret": "not-svix"})
    assert bad.status_code == 422
    email_id = (await resend.post("/emails", json=email())).json()["id"]
    unset = await resend.post(f"/_emulator/webhooks/{email_id}", json={"type": "email.bounced"})
    assert unset.status_code == 409
    assert (await _state(resend))["counts"]["webhooks"] == 0
