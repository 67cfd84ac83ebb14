"""Loads a demo plan into a tenant through the public doors only: signed provider webhooks into
ingest, touches into attribution, and the commands a team uses on meetings and deals.

Every step first looks at what is there, so loading the same plan again changes nothing: the
webhooks and touches come back as duplicates, and a command is sent only while the meeting or
deal is not yet where the plan wants it.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx
import orjson

from dealflow_schemas.attribution import MAX_TOUCHES_PER_BATCH
from dealflow_schemas.deals import DealStage, DealStatus
from ingest.demo.plan import DemoPlan, MeetingState, PlannedCompany, PlannedMeeting
from ingest.domain.signatures import signed_headers
from ingest.samples.builders import calcom, calendly

T = TypeVar("T")
S = MeetingState

#: Who the commands are recorded as (the sample organizer).
REP = "alex.organizer@example.com"
_STAGES = list(DealStage)
_TOUCH_BATCH = min(500, MAX_TOUCHES_PER_BATCH)


@dataclass(frozen=True)
class Target:
    """The tenant and where its services answer."""

    tenant: str
    api_key: str
    calcom_secret: str
    calendly_secret: str
    urls: dict[str, str]  # ingest, meetings, deals, attribution


@dataclass
class LoadReport:
    """What was sent and what the services made of it."""

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class LoadFailed(Exception):
    pass


def deliveries(meeting: PlannedMeeting, now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """The provider's webhooks for the meeting, in the order the provider sends them."""
    m, person = meeting, meeting.attendee
    changed = m.booked_at + (min(m.start, now) - m.booked_at) / 2
    ended = m.ended_by_webhook and m.state in (S.ATTENDED, S.GOOD, S.BAD)
    if m.provider == "calendly":
        hook = partial(
            calendly, email=person.email, name=person.name, title=m.title, company=m.company
        )
        sent = [hook("invitee.created", uri=m.uid, start=m.start, created_at=m.booked_at)]
        later = partial(hook, created_at=changed)
        if m.state is S.RESCHEDULED and m.moved_uid and m.moved_to:
            # Calendly moves a booking as a cancel of the old invitee and a new one.
            sent += [
                later("invitee.canceled", uri=m.uid, new_invitee=m.moved_uid, start=m.start),
                later("invitee.created", uri=m.moved_uid, old_invitee=m.uid, start=m.moved_to),
            ]
        elif m.state is S.CANCELLED:
            sent.append(later("invitee.canceled", uri=m.uid, start=m.start))
        return [("calendly", body) for body in sent]
    book = partial(calcom, email=person.email, name=person.name, title=m.title, company=m.company)
    sent = [book("BOOKING_CREATED", uid=m.uid, start=m.start, created_at=m.booked_at)]
    later = partial(book, created_at=changed)
    if m.state is S.RESCHEDULED and m.moved_uid and m.moved_to:
        sent.append(
            later("BOOKING_RESCHEDULED", uid=m.moved_uid, previous_uid=m.uid, start=m.moved_to)
        )
    elif m.state is S.CANCELLED:
        reason = "We need to postpone the evaluation."
        sent.append(later("BOOKING_CANCELLED", uid=m.uid, start=m.start, reason=reason))
    elif ended:
        finished = m.start + timedelta(minutes=30)
        sent.append(book("MEETING_ENDED", uid=m.uid, start=m.start, created_at=finished))
    return [("calcom", body) for body in sent]


def stage_after_meetings(company: PlannedCompany) -> DealStage:
    """The stage the meetings alone take the deal to: a good outcome qualifies it, attendance
    (by hand or Cal.com's MEETING_ENDED) makes it met."""
    meetings = company.meetings
    if any(m.state is S.GOOD for m in meetings):
        return DealStage.QUALIFICATION
    if any(m.state is S.ATTENDED or (m.state is S.BAD and m.ended_by_webhook) for m in meetings):
        return DealStage.MET
    return DealStage.BOOKED


class DemoLoader:
    def __init__(
        self,
        http: httpx.AsyncClient,
        target: Target,
        *,
        concurrency: int,
        wait_seconds: float,
    ) -> None:
        self.http, self.target = http, target
        self.slots = asyncio.Semaphore(concurrency)
        self.wait_seconds = wait_seconds
        self.report = LoadReport()
        self.auth = {"Authorization": f"Bearer {target.api_key}"}
        self.deal_at_booking = True

    async def load(self, plan: DemoPlan, done: Callable[[], None] = lambda: None) -> LoadReport:
        """Touches first (so each booking's journey finds them), then every company's bookings,
        then the commands: by then most meetings and deals are there, and the services took
        the bookings in batches. `done` is called once per step of the progress: touches, then
        each company twice."""
        settings = await self.call("GET", "deals", "/v1/settings")
        # Policy on_good_outcome: a company gets a deal only from a good outcome.
        self.deal_at_booking = settings["policy"] == "on_booking"
        await self.touches(plan, done)
        booked = await self.each(plan.companies, partial(self.bookings, now=plan.now), done)
        await self.each(booked, self.commands, done)
        return self.report

    async def each(
        self,
        companies: Sequence[PlannedCompany],
        step: Callable[[PlannedCompany], Awaitable[None]],
        done: Callable[[], None],
    ) -> list[PlannedCompany]:
        """Runs `step` for every company, `concurrency` at a time; answers those it succeeded
        for (a failure is reported and that company left alone from then on)."""

        async def one(company: PlannedCompany) -> PlannedCompany | None:
            async with self.slots:
                try:
                    await step(company)
                except (LoadFailed, TimeoutError) as error:
                    self.report.failures.append(f"{company.domain}: {error}")
                    return None
                finally:
                    done()
            return company

        return [c for c in await asyncio.gather(*(one(c) for c in companies)) if c]

    # -- touches -------------------------------------------------------------------------------

    async def touches(self, plan: DemoPlan, done: Callable[[], None]) -> None:
        touches = plan.touches
        for start in range(0, len(touches), _TOUCH_BATCH):
            batch = [t.body() for t in touches[start : start + _TOUCH_BATCH]]
            answer = await self.call("POST", "attribution", "/v1/touches", {"touches": batch})
            if answer["errors"]:
                wrong = [r for r in answer["results"] if r["status"] == "error"]
                raise LoadFailed(f"attribution refused touches: {wrong[:3]}")
            self.report.counts["touches created"] += answer["created"]
            self.report.counts["touches already there"] += answer["duplicates"]
        done()

    # -- one company ----------------------------------------------------------------------

    async def bookings(self, company: PlannedCompany, now: datetime) -> None:
        for meeting in company.meetings:
            for provider, body in deliveries(meeting, now):
                await self.webhook(provider, body)

    async def commands(self, company: PlannedCompany) -> None:
        for meeting in company.meetings:
            await self.meeting_commands(meeting, first_good=meeting is _first_good(company))
        qualified = stage_after_meetings(company) is DealStage.QUALIFICATION
        if company.deal.handled and (self.deal_at_booking or qualified):
            await self.deal_commands(company)

    async def webhook(self, provider: str, body: dict[str, Any]) -> None:
        raw = orjson.dumps(body)
        secret = self.target.calcom_secret if provider == "calcom" else self.target.calendly_secret
        path = f"/webhooks/{provider}/{self.target.tenant}"
        headers = signed_headers(provider, raw, secret, timestamp=int(time.time()))
        response = await self.request("POST", "ingest", path, content=raw, headers=headers)
        verdict = response.json().get("status", response.status_code)
        self.report.counts[f"webhooks {verdict}"] += 1

    async def meeting_commands(self, meeting: PlannedMeeting, *, first_good: bool) -> None:
        if meeting.state in (S.UPCOMING, S.RESCHEDULED, S.CANCELLED):
            return  # the provider's webhooks say it all
        if meeting.state is S.ATTENDED and meeting.ended_by_webhook:
            return
        found = await self.meeting(meeting)
        path = f"/v1/meetings/{found['meeting_id']}"
        if meeting.state is S.CONFIRMED:
            if not found["confirmed"]:
                await self.command("meetings", f"{path}/confirm", {})
        elif meeting.state in (S.ATTENDED, S.NO_SHOW):
            if found["showed_up"] is None:
                showed_up = meeting.state is S.ATTENDED
                body = {"showed_up": showed_up, "confirmed_by": REP}
                if not showed_up:
                    body["no_show_reason"] = meeting.notes
                await self.command("meetings", f"{path}/attendance", body)
        elif found["meeting_outcome"] == "pending":
            good = meeting.state is S.GOOD
            body = {
                "outcome": "good" if good else "bad",
                "notes": meeting.notes,
                "next_steps": "Send the proposal and book a demo for the team." if good else None,
                # A tenant on the on_good_outcome policy gets its deal from the first good one.
                "create_deal": good and first_good,
            }
            await self.command("meetings", f"{path}/outcome", body)

    async def meeting(self, meeting: PlannedMeeting) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            found = await self.call(
                "GET", "meetings", "/v1/meetings", params={"attendee_email": meeting.attendee.email}
            )
            return next((m for m in found["items"] if m["provider_uid"] == meeting.final_uid), None)

        return await self.until(probe, f"meeting {meeting.final_uid}")

    async def deal_commands(self, company: PlannedCompany) -> None:
        plan = company.deal
        wanted = _STAGES.index(stage_after_meetings(company))

        async def probe() -> dict[str, Any] | None:
            found = await self.call(
                "GET", "deals", "/v1/deals", params={"company_domain": company.domain}
            )
            items = [d for d in found["items"] if d["status"] != DealStatus.CANCELLED]
            ready = [
                d
                for d in items
                if d["status"] != DealStatus.ACTIVE or _STAGES.index(d["stage"]) >= wanted
            ]
            return ready[0] if ready else None

        deal = await self.until(probe, f"the deal of {company.domain}")
        path = f"/v1/deals/{deal['deal_id']}"
        if plan.reopened:
            history = await self.call("GET", "deals", f"{path}/history")
            if any(entry["kind"] == "reopened" for entry in history):
                return
        if deal["status"] == DealStatus.ACTIVE:
            if plan.value is not None and deal["value"] is None:
                await self.command("deals", path, {"value": str(plan.value)}, method="PATCH")
            stage = _STAGES.index(deal["stage"])
            for move in plan.moves:
                if _STAGES.index(move) > stage:
                    await self.command("deals", f"{path}/stage", {"stage": move, "changed_by": REP})
                    stage = _STAGES.index(move)
            if plan.status is DealStatus.WON:
                await self.command("deals", f"{path}/won", {"changed_by": REP})
            elif plan.lost_reason is not None:
                body = {"reason": plan.lost_reason, "notes": plan.lost_notes, "changed_by": REP}
                deal = await self.command("deals", f"{path}/lost", body)
        if plan.reopened and deal["status"] == DealStatus.LOST:
            body = {"stage": plan.stage, "reason": "Budget freed up early", "changed_by": REP}
            await self.command("deals", f"{path}/reopen", body)

    # -- HTTP ----------------------------------------------------------------------------

    async def command(
        self, service: str, path: str, body: dict[str, Any], *, method: str = "POST"
    ) -> dict[str, Any]:
        answer = await self.call(method, service, path, body)
        self.report.counts[f"{service} commands"] += 1
        return answer

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
    ) -> Any:
        response = await self.request(
            method, service, path, json=body, params=params, headers=self.auth
        )
        return response.json()

    async def request(self, method: str, service: str, path: str, **sent: Any) -> httpx.Response:
        """The service's answer; LoadFailed when it cannot be reached or refuses."""
        url = f"{self.target.urls[service]}{path}"
        try:
            response = await self.http.request(method, url, **sent)
        except httpx.HTTPError as error:
            raise LoadFailed(f"{method} {url}: {error!r}") from error
        if response.status_code >= 300:
            raise LoadFailed(f"{method} {url}: {response.status_code} {response.text}")
        return response

    async def until(self, probe: Callable[[], Awaitable[T | None]], what: str) -> T:
        """What `probe` finds once the services have caught up with what was sent."""
        deadline = time.monotonic() + self.wait_seconds
        while (found := await probe()) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not appear within {self.wait_seconds:.0f} s")
            await asyncio.sleep(0.3)
        return found


def _first_good(company: PlannedCompany) -> PlannedMeeting | None:
    return next((m for m in company.meetings if m.state is S.GOOD), None)


def summary(report: LoadReport) -> Sequence[str]:
    return [f"{name}: {count}" for name, count in sorted(report.counts.items())]
