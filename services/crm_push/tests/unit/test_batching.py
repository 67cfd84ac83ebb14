"""Batcher: concurrent calls of one kind as one request, each caller with its own share and log."""

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from crm_push.providers.batching import Batcher, BatchInput, Share, rejected
from crm_push.providers.transport import (
    CallRecord,
    FailureKind,
    ProviderError,
    ProviderHttp,
    StaticAuth,
    recording_calls,
)


class Provider:
    """A batch endpoint answering each input `{"n": N}` with `N * 10`; an input of `bad` fails
    the whole batch (400), as HubSpot's batch create does, and `status` answers every call."""

    def __init__(self) -> None:
        self.batches: list[list[Any]] = []
        self.status = 200
        self.failures = 1_000_000  # how many calls answer `status` before the rest succeed

    def handle(self, request: httpx.Request) -> httpx.Response:
        inputs = json.loads(request.content)["inputs"]
        self.batches.append(inputs)
        if self.status != 200 and self.failures > 0:
            self.failures -= 1
            headers = {"Retry-After": "0"} if self.status == 429 else {}
            return httpx.Response(self.status, json={"message": "slow down"}, headers=headers)
        if any(i.get("bad") for i in inputs):
            return httpx.Response(400, json={"message": "Property values were not valid"})
        results = [{"n": i["n"], "answer": i["n"] * 10} for i in inputs if not i.get("skip")]
        return httpx.Response(200, json={"results": list(reversed(results))})


def batcher(provider: Provider, **options: Any) -> tuple[Batcher, ProviderHttp]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(provider.handle))
    http = ProviderHttp(
        client=client, base_url="https://crm.example", auth=StaticAuth({"Authorization": "x"})
    )

    async def send(inputs: Sequence[BatchInput]) -> list[Share]:
        answer = await http.request(
            "create_thing", "POST", "/things/batch", json={"inputs": [i.body for i in inputs]}
        )
        by_key = {str(r["n"]): r for r in answer["results"]}
        return [
            Share(by_key[i.key]["answer"], logged=by_key[i.key], crm_id=i.key)
            if i.key in by_key
            else Share(error=rejected(f"{i.key}: no result"), logged={"missing": i.key})
            for i in inputs
        ]

    return Batcher(send, http.calls, **options), http


async def caller(batch: Batcher, n: int, **body: Any) -> tuple[Any, list[CallRecord]]:
    """One push: its call, and what its own log holds."""
    with recording_calls() as calls:
        try:
            result: Any = await batch.call(BatchInput(str(n), {"n": n, **body}))
        except ProviderError as error:
            result = error
    return result, calls


async def test_calls_within_the_window_go_as_one_request_each_with_its_own_answer() -> None:
    provider = Provider()
    batch, _ = batcher(provider, window=0.05)
    answers = await asyncio.gather(*(caller(batch, n) for n in range(5)))
    assert provider.batches == [[{"n": n} for n in range(5)]]
    assert [result for result, _ in answers] == [0, 10, 20, 30, 40]
    for n, (_, log) in enumerate(answers):
        [call] = log
        assert (call.operation, call.path, call.status) == ("create_thing", "/things/batch", 200)
        assert call.request_body == {"inputs": [{"n": n}]}
        assert call.response_body == {"n": n, "answer": n * 10}
        assert call.crm_id == str(n)


async def test_a_full_batch_goes_at_once_and_the_rest_in_the_next() -> None:
    provider = Provider()
    batch, _ = batcher(provider, window=60, max_size=3)  # only a full batch can go
    first = asyncio.gather(*(caller(batch, n) for n in range(3)))
    assert [r for r, _ in await asyncio.wait_for(first, 5)] == [0, 10, 20]
    batch.window = 0.01
    assert (await caller(batch, 3))[0] == 30
    assert [len(b) for b in provider.batches] == [3, 1]


async def test_two_inputs_of_one_key_never_share_a_batch() -> None:
    provider = Provider()
    batch, _ = batcher(provider, window=0.05)
    answers = await asyncio.gather(caller(batch, 1), caller(batch, 2), caller(batch, 1))
    assert [r for r, _ in answers] == [10, 20, 10]
    assert provider.batches == [[{"n": 1}, {"n": 2}], [{"n": 1}]]


async def test_a_batch_refused_as_a_whole_is_sent_one_input_at_a_time() -> None:
    provider = Provider()
    batch, _ = batcher(provider, window=0.05)
    good, bad, also_good = await asyncio.gather(
        caller(batch, 1), caller(batch, 2, bad=True), caller(batch, 3)
    )
    assert (good[0], also_good[0]) == (10, 30)
    assert isinstance(bad[0], ProviderError)
    assert bad[0].kind is FailureKind.REJECTED
    assert len(provider.batches) == 4  # the batch, then each input alone
    # Each log holds the refused batch (with the provider's error) and its own call.
    assert [c.status for c in good[1]] == [400, 200]
    assert good[1][0].response_body == {"message": "Property values were not valid"}
    assert [c.status for c in bad[1]] == [400, 400]


async def test_an_input_the_answer_leaves_out_fails_alone() -> None:
    provider = Provider()
    batch, _ = batcher(provider, window=0.05)
    kept, skipped = await asyncio.gather(caller(batch, 1), caller(batch, 2, skip=True))
    assert kept[0] == 10
    assert isinstance(skipped[0], ProviderError)
    assert "2: no result" in skipped[0].message
    [call] = skipped[1]
    assert (call.status, call.error_code) == (200, "batch_input_failed")


async def test_a_rate_limited_batch_is_sent_again_after_the_wait_it_names() -> None:
    provider = Provider()
    provider.status, provider.failures = 429, 1
    batch, _ = batcher(provider, window=0.05)
    answers = await asyncio.gather(*(caller(batch, n) for n in range(3)))
    assert [result for result, _ in answers] == [0, 10, 20]
    assert len(provider.batches) == 2
    for n, (_, log) in enumerate(answers):
        assert [c.status for c in log] == [429, 200]
        assert log[0].response_body == {"message": "slow down"}
        assert log[1].response_body == {"n": n, "answer": n * 10}


async def test_a_batch_still_rate_limited_reaches_every_caller_with_its_own_error() -> None:
    provider = Provider()
    provider.status = 429
    batch, _ = batcher(provider, window=0.05)
    answers = await asyncio.gather(*(caller(batch, n) for n in range(3)))
    errors = [result for result, _ in answers]
    assert all(isinstance(e, ProviderError) and e.kind is FailureKind.RATE_LIMITED for e in errors)
    assert len({id(e) for e in errors}) == 3
    assert len(provider.batches) == 3  # the call and its two resends
    assert all([c.status for c in log] == [429, 429, 429] for _, log in answers)


async def test_a_server_error_is_not_sent_again_in_place() -> None:
    """A 5xx may have been acted on: the pushes retry on their own, looking before creating."""
    provider = Provider()
    provider.status = 502
    batch, _ = batcher(provider, window=0.05)
    answers = await asyncio.gather(*(caller(batch, n) for n in range(2)))
    assert all(isinstance(r, ProviderError) and r.uncertain for r, _ in answers)
    assert len(provider.batches) == 1


async def test_a_caller_outside_any_push_log_records_into_the_clients_calls() -> None:
    provider = Provider()
    batch, http = batcher(provider, window=0.01)
    assert await batch.call(BatchInput("4", {"n": 4})) == 40
    [call] = http.take_calls()
    assert call.request_body == {"inputs": [{"n": 4}]}


async def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    provider = Provider()
    batch, _ = batcher(provider, window=0.05)
    leaving = asyncio.create_task(caller(batch, 1))
    staying = asyncio.create_task(caller(batch, 2))
    await asyncio.sleep(0.01)
    leaving.cancel()
    assert (await staying)[0] == 20
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert provider.batches == [[{"n": 2}]]  # what nobody waits for is not sent


async def test_a_send_that_breaks_breaks_every_caller_and_leaves_none_waiting() -> None:
    async def broken(inputs: Sequence[BatchInput]) -> list[Share]:
        return [Share(1)]  # one answer for a batch of three

    batch = Batcher(broken, [], window=0.02)
    answers = await asyncio.wait_for(
        asyncio.gather(
            *(batch.call(BatchInput(str(n), n)) for n in range(3)), return_exceptions=True
        ),
        timeout=5,
    )
    assert all(
        isinstance(a, RuntimeError) and "1 answers for a batch of 3" in str(a) for a in answers
    )
