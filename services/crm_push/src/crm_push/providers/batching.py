"""Concurrent pushes' calls of one kind, sent to the provider as one batch request.

A provider that takes many records per call (HubSpot's batch endpoints take 100) serves a busy
connection with one request where each push would make its own, which spares the connection's
rate limit and most of the HTTP work on both sides. The first call of a kind opens a batch; it
is sent when full or after a short window, within which the other pushes in flight make the
same call; each caller then gets its own share of the answer.

- The push log stays per push: each caller's log gets the batch call with its own input and its
  own answer (same method, path, status and timing for all).
- A batch the provider refuses as a whole (a 4xx other than 401/403/429) is sent again one input
  at a time (together; the connection's throttle paces them), so one bad input never fails the
  others.
- A 429 is sent again in place after the wait it names (twice at most); other failures of the
  whole call (5xx, timeout, credentials) reach every caller, who retries (or parks) as it would
  after its own call.
"""

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_push.providers.transport import (
    CallRecord,
    FailureKind,
    ProviderError,
    caller_call_log,
    loggable,
    recording_calls,
)

#: Inputs per batch request (HubSpot's limit for object and association batches).
MAX_BATCH = 100
#: Pushes in flight per connection by default: enough for full batches.
DEFAULT_PUSH_CONCURRENCY = MAX_BATCH
#: How long a batch waits for more callers after its first, in seconds.
BATCH_WINDOW_SECONDS = 0.005
#: A batch answered 429 is sent again up to this many times when the wait is at most
#: MAX_RESEND_WAIT_SECONDS; after that its pushes retry on their own schedule.
RATE_LIMITED_RESENDS = 2
MAX_RESEND_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class BatchInput:
    """One caller's input: `key` names it within a batch (two inputs of one key never share a
    batch, so an answer correlated by key is never ambiguous); `body` is what is sent."""

    key: str
    body: Any
    logged: Any = None
    """What the caller's push log shows as its request (default: `{"inputs": [body]}`)."""


@dataclass(frozen=True)
class Share:
    """A caller's part of a batch answer: its result, or why its input failed."""

    result: Any = None
    error: ProviderError | None = None
    logged: Any = None
    """What the caller's push log shows as its answer."""
    crm_id: str | None = None


#: Sends one batch; answers one Share per input, in the inputs' order.
Send = Callable[[Sequence[BatchInput]], Awaitable[list[Share]]]


@dataclass
class _Waiting:
    input: BatchInput
    future: "asyncio.Future[Share]"
    log: list[CallRecord]


@dataclass
class Batcher:
    """Gathers one kind of call from concurrent callers into batch requests."""

    send: Send
    unlogged: list[CallRecord]
    """Where the records of a caller outside any `recording_calls` block go (ProviderHttp.calls)."""
    max_size: int = MAX_BATCH
    window: float = BATCH_WINDOW_SECONDS
    _pending: list[_Waiting] = field(default_factory=list)
    _timer: asyncio.TimerHandle | None = None
    _sending: set["asyncio.Task[None]"] = field(default_factory=set)

    async def call(self, item: BatchInput) -> Any:
        """The caller's result; raises its ProviderError."""
        loop = asyncio.get_running_loop()
        if any(w.input.key == item.key for w in self._pending):
            self._flush()  # a second input of one key goes in the next batch
        log = caller_call_log()
        waiting = _Waiting(item, loop.create_future(), self.unlogged if log is None else log)
        self._pending.append(waiting)
        if len(self._pending) >= self.max_size:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.window, self._flush)
        try:
            share = await waiting.future
        except asyncio.CancelledError:
            self._withdraw(waiting)
            raise
        if share.error is not None:
            raise _copy(share.error)
        return share.result

    def _withdraw(self, waiting: _Waiting) -> None:
        """A caller that gave up before its batch went is left out of it: nobody would be
        there to record what the provider made of its input."""
        if waiting in self._pending:
            self._pending.remove(waiting)
            if not self._pending and self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.create_task(self._answer(batch), name="provider-batch")
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _answer(self, batch: list[_Waiting]) -> None:
        failure: BaseException = RuntimeError("the batch ended without an answer")
        try:
            shares = await self._shares(batch)
            for waiting, share in zip(batch, shares, strict=True):
                if not waiting.future.done():  # a caller cancelled meanwhile
                    waiting.future.set_result(share)
        except Exception as exc:  # a bug in reading the answer: each caller's push breaks
            failure = exc
        except BaseException as exc:  # cancelled (the service stopping): so are the callers
            failure = exc
            raise
        finally:
            for waiting in batch:  # no caller is ever left waiting
                if not waiting.future.done():
                    waiting.future.set_exception(failure)

    async def _shares(self, batch: list[_Waiting]) -> list[Share]:
        inputs = [w.input for w in batch]
        with recording_calls() as calls:
            try:
                shares = await self._send_through_rate_limits(inputs)
            except ProviderError as error:
                if error.kind is FailureKind.REJECTED and len(batch) > 1:
                    _fan_out(batch, calls, None)
                    alone = await asyncio.gather(*(self._shares([w]) for w in batch))
                    return [share for shares in alone for share in shares]
                shares = [Share(error=error)] * len(batch)
        _fan_out(batch, calls, shares)
        return shares

    async def _send_through_rate_limits(self, inputs: list[BatchInput]) -> list[Share]:
        """A 429 is sent again after the wait it names (a 429 was not acted on, so this is
        safe): one refused call would otherwise send every push in the batch back to the
        queue to redo its earlier steps. A long wait, or a third 429, goes to the pushes."""
        for attempt in range(RATE_LIMITED_RESENDS + 1):
            try:
                shares = await self.send(inputs)
            except ProviderError as error:
                wait = error.retry_after
                if wait is None:
                    wait = random.uniform(0.5, 1.0) * 2**attempt
                if (
                    error.kind is not FailureKind.RATE_LIMITED
                    or attempt == RATE_LIMITED_RESENDS
                    or wait > MAX_RESEND_WAIT_SECONDS
                ):
                    raise
                await asyncio.sleep(wait)
                continue
            if len(shares) != len(inputs):
                raise RuntimeError(f"{len(shares)} answers for a batch of {len(inputs)}")
            return shares
        raise AssertionError("unreachable: the last attempt returns or raises")


def _fan_out(batch: list[_Waiting], calls: list[CallRecord], shares: list[Share] | None) -> None:
    """Each caller's log gets the batch's calls with its own input and, where the call
    succeeded, its own answer (a failed call keeps the provider's error for all)."""
    for n, waiting in enumerate(batch):
        share = shares[n] if shares is not None else None
        request = waiting.input.logged
        if request is None:
            request = {"inputs": [waiting.input.body]}
        for call in calls:
            mine = dataclasses.replace(call, request_body=loggable(request))
            answered = call.status is not None and 200 <= call.status < 300
            if share is not None and answered:
                mine.response_body = loggable(share.logged)
                mine.crm_id = share.crm_id
                if share.error is not None:
                    mine.error_code = share.error.code
                    mine.error_message = share.error.message[:1000]
            waiting.log.append(mine)


def _copy(error: ProviderError) -> ProviderError:
    """The error raised anew in each caller (one instance raised in many tasks would share,
    and grow, one traceback)."""
    return ProviderError(
        error.kind,
        error.message,
        status=error.status,
        code=error.code,
        retry_after=error.retry_after,
        uncertain=error.uncertain,
    )


def rejected(message: str, *, code: str = "batch_input_failed") -> ProviderError:
    """An input the provider answered with an error while the rest of its batch succeeded."""
    return ProviderError(FailureKind.REJECTED, message, code=code)
