"""Reminders, delivery webhooks and suppression, the SMTP path, settings and templates."""

import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_string
from typing import Any

import httpx
from icalendar import Calendar

from dealflow_emulators import smtp_sink
from dealflow_emulators.resend import ResendConfig
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.servers import free_port
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_libs.testing.waiting import eventually
from dealflow_schemas.meetings import MeetingBooked, ReminderDue
from notifications.domain.senders import DEMO_SENDERS
from notifications.domain.svix import sign

from .conftest import Publish, ResendControl
from .test_sending import ORGANIZER, emails_to, notifications


def reminder(tenant_id: str, attendee: str, hours: int) -> ReminderDue:
    start = (datetime.now(UTC) + timedelta(hours=hours, minutes=30)).replace(microsecond=0)
    event = meeting_event(
        ReminderDue,
        tenant_id=tenant_id,
        email=attendee,
        organizer=ORGANIZER,
        start=start,
        created_at=datetime.now(UTC) - timedelta(days=5),
        extra={
            "reminder_id": uuid.uuid4(),
            "offset_minutes": hours * 60,
            "due_at": start - timedelta(hours=hours),
        },
    )
    assert isinstance(event, ReminderDue)
    return event


async def test_a_due_reminder_is_sent_once_without_an_invite(
    configured: httpx.AsyncClient,
    tenant: TenantCredentials,
    emulator: ResendControl,
    publish: Publish,
) -> None:
    attendee = f"remind-{uuid.uuid4().hex[:6]}@prospect.io"
    event = reminder(tenant.id, attendee, 24)
    await publish(event)
    await publish(event)  # a second ReminderDue for the same offset and start: the same send
    (email,) = await emails_to(emulator, attendee)
    assert email["attachments"] == []
    (sent,) = await eventually(lambda: _sent(configured, attendee))
    assert (sent["kind"], sent["offset_minutes"]) == ("reminder", 24 * 60)


async def _sent(api: httpx.AsyncClient, attendee: str) -> list[dict[str, Any]] | None:
    found = [n for n in await notifications(api, recipient=attendee) if n["status"] == "sent"]
    return found or None


async def test_a_bounce_suppresses_the_address_for_later_sends(
    configured: httpx.AsyncClient,
    notify_url: str,
    tenant: TenantCredentials,
    emulator: ResendControl,
    publish: Publish,
) -> None:
    attendee = f"bounce-{uuid.uuid4().hex[:6]}@prospect.io"
    await publish(
        meeting_event(MeetingBooked, tenant_id=tenant.id, email=attendee, organizer=ORGANIZER)
    )
    (email,) = await emails_to(emulator, attendee)
    key = ResendConfig().webhook_secret
    body = (
        '{"type": "email.bounced", "created_at": "2026-12-02T10:00:00Z", "data": {"email_id": "'
        + email["id"]
        + '", "to": ["'
        + attendee
        + '"], "bounce": {"type": "Permanent"}}}'
    ).encode()
    msg_id, stamp = f"msg_{uuid.uuid4().hex}", int(datetime.now(UTC).timestamp())
    headers = {
        "svix-id": msg_id,
        "svix-timestamp": str(stamp),
        "svix-signature": sign(key, msg_id=msg_id, timestamp=stamp, body=body),
        "content-type": "application/json",
    }
    url = f"{notify_url}/webhooks/resend/{tenant.id}"
    async with httpx.AsyncClient(timeout=10) as http:
        forged = await http.post(
            url, content=body, headers={**headers, "svix-signature": "v1,AAAA"}
        )
        assert forged.status_code == 400
        first = await http.post(url, content=body, headers=headers)
        assert first.status_code == 200, first.text
        assert "suppressed" in first.json()["applied"]
        again = await http.post(url, content=body, headers=headers)
        assert again.json()["applied"] == "duplicate"
    (bounced,) = [n for n in await notifications(configured, recipient=attendee)]
    assert bounced["delivery"] == "bounced"
    await publish(reminder(tenant.id, attendee, 24))

    async def skipped() -> list[dict[str, Any]] | None:
        found = [
            n
            for n in await notifications(configured, recipient=attendee, kind="reminder")
            if n["status"] == "skipped"
        ]
        return found or None

    (later,) = await eventually(skipped)
    assert later["reason"].startswith("suppressed")
    assert len([e for e in await emulator.emails() if attendee in e["to"]]) == 1


async def test_the_smtp_path_delivers_to_the_sink(
    api: httpx.AsyncClient, tenant: TenantCredentials, publish: Publish
) -> None:
    app = smtp_sink.build_app()
    host, port = "127.0.0.1", free_port()
    server = await smtp_sink.start_server(app, host, port)
    async with serve(app) as control_url:
        assert (
            await api.put("/v1/settings/senders", json=DEMO_SENDERS.model_dump(mode="json"))
        ).status_code == 200
        transport = {
            "kind": "smtp",
            "host": host,
            "port": port,
            "username": "dealflow",
            "password": "dealflow-dev-password",
            "start_tls": False,
        }
        saved = await api.put("/v1/settings/transport", json=transport)
        assert saved.status_code == 200, saved.text
        assert "dealflow-dev-password" not in saved.text
        attendee = f"smtp-{uuid.uuid4().hex[:6]}@prospect.io"
        await publish(
            meeting_event(MeetingBooked, tenant_id=tenant.id, email=attendee, organizer=ORGANIZER)
        )

        async def delivered() -> list[dict[str, Any]] | None:
            messages = (await _sink_state(control_url))["objects"]["messages"]
            mine = [m for m in messages if attendee in str(m["envelope"])]
            return mine or None

        (message,) = await eventually(delivered)
    server.close()
    raw = message_from_string(message["raw"])
    calendar_parts = [a for a in message["attachments"] if "calendar" in a["content_type"]]
    assert calendar_parts, message
    calendar = Calendar.from_ical(calendar_parts[0]["text"])
    assert str(calendar["METHOD"]) == "REQUEST"
    assert raw["From"] == "benjamin.crane@revenueengineer.com"
    assert raw["Reply-To"] == ORGANIZER["email"]


async def _sink_state(control_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(f"{control_url}/_emulator/state")
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found


async def test_settings_and_templates_are_validated_and_previewed(
    api: httpx.AsyncClient, tenant: TenantCredentials
) -> None:
    two_defaults = {
        "routes": [
            {"domain": "acme.com", "from_address": "a@acme.com"},
            {"domain": "acme.com", "from_address": "b@acme.com"},
        ],
        "default": {"from_address": "team@acme.com"},
    }
    refused = await api.put("/v1/settings/senders", json=two_defaults)
    assert refused.status_code == 422
    assert "acme.com" in refused.text
    unknown = await api.put("/v1/templates/confirmation", json={"subject": "Hi {nope}"})
    assert unknown.status_code == 422
    assert "nope" in unknown.text
    saved = await api.put(
        "/v1/templates/confirmation", json={"subject": "See you {date}, {attendee_first_name}!"}
    )
    assert saved.status_code == 200, saved.text
    preview = await api.post("/v1/templates/confirmation/preview")
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["subject"].startswith("See you ")
    assert shown["ics"].startswith("BEGIN:VCALENDAR")
    reminder_preview = await api.post(
        "/v1/templates/reminder/preview", json={"offset_minutes": 120}
    )
    assert reminder_preview.status_code == 200
    assert reminder_preview.json()["ics"] is None


async def test_a_spent_daily_quota_waits_for_midnight_utc_without_burning_attempts(
    configured: httpx.AsyncClient,
    tenant: TenantCredentials,
    emulator: ResendControl,
    publish: Publish,
) -> None:
    await emulator.call("PATCH", "/config", {"daily_quota": 1})
    first = f"quota1-{uuid.uuid4().hex[:6]}@prospect.io"
    second = f"quota2-{uuid.uuid4().hex[:6]}@prospect.io"
    await publish(
        meeting_event(MeetingBooked, tenant_id=tenant.id, email=first, organizer=ORGANIZER)
    )
    await emails_to(emulator, first)
    await publish(
        meeting_event(MeetingBooked, tenant_id=tenant.id, email=second, organizer=ORGANIZER)
    )

    async def waiting() -> list[dict[str, Any]] | None:
        found = [
            n
            for n in await notifications(configured, recipient=second)
            if n["reason"] and "quota" in n["reason"]
        ]
        return found or None

    (held,) = await eventually(waiting)
    assert (held["status"], held["attempts"]) == ("pending", 0)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert f"until {tomorrow} 00:00 UTC" in held["reason"]
    assert held["error_code"] == "daily_quota_exceeded"
