"""The SMTP sink over real SMTP (aiosmtplib as the client) with its HTTP control side: AUTH,
what it keeps of a message (envelope, headers, text, HTML, attachments, calendar parts), faults
on DATA, reset."""

from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
import icalendar
import pytest

from dealflow_emulators.smtp_sink import DEV_PASSWORD, DEV_USER, build_app, start_server
from dealflow_libs.testing.http import serve
from dealflow_libs.testing.servers import free_port

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Dealflow//Tests//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:mtg_1@dealflow.test\r\nSEQUENCE:2\r\nDTSTAMP:20251201T090000Z\r\n"
    "DTSTART:20251209T090000Z\r\nDTEND:20251209T093000Z\r\nSUMMARY:Diagnostic call\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture(scope="module")
async def sink() -> AsyncIterator[tuple[int, str]]:
    """(SMTP port, control URL) of one sink for the module."""
    app = build_app()
    port = free_port()
    server = await start_server(app, "127.0.0.1", port)
    try:
        async with serve(app) as url:
            yield port, url
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def control(sink: tuple[int, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sink[1]}/_emulator", timeout=10) as http:
        assert (await http.post("/reset")).status_code == 204
        yield http


@pytest.fixture
def port(sink: tuple[int, str], control: httpx.AsyncClient) -> int:
    return sink[0]


def booking_mail(**headers: str) -> EmailMessage:
    """What an SMTP transport sends for a booking: text and HTML alternatives, the invite both
    as a `text/calendar` alternative (RFC 6047) and as an .ics attachment."""
    message = EmailMessage()
    message["From"] = "Acme Sales <team@acme.com>"
    message["To"] = "Jane <jane@prospect.io>"
    message["Cc"] = "owner@acme.com"
    message["Subject"] = "Confirmed: Diagnostic call"
    message["Message-ID"] = "<mtg_1.v1@dealflow.test>"
    for name, value in headers.items():
        message[name] = value
    message.set_content("See you on Tuesday.")
    message.add_alternative("<p>See you on <b>Tuesday</b>.</p>", subtype="html")
    message.add_alternative(ICS, subtype="calendar", params={"method": "REQUEST"})
    message.add_attachment(ICS.encode(), maintype="text", subtype="calendar", filename="invite.ics")
    return message


async def _messages(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = (await control.get("/state")).json()["objects"]["messages"]
    return messages


async def test_keeps_every_part_of_an_authenticated_message(
    port: int, control: httpx.AsyncClient
) -> None:
    mail = booking_mail(**{"Resend-Idempotency-Key": "booking_created/mtg_1/v1"})
    await aiosmtplib.send(
        mail,
        hostname="127.0.0.1",
        port=port,
        username=DEV_USER,
        password=DEV_PASSWORD,
        recipients=["jane@prospect.io", "owner@acme.com", "hidden@acme.com"],
    )
    [kept] = await _messages(control)
    assert kept["envelope"] == {
        "mail_from": "team@acme.com",
        "rcpt_tos": ["jane@prospect.io", "owner@acme.com", "hidden@acme.com"],
    }
    assert kept["auth_user"] == DEV_USER
    assert kept["subject"] == "Confirmed: Diagnostic call"
    assert kept["from"] == "Acme Sales <team@acme.com>"
    assert kept["to"] == ["Jane <jane@prospect.io>"]
    assert kept["cc"] == ["owner@acme.com"]
    assert kept["message_id"] == "<mtg_1.v1@dealflow.test>"
    assert kept["idempotency_key"] == "booking_created/mtg_1/v1"
    assert ["Subject", "Confirmed: Diagnostic call"] in kept["headers"]
    assert kept["text"].strip() == "See you on Tuesday."
    assert kept["html"].strip() == "<p>See you on <b>Tuesday</b>.</p>"
    [attachment] = kept["attachments"]
    assert attachment["filename"] == "invite.ics"
    assert attachment["content_type"].startswith("text/calendar")
    assert attachment["size"] == len(ICS.encode())
    inline, attached = kept["calendars"]
    assert (inline["method"], inline["attached"]) == ("REQUEST", False)
    assert attached["attached"] is True
    for text in (attachment["text"], inline["text"]):
        event = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
        assert (str(event["UID"]), int(event["SEQUENCE"])) == ("mtg_1@dealflow.test", 2)
    assert "hidden@acme.com" not in kept["raw"]  # Bcc is the envelope's only


async def test_auth_plain_and_login_against_the_seeded_user(
    port: int, control: httpx.AsyncClient
) -> None:
    for login in ("auth_plain", "auth_login"):
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as smtp:
            assert {"plain", "login"} <= set(smtp.server_auth_methods)
            await getattr(smtp, login)(DEV_USER, DEV_PASSWORD)
            await smtp.send_message(booking_mail())
    assert len(await _messages(control)) == 2


async def test_a_wrong_password_or_no_auth_sends_nothing(
    port: int, control: httpx.AsyncClient
) -> None:
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
        await aiosmtplib.send(
            booking_mail(), hostname="127.0.0.1", port=port, username=DEV_USER, password="nope"
        )
    assert refused.value.code == 535
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as anonymous:
        await aiosmtplib.send(booking_mail(), hostname="127.0.0.1", port=port)
    assert anonymous.value.code == 530
    assert await _messages(control) == []

    patched = await control.patch("/config", json={"auth_required": False})
    assert patched.json()["users"] == "[redacted]"
    await aiosmtplib.send(booking_mail(), hostname="127.0.0.1", port=port)
    [kept] = await _messages(control)
    assert kept["auth_user"] is None


async def test_faults_on_data_answer_temporary_failures(
    port: int, control: httpx.AsyncClient
) -> None:
    faults = [
        {"kind": "server_error", "count": 1},
        {"kind": "server_error", "count": 1, "apply": True},
        {"kind": "rate_limit", "count": 1},
    ]
    for fault in faults:
        assert (await control.post("/faults", json=fault)).status_code == 201
    replies = []
    for _ in faults:
        with pytest.raises(aiosmtplib.SMTPDataError) as failed:
            await aiosmtplib.send(
                booking_mail(),
                hostname="127.0.0.1",
                port=port,
                username=DEV_USER,
                password=DEV_PASSWORD,
            )
        replies.append((failed.value.code, failed.value.message[:5]))
    assert replies == [(451, "4.3.0"), (451, "4.3.0"), (451, "4.7.1")]
    assert len(await _messages(control)) == 1  # only the applied one was kept
    await aiosmtplib.send(
        booking_mail(), hostname="127.0.0.1", port=port, username=DEV_USER, password=DEV_PASSWORD
    )
    assert len(await _messages(control)) == 2
    assert (await control.post("/reset")).status_code == 204
    assert await _messages(control) == []


async def test_a_timeout_fault_holds_the_answer_past_the_clients_patience(
    port: int, control: httpx.AsyncClient
) -> None:
    fault = {"kind": "timeout", "count": 1, "hold_seconds": 5, "apply": True}
    assert (await control.post("/faults", json=fault)).status_code == 201
    with pytest.raises(aiosmtplib.SMTPTimeoutError):
        await aiosmtplib.send(
            booking_mail(),
            hostname="127.0.0.1",
            port=port,
            username=DEV_USER,
            password=DEV_PASSWORD,
            timeout=0.5,
        )
    [kept] = await _messages(control)  # kept (apply), the client just never heard
    assert kept["subject"] == "Confirmed: Diagnostic call"
