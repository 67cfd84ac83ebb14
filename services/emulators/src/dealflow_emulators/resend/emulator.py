"""The Resend emulator (notify_notion.md §1): Bearer API keys (`re_dev_api_key`), a required
User-Agent, errors as `{statusCode, name, message}`, `ratelimit-*` headers at 10 requests/s per
team, 24 h idempotency keys, daily and monthly quotas, the resend.dev test addresses, scheduled
sends, and Svix-signed delivery webhooks."""

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dealflow_emulators.common import Collection, Emulator, RateHit, Record, Store, Verdict
from dealflow_emulators.resend.config import ResendConfig
from dealflow_emulators.resend.emails import (
    BOUNCE,
    SUPPRESSED,
    TEST_DOMAIN,
    Outcome,
    new_email,
    outcome_of,
    recipients,
)
from dealflow_emulators.resend.errors import (
    ResendError,
    UserAgentMissing,
    error_response,
    validation,
)
from dealflow_emulators.resend.idempotency import Answer, IdempotencyBook, fingerprint
from dealflow_emulators.resend.payload import address_of, read_email
from dealflow_emulators.resend.quota import QuotaBook
from dealflow_emulators.resend.routes import api_router, control_router
from dealflow_emulators.resend.webhooks import WebhookDispatcher, event_data, parse_iso

MAX_BATCH = 100
SCHEDULE_POLL_SECONDS = 0.1
SERVER_ERRORS = {503: ("service_unavailable", "API is temporarily unavailable")}
#: Extra `data` an event carries by default (a manual event may give its own).
EVENT_EXTRAS: dict[str, dict[str, Any]] = {
    "email.bounced": {"bounce": BOUNCE},
    "email.suppressed": {"suppressed": SUPPRESSED},
    "email.failed": {"failed": {"reason": "reached_daily_quota"}},
}


class ResendEmulator(Emulator[ResendConfig]):
    name = "resend"
    token_prefix = "re"  # noqa: S105 - a prefix, not a secret
    secret_config_fields = ("webhook_secret",)

    def __init__(self, config: ResendConfig) -> None:
        super().__init__(config)
        self.idempotency = IdempotencyBook(self.clock, lambda: self.config.idempotency_ttl_seconds)
        self.quota = QuotaBook(self.clock)
        self.webhooks = WebhookDispatcher(self.store["webhooks"], self.clock, lambda: self.config)
        self._schedules: set[asyncio.Task[None]] = set()

    def build_store(self) -> Store:
        return Store([Collection("emails"), Collection("webhooks")])

    def routers(self) -> list[APIRouter]:
        return [api_router(self), control_router(self)]

    # -- auth ------------------------------------------------------------------------------------

    def credential_of(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    def authorize(self, request: Request) -> None:
        if not request.headers.get("user-agent", "").strip():
            raise UserAgentMissing()
        if not request.headers.get("authorization", "").strip():
            raise ResendError(
                401, "missing_api_key", "Missing API key in the authorization header."
            )
        key = self.credential_of(request.headers, request.query_params)
        if key is None or self.credentials.check(key).verdict is not Verdict.VALID:
            # Resend answers an unknown or revoked key this way (the older `invalid_api_key`
            # name is no longer returned).
            raise validation("API key is invalid")

    # -- sending ---------------------------------------------------------------------------------

    async def accept(self, request: Request, endpoint: str, body: Any) -> Response:
        """A send, with its Idempotency-Key: a replay answers what the first request got."""
        key = request.headers.get("idempotency-key")
        scope = f"POST {endpoint}"
        if key is not None:
            IdempotencyBook.check_key(key)
            replay = self.idempotency.begin(scope, key, fingerprint(body))
            if replay is not None:
                return JSONResponse(replay.body, replay.status, self.quota.headers(self.config))
        try:
            if self.config.send_delay_ms:
                await asyncio.sleep(self.config.send_delay_ms / 1000)
            answer = self.send(endpoint, body, key)
        except BaseException:
            if key is not None:
                self.idempotency.abandon(scope, key)
            raise
        if key is not None:
            self.idempotency.finish(scope, key, Answer(200, answer))
        return JSONResponse(answer, headers=self.quota.headers(self.config))

    def send(self, endpoint: str, body: Any, idempotency_key: str | None) -> dict[str, Any]:
        now = self.clock.now()
        batch = endpoint.endswith("/batch")
        if batch:
            if not isinstance(body, list) or not 1 <= len(body) <= MAX_BATCH:
                raise validation(f"The request body must be an array of 1 to {MAX_BATCH} emails.")
            fields = []
            for index, item in enumerate(body):
                try:
                    fields.append(read_email(item, now, in_batch=True))
                except ResendError as exc:  # all or nothing: say which email
                    exc.message = f"emails[{index}]: {exc.message}"
                    raise
        else:
            fields = [read_email(body, now)]
        for one in fields:
            self._check_sender(one)
        self.quota.take(len(fields), self.config)
        emails = [
            self.store["emails"].put(email["id"], email)
            for email in (
                new_email(one, now=now, endpoint=endpoint, idempotency_key=idempotency_key)
                for one in fields
            )
        ]
        for email in emails:
            self._dispatch(email)
        if batch:
            return {"data": [{"id": email["id"]} for email in emails]}
        return {"id": emails[0]["id"]}

    def _check_sender(self, fields: dict[str, Any]) -> None:
        """The resend.dev sender reaches only test addresses and the account's own; any other
        sender needs a verified domain (both 403 `validation_error`, api-reference/errors)."""
        domain = (address_of(fields["from"]) or "").lower().rpartition("@")[2]
        if domain == TEST_DOMAIN:
            own = self.config.account_email.lower()
            for recipient in recipients(fields):
                address = (address_of(recipient) or "").lower()
                if address != own and not address.endswith("@" + TEST_DOMAIN):
                    raise validation(
                        f"You can only send testing emails to your own email address ({own}). "
                        "To send emails to other recipients, please verify a domain at "
                        "resend.com/domains, and change the `from` address to an email using "
                        "this domain.",
                        403,
                    )
        elif (
            self.config.verified_domains is not None and domain not in self.config.verified_domains
        ):
            raise validation(
                f"The {domain} domain is not verified. Please, add and verify your domain.", 403
            )

    def _dispatch(self, email: Record) -> None:
        due = email["scheduled_at"]
        if due is not None and parse_iso(due) > self.clock.now():
            self.record_event(email, "email.scheduled")
            task = asyncio.get_running_loop().create_task(self._release_when_due(email["id"]))
            self._schedules.add(task)
            task.add_done_callback(self._schedules.discard)
        else:
            self._release(email)

    async def _release_when_due(self, email_id: str) -> None:
        """Watches a scheduled email on the emulator's clock (a reschedule or a clock move is
        seen at the next look); a cancelled one is dropped."""
        while True:
            email = self.store["emails"].get(email_id)
            if email is None or email["last_event"] != "scheduled":
                return
            if parse_iso(email["scheduled_at"]) <= self.clock.now():
                self._release(email)
                return
            await asyncio.sleep(SCHEDULE_POLL_SECONDS)

    def _release(self, email: Record) -> None:
        """Sent, then what each recipient's address makes of it."""
        self.record_event(email, "email.sent")
        by_outcome: dict[Outcome, list[str]] = {}
        for recipient in recipients(email):
            by_outcome.setdefault(outcome_of(recipient), []).append(recipient)
        delivered = by_outcome.get(Outcome.DELIVERED, []) + by_outcome.get(Outcome.COMPLAINED, [])
        if delivered:
            self.record_event(email, "email.delivered", delivered)
        for outcome, event in (
            (Outcome.BOUNCED, "email.bounced"),
            (Outcome.COMPLAINED, "email.complained"),
            (Outcome.SUPPRESSED, "email.suppressed"),
        ):
            if outcome in by_outcome:
                self.record_event(email, event, by_outcome[outcome])

    def record_event(
        self,
        email: Record,
        event_type: str,
        to: list[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Record | None:
        """The email's history and `last_event`, and a webhook delivery when one is set up."""
        data = self._note(email, event_type, to, extra)
        return self.webhooks.queue(event_type, email, data)

    async def event_now(
        self, email: Record, event_type: str, extra: dict[str, Any] | None, timestamp_offset: int
    ) -> Record:
        """An event on demand, delivered at once (the worker retries it if that fails)."""
        data = self._note(email, event_type, None, extra)
        delivery = self.webhooks.create(event_type, email, data)
        if delivery is None:
            raise LookupError("no webhook_url")
        await self.webhooks.attempt(delivery, timestamp_offset=timestamp_offset)
        if delivery["status"] == "pending":
            self.webhooks.wake()
        return delivery

    def _note(
        self,
        email: Record,
        event_type: str,
        to: list[str] | None,
        extra: dict[str, Any] | None,
    ) -> dict[str, Any]:
        impacted = list(email["to"] if to is None else to)
        email["events"].append(
            {"type": event_type, "at": self.clock.now().isoformat(), "to": impacted}
        )
        email["last_event"] = event_type.removeprefix("email.")
        return event_data(email, impacted, EVENT_EXTRAS.get(event_type, {}) | (extra or {}))

    def cancel_scheduled(self, email: Record) -> None:
        if email["last_event"] != "scheduled":
            raise validation("Only scheduled emails can be canceled.")
        email["events"].append({"type": "email.canceled", "at": self.clock.now().isoformat()})
        email["last_event"] = "canceled"

    # -- provider hooks --------------------------------------------------------------------------

    def rate_limited(self, path: str) -> bool:
        return True  # every API path (control paths never reach the limiter)

    def rate_limit_key(self, credential: str | None, method: str, path: str) -> str:
        return "team"  # "applies across all API keys associated with your team"

    def rate_limit_headers(self, hit: RateHit) -> dict[str, str]:
        return {
            "ratelimit-limit": str(hit.limit),
            "ratelimit-remaining": str(max(0, hit.remaining)),
            "ratelimit-reset": str(hit.retry_after_seconds),
        }

    def rate_limit_response(self, hit: RateHit, path: str) -> Response:
        return error_response(
            429,
            "rate_limit_exceeded",
            "Too many requests. Please limit the number of requests per second. Or contact "
            "support to increase rate limit.",
            {**self.rate_limit_headers(hit), "retry-after": str(hit.retry_after_seconds)},
        )

    def server_error_response(self, status: int) -> Response:
        name, message = SERVER_ERRORS.get(
            status, ("application_error", "An unexpected error occurred.")
        )
        return error_response(status, name, message)

    def timeout_response(self) -> Response:
        return error_response(504, "application_error", "The request timed out (injected).")

    def configure_app(self, app: FastAPI) -> None:
        async def resend_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, ResendError)
            return exc.response()

        async def http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, StarletteHTTPException)
            if request.url.path.startswith("/_emulator"):
                return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
            if exc.status_code == 405:
                return error_response(
                    405, "method_not_allowed", "Method is not allowed for the requested path."
                )
            return error_response(404, "not_found", "The requested endpoint does not exist.")

        async def invalid(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, RequestValidationError)
            if request.url.path.startswith("/_emulator"):
                return JSONResponse({"detail": exc.errors()}, status_code=422)
            return error_response(422, "validation_error", "The request is not valid.")

        app.add_exception_handler(ResendError, resend_error)
        app.add_exception_handler(StarletteHTTPException, http_error)
        app.add_exception_handler(RequestValidationError, invalid)

    def extra_state(self) -> dict[str, Any]:
        return {
            "idempotency_keys": self.idempotency.describe(),
            "quota": self.quota.describe(),
            "webhook_url": self.config.webhook_url,
        }

    def reset(self) -> None:
        for task in list(self._schedules):
            task.cancel()
        self._schedules.clear()
        self.webhooks.cancel()
        super().reset()
        self.idempotency.clear()
        self.quota.clear()
