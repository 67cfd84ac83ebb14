"""The push worker: runs each connection's pending pushes against its CRM, never blocking the
consumers (they only queue pushes, intake.py).

- One worker at a time runs a connection's pushes: it holds a lease on the connection row,
  renewed while it works, so the connection's rate limit, circuit breaker and token refresh
  have one home even with several instances; a lease that runs out passes to another worker,
  which first turns the pushes left running back to pending (with `recover` set).
- Per entity (meeting, deal), pushes run one at a time in the order their events arrived;
  entities run concurrently, up to `push_concurrency` per connection. Two pushes that could
  create the same CRM object (same contact, company or meeting) never run at once.
- An older state than the one already applied is skipped (`superseded`), so a parked push
  retried late never turns the CRM back.
"""

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from crm_push import metrics, recording
from crm_push.db.repository import ExternalId
from crm_push.domain.breaker import BreakerState, CircuitBreaker
from crm_push.domain.config import CrmConfig, NotionMapping
from crm_push.domain.model import VERSIONED, Connection, Push
from crm_push.domain.retry import RetryPolicy, parks_connection
from crm_push.providers.base import CrmAdapter, CrmUser, NotionTarget
from crm_push.providers.batching import DEFAULT_PUSH_CONCURRENCY
from crm_push.providers.transport import (
    CallRecord,
    FailureKind,
    ProviderError,
    recording_calls,
)
from crm_push.sync import (
    Key,
    Outcome,
    PushedEvent,
    event_of,
    keys_needed,
    lock_keys,
    sync_crm,
    sync_notion,
)
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs.errors import is_transient
from dealflow_libs.group_commit import GroupCommit
from dealflow_libs.ids import new_id
from dealflow_schemas.crm import ConnectionStatus, PushTarget

log = logging.getLogger(__name__)

#: How often a running connection's lease is renewed and its row re-read.
CONNECTION_CHECK_SECONDS = 2.0


@dataclass
class Clients:
    """A connection's provider clients, shared by its pushes (each push's calls are collected
    apart with `recording_calls`)."""

    crm: CrmAdapter | None = None
    notion: NotionTarget | None = None


class Link(Protocol):
    """A connection's live side while a worker runs it: credentials opened, rate limit, caches."""

    def clients(self) -> Clients: ...

    async def users(self) -> list[CrmUser]: ...

    async def notion_types(self) -> dict[str, str]: ...

    @property
    def crm_config(self) -> CrmConfig: ...

    @property
    def notion_mapping(self) -> NotionMapping: ...

    async def close(self) -> None: ...


#: Opens a Link for a connection (credentials, throttle, OAuth refresh); crm_push.connector.
Connector = Callable[[Connection], Awaitable[Link]]


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = DEFAULT_PUSH_CONCURRENCY
    poll_seconds: float = 1.0
    lease_seconds: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_threshold: int = 5
    breaker_cooldown: float = 5.0
    breaker_max_cooldown: float = 120.0


class KeyedLocks:
    """In-process locks by name, taken in sorted order (one worker runs a connection)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def holding(self, keys: Sequence[str]) -> AsyncIterator[None]:
        taken: list[str] = []
        try:
            for key in sorted(set(keys)):
                lock = self._locks.setdefault(key, asyncio.Lock())
                self._users[key] = self._users.get(key, 0) + 1
                taken.append(key)
                await lock.acquire()
            yield
        finally:
            for key in reversed(taken):
                lock = self._locks[key]
                if lock.locked():
                    lock.release()
                self._users[key] -= 1
                if not self._users[key]:
                    del self._users[key], self._locks[key]


@dataclass(frozen=True)
class Ready:
    """What a claimed push runs with: its event (read once), its lock keys, the state its
    entity has in the CRM (version, push) and the external ids it may use."""

    event: PushedEvent
    keys: list[str]
    applied: tuple[datetime, uuid.UUID] | None
    known: Mapping[Key, ExternalId]


async def _reads(
    uow: CrmPushUnitOfWork,
    tenant_id: str,
    target: PushTarget,
    pushes: Sequence[tuple[Push, list[Key]]],
) -> tuple[dict[uuid.UUID, tuple[datetime, uuid.UUID]], dict[Key, ExternalId]]:
    """The applied versions and external ids of these pushes (of one connection), each with
    the keys of the ids it may use."""
    applied = await uow.pushes.applied_versions(tenant_id, target, (p.entity_id for p, _ in pushes))
    provider = next((p.provider for p, _ in pushes if p.provider is not None), None)
    known = (
        await uow.pushes.external_ids(tenant_id, provider, (k for _, keys in pushes for k in keys))
        if provider is not None
        else {}
    )
    return applied, known


class ConnectionRunner:
    """Runs one leased connection's pushes until none is due or the lease is lost."""

    def __init__(
        self,
        tenant_id: str,
        target: PushTarget,
        uow: Callable[[], CrmPushUnitOfWork],
        connect: Connector,
        settings: WorkerSettings,
        owner: str,
        wake: asyncio.Event,
        results: GroupCommit[recording.Result],
    ) -> None:
        self.tenant_id, self.target = tenant_id, target
        self.uow, self.connect, self.settings, self.owner = uow, connect, settings, owner
        self.wake, self.results = wake, results
        self.breaker = CircuitBreaker(
            threshold=settings.breaker_threshold,
            cooldown=settings.breaker_cooldown,
            max_cooldown=settings.breaker_max_cooldown,
        )
        self.locks = KeyedLocks()
        self.rng = random.Random()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.connection_marked = False
        # Which lock keys' pushes wrote their results since a claim read the ids: counts the
        # results written; per key, the count when the last push holding it was written.
        self.written = 0
        self.written_at: dict[str, int] = {}
        self.claims: dict[uuid.UUID, int] = {}

    async def run(self) -> None:
        async with self.uow() as uow:
            connection = await uow.pushes.connection(self.tenant_id, self.target)
            await uow.pushes.reset_running(self.tenant_id, self.target)
            await uow.commit()
        if connection is None:
            return
        link = await self.connect(connection)
        checked = time.monotonic()
        # The lease is renewed, and the connection re-read (settings, credentials, status), this
        # often: a settings change or a reconnect applies within seconds to a busy runner.
        every = min(CONNECTION_CHECK_SECONDS, self.settings.lease_seconds / 3)
        try:
            while not self.connection_marked:
                if time.monotonic() - checked > every:
                    current = await self._renew()
                    if current is None or current.status != ConnectionStatus.CONNECTED:
                        return
                    if current.updated_at != connection.updated_at:
                        connection, link = current, await self.connect(current)
                    checked = time.monotonic()
                started = await self._start_due(link)
                if not started and not self.in_flight:
                    wait = await self._idle_wait()
                    if wait is None:
                        return
                    await self._sleep(wait)
                elif self.in_flight:
                    await asyncio.wait(
                        self.in_flight, timeout=0.5, return_when=asyncio.FIRST_COMPLETED
                    )
        finally:
            if self.in_flight:
                await asyncio.gather(*self.in_flight, return_exceptions=True)
            async with self.uow() as uow:
                await uow.pushes.release_lease(self.tenant_id, self.target, self.owner)
                await uow.commit()

    async def _renew(self) -> Connection | None:
        """Renews the lease; the connection as it is now, None when the lease was lost."""
        until = datetime.now(UTC) + timedelta(seconds=self.settings.lease_seconds)
        async with self.uow() as uow:
            held = await uow.pushes.renew_lease(self.tenant_id, self.target, self.owner, until)
            connection = await uow.pushes.connection(self.tenant_id, self.target)
            await uow.commit()
        return connection if held else None

    async def _idle_wait(self) -> float | None:
        """Seconds until the next push is due, None when nothing is pending."""
        async with self.uow() as uow:
            due = await uow.pushes.next_due_at(self.tenant_id, self.target)
        if due is None:
            return None
        return max(0.0, min(self.settings.poll_seconds, (due - datetime.now(UTC)).total_seconds()))

    async def _sleep(self, seconds: float) -> None:
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=max(seconds, 0.01))

    async def _start_due(self, link: Link) -> int:
        free = self.settings.concurrency - len(self.in_flight)
        now = time.monotonic()
        if free <= 0:
            return 0
        if not self.breaker.allows(now):
            await self._sleep(min(self.breaker.reopens_in(now), self.settings.poll_seconds))
            return 0
        if self.breaker.probing:
            free = 1  # half-open: one probe decides
        claimed = await self._claim(free)
        for push, ready in claimed:
            task = asyncio.create_task(self._execute(link, push, ready), name=f"push-{push.id}")
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        if not claimed and self.breaker.probing:
            self.breaker.released()
        return len(claimed)

    async def _claim(self, limit: int) -> list[tuple[Push, Ready | Exception]]:
        """Claims the due pushes and reads what they need (applied versions, external ids) in
        the same transaction; a push whose event does not read comes with the error."""
        seen = self.written  # results written after this may be missing from the reads below
        async with self.uow() as uow:
            claimed = await uow.pushes.claim_due(
                self.tenant_id, self.target, datetime.now(UTC), limit
            )
            readable: list[tuple[Push, PushedEvent, list[Key]]] = []
            errors: dict[uuid.UUID, Exception] = {}
            for push in claimed:
                try:
                    event = event_of(push)
                except (ValueError, TypeError) as exc:
                    errors[push.id] = exc
                else:
                    readable.append((push, event, keys_needed(event)))
            applied, known = await _reads(
                uow, self.tenant_id, self.target, [(p, keys) for p, _, keys in readable]
            )
            await uow.commit()
        self._forget_old_writes()
        ready: dict[uuid.UUID, Ready | Exception] = dict(errors)
        for push, event, needed in readable:
            self.claims[push.id] = seen
            ready[push.id] = Ready(
                event,
                lock_keys(event),
                applied.get(push.entity_id),
                {k: known[k] for k in needed if k in known},
            )
        return [(push, ready[push.id]) for push in claimed]

    def _forget_old_writes(self) -> None:
        """Keeps only the writes a push in flight may have missed."""
        oldest = min(self.claims.values(), default=self.written)
        self.written_at = {k: n for k, n in self.written_at.items() if n > oldest}

    def _missed_writes(self, push: Push, keys: Sequence[str]) -> bool:
        """Whether a push sharing a lock key with this one wrote its result after this one's
        claim read the ids (which may then lack an id that push learned)."""
        seen = self.claims.get(push.id, -1)
        return any(self.written_at.get(key, -1) > seen for key in keys)

    async def _execute(self, link: Link, push: Push, ready: Ready | Exception) -> None:
        try:
            if isinstance(ready, Exception):
                await self._write(recording.broken(push, ready))
                return
            async with self.locks.holding(ready.keys):
                if self._missed_writes(push, ready.keys):
                    ready = await self._read_again(push, ready)
                result = await self._attempt(link, push, ready)
                if result is not None:
                    await self._write(result)
                self.written += 1
                for key in ready.keys:
                    self.written_at[key] = self.written
        finally:
            self.claims.pop(push.id, None)

    async def _read_again(self, push: Push, ready: Ready) -> Ready:
        async with self.uow() as uow:
            applied, known = await _reads(
                uow, push.tenant_id, push.target, [(push, keys_needed(ready.event))]
            )
        return Ready(ready.event, ready.keys, applied.get(push.entity_id), known)

    async def _write(self, result: recording.Result) -> None:
        """Writes the result in the next group commit; one the database refuses parks the
        push with the reason rather than leaving it running."""
        try:
            await self.results.submit(result)
        except Exception as exc:
            if is_transient(exc):  # database trouble: let the runner stop, the lease moves on
                raise
            log.exception("the result of push %s could not be written", result.push.id)
            await self.results.submit(recording.unwritable(result.push, exc))

    async def _attempt(self, link: Link, push: Push, ready: Ready) -> recording.Result | None:
        """Runs the push; its result, None when it was written already (credentials refused)."""
        applied = ready.applied
        if push.operation in VERSIONED and applied is not None and applied[0] > push.version:
            return recording.superseded(push, f"push {applied[1]}")
        try:
            with recording_calls() as calls:
                outcome = await self._sync(link, push, ready)
        except ProviderError as error:
            self._breaker_after(error)
            _observe(push, calls)
            metrics.ATTEMPTS_FAILED.labels(_provider(push), error.kind.value).inc()
            if parks_connection(error):
                if await recording.credentials_refused(self.uow(), push, error, calls):
                    self.connection_marked = True
                return None
            return recording.failed(push, error, calls, self.settings.retry, self.rng)
        except Exception as exc:
            if is_transient(exc):  # database trouble: let the runner stop, the lease moves on
                raise
            log.exception("push %s could not run", push.id)
            return recording.broken(push, exc)
        self.breaker.succeeded()
        _observe(push, calls)
        return recording.succeeded(push, outcome, calls)

    async def _sync(self, link: Link, push: Push, ready: Ready) -> Outcome:
        clients = link.clients()
        if clients.crm is not None:
            users = await link.users()
            return await sync_crm(
                push, ready.event, link.crm_config, clients.crm, ready.known, users
            )
        if clients.notion is not None:
            types = await link.notion_types()
            return await sync_notion(push, ready.event, link.notion_mapping, clients.notion, types)
        raise ValueError(f"connection {push.tenant_id}/{push.target} has no client")

    def _breaker_after(self, error: ProviderError) -> None:
        now = time.monotonic()
        if error.kind == FailureKind.UNAVAILABLE:
            self.breaker.failed(now)
        elif error.kind == FailureKind.RATE_LIMITED:
            self.breaker.released()
        else:
            self.breaker.succeeded()  # the CRM answered: it is up
        is_open = self.breaker.state != BreakerState.CLOSED
        metrics.BREAKER_OPEN.labels(self.tenant_id, self.target.value).set(int(is_open))


def _provider(push: Push) -> str:
    return push.provider.value if push.provider else "none"


def _observe(push: Push, calls: Sequence[CallRecord]) -> None:
    for call in calls:
        status = f"{call.status // 100}xx" if call.status else "none"
        metrics.CALLS.labels(_provider(push), status).observe(call.duration_ms / 1000)


class PushWorker:
    """Leases connections with due pushes and runs a ConnectionRunner for each."""

    def __init__(
        self,
        uow: Callable[[], CrmPushUnitOfWork],
        connect: Connector,
        settings: WorkerSettings,
    ) -> None:
        self.uow, self.connect, self.settings = uow, connect, settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id().hex[:8]}"
        self.wake = asyncio.Event()
        self.runners: dict[tuple[str, PushTarget], asyncio.Task[None]] = {}
        self.runner_wakes: dict[tuple[str, PushTarget], asyncio.Event] = {}
        self.links: dict[tuple[str, PushTarget], tuple[datetime, Link]] = {}
        self.results = GroupCommit(self._write_results, name="crm-push-results")

    async def _write_results(self, results: list[recording.Result]) -> None:
        await recording.write_results(self.uow(), results)

    async def link(self, connection: Connection) -> Link:
        """The connection's link, kept across runs (its caches: CRM users, custom fields,
        Notion columns) until the connection changes (credentials, settings, status)."""
        key = (connection.tenant_id, connection.target)
        cached = self.links.get(key)
        if cached is not None and cached[0] == connection.updated_at:
            return cached[1]
        if cached is not None:
            await cached[1].close()
        link = await self.connect(connection)
        self.links[key] = (connection.updated_at, link)
        return link

    def nudge(self, connections: Iterable[tuple[str, PushTarget]] | None = None) -> None:
        """New pushes were queued in this process (for these connections; None: any): look now
        rather than at the next poll. A connection this worker runs already only needs its
        runner woken; leasing (a query) is for the others, so a busy consumer does not run
        the lease query once per batch it takes in."""
        if connections is None:
            self.wake.set()
            for event in self.runner_wakes.values():
                event.set()
            return
        for key in set(connections):
            runner = self.runners.get(key)
            if runner is None or runner.done():
                self.wake.set()
            else:
                self.runner_wakes[key].set()

    async def run(self) -> None:
        while True:
            try:
                await self.lease_and_start()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("push worker: database unavailable (%s); retrying", exc)
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.settings.poll_seconds)

    async def lease_and_start(self) -> None:
        lease = timedelta(seconds=self.settings.lease_seconds)
        async with self.uow() as uow:
            leased = await uow.pushes.lease_due_connections(self.owner, datetime.now(UTC), lease)
            await uow.commit()
        for tenant_id, target, _taken_over in leased:
            key = (tenant_id, target)
            if key in self.runners and not self.runners[key].done():
                continue
            wake = self.runner_wakes.setdefault(key, asyncio.Event())
            runner = ConnectionRunner(
                tenant_id,
                target,
                self.uow,
                self.link,
                self.settings,
                self.owner,
                wake,
                self.results,
            )
            task = asyncio.create_task(self._guarded(key, runner), name=f"crm-{tenant_id}-{target}")
            self.runners[key] = task

    async def _guarded(self, key: tuple[str, PushTarget], runner: ConnectionRunner) -> None:
        try:
            await runner.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("push runner %s/%s stopped", *key)
        finally:
            self.runner_wakes.pop(key, None)
            self.wake.set()  # pushes queued while it was stopping are leased again at once

    async def stop(self) -> None:
        for task in self.runners.values():
            task.cancel()
        await asyncio.gather(*self.runners.values(), return_exceptions=True)
