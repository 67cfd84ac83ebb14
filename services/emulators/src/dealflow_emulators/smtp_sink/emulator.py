"""The SMTP sink: an SMTP server (aiosmtpd: EHLO, MAIL, RCPT, DATA, QUIT, AUTH PLAIN/LOGIN
against a seeded user) that keeps every message, with the usual HTTP control side (state,
reset, faults, config) on a port of its own. Faults act on DATA: `rate_limit` and
`server_error` answer a temporary 451 (after keeping the message when `apply`), `timeout`
holds the answer."""

import asyncio
import contextlib
import logging
import secrets
import warnings
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from dealflow_emulators.common import (
    Collection,
    Emulator,
    EmulatorConfig,
    FaultKind,
    RateHit,
    Store,
    iso_ms,
)
from dealflow_emulators.smtp_sink.messages import describe

DEV_USER = "dealflow"
DEV_PASSWORD = "dealflow-dev-password"  # noqa: S105 - the sink's local fixture
#: What faults match on: `path_prefix` "/smtp" (or nothing) and `method` "DATA".
FAULT_PATH = "/smtp/data"
HOSTNAME = "dealflow-smtp-sink"

# aiosmtpd warns on every connection that AUTH goes without TLS (deliberate for a local sink)
# and that a successful AUTH fills its deprecated `login_data`: noise in a sink's log.
logging.getLogger("mail.log").setLevel(logging.ERROR)


class SmtpSinkConfig(EmulatorConfig):
    users: dict[str, str] = Field(
        default_factory=lambda: {DEV_USER: DEV_PASSWORD}, description="AUTH user -> password"
    )
    auth_required: bool = Field(
        default=True, description="refuse MAIL before AUTH (530), as a relay like Resend does"
    )
    max_message_bytes: int = Field(default=40 * 1024 * 1024, ge=1024)


class SmtpSink(Emulator[SmtpSinkConfig]):
    name = "smtp"
    token_prefix = "smtp"  # noqa: S105 - a prefix, not a secret
    secret_config_fields = ("users",)

    def build_store(self) -> Store:
        return Store([Collection("messages")])

    def routers(self) -> list[APIRouter]:
        return []  # only the control side speaks HTTP

    def rate_limited(self, path: str) -> bool:
        return False

    def rate_limit_response(self, hit: RateHit, path: str) -> Response:
        return JSONResponse({"message": "rate limited"}, status_code=429)

    # -- SMTP ------------------------------------------------------------------------------------

    def protocol(self) -> SMTP:
        """One SMTP session (one per connection); config changes apply to new connections."""
        config = self.config
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return SMTP(
                _Handler(self),
                hostname=HOSTNAME,
                data_size_limit=config.max_message_bytes,
                auth_required=config.auth_required,
                auth_require_tls=False,  # a local sink has no certificate: AUTH in the clear
                authenticator=self._authenticate,
            )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        expected = self.config.users.get(login)
        success = expected is not None and secrets.compare_digest(expected, password)
        return AuthResult(success=success, handled=False, auth_data=auth_data if success else None)

    async def receive(self, session: Session, envelope: Envelope) -> str:
        fault = self.faults.pick("DATA", FAULT_PATH)
        if fault is not None and fault.kind is FaultKind.RATE_LIMIT:
            return "451 4.7.1 Too many messages, slow down and try again later (injected)"
        if fault is None or fault.apply:
            self._keep(session, envelope)
        if fault is not None and fault.kind is FaultKind.TIMEOUT:
            hold = fault.hold_seconds
            with contextlib.suppress(TimeoutError):  # a reset lets held sessions go at once
                await asyncio.wait_for(
                    self.faults.released.wait(),
                    self.config.timeout_hold_seconds if hold is None else hold,
                )
            if not fault.apply:
                return "451 4.4.2 Timeout while processing the message (injected)"
        if fault is not None and fault.kind is FaultKind.SERVER_ERROR:
            return "451 4.3.0 Local error in processing (injected)"
        return "250 2.0.0 Message accepted for delivery"

    def _keep(self, session: Session, envelope: Envelope) -> None:
        messages = self.store["messages"]
        message_id = str(messages.new_id())
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        auth = session.auth_data
        messages.put(
            message_id,
            {
                "id": message_id,
                "received_at": iso_ms(self.clock.now()),
                "envelope": {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos)},
                "auth_user": auth.login.decode() if isinstance(auth, LoginPassword) else None,
                "peer": str(session.peer[0]) if session.peer else None,
                **describe(raw),
            },
        )


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    # aiosmtpd's hook name
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return await self.sink.receive(session, envelope)


async def start_server(sink: SmtpSink, host: str, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(sink.protocol, host=host, port=port)
