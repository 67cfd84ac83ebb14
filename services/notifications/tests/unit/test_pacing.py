"""ProviderPace: one request before the limit is known, then the announced window."""

import asyncio

import pytest

from notifications.transports.pacing import PaceTimeout, ProviderPace


def window(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": str(reset),
    }


async def started(pace: ProviderPace, count: int) -> list["asyncio.Task[int]"]:
    tasks = [asyncio.create_task(pace.turn()) for _ in range(count)]
    await asyncio.sleep(0.01)
    return tasks


async def test_one_request_goes_alone_until_an_answer_tells_the_limit() -> None:
    pace = ProviderPace()
    tasks = await started(pace, 3)
    assert sum(t.done() for t in tasks) == 1

    first = next(t for t in tasks if t.done())
    pace.learn(window(limit=2, remaining=1, reset=0.3), first.result())
    await asyncio.sleep(0.01)
    assert sum(t.done() for t in tasks) == 2, "the window's one remaining request"

    await asyncio.wait_for(asyncio.gather(*tasks), 2)  # the third after the reset


async def test_the_window_is_not_exceeded_before_its_reset() -> None:
    pace = ProviderPace()
    pace.learn(window(limit=4, remaining=2, reset=0.4), await pace.turn())
    tasks = await started(pace, 5)
    assert sum(t.done() for t in tasks) == 2
    await asyncio.sleep(0.2)
    assert sum(t.done() for t in tasks) == 2, "still the same window"
    await asyncio.sleep(0.35)
    assert sum(t.done() for t in tasks) == 5, "a new window: up to its limit of 4"
    late = tasks[0].result()  # an answer to a request of the old window
    pace.learn(window(limit=4, remaining=0, reset=1), late)
    assert await asyncio.wait_for(pace.turn(), 0.1) > late, "its stale figures change nothing"


async def test_requests_in_flight_count_against_what_an_answer_says_remains() -> None:
    pace = ProviderPace()
    pace.learn(window(limit=10, remaining=9, reset=5), await pace.turn())
    sent = [await pace.turn() for _ in range(4)]  # four in flight, not yet answered
    pace.learn(window(limit=10, remaining=5, reset=5), sent[0])  # one of them answered
    tasks = await started(pace, 5)
    assert sum(t.done() for t in tasks) == 2, "5 remain, 3 of them already in flight"
    for task in tasks:
        task.cancel()


async def test_a_429_empties_the_window() -> None:
    pace = ProviderPace()
    pace.learn(window(limit=2, remaining=0, reset=0.3), await pace.turn())
    tasks = await started(pace, 1)
    assert not tasks[0].done()
    await asyncio.wait_for(tasks[0], 2)


async def test_answers_without_a_limit_let_everything_through() -> None:
    pace = ProviderPace()
    tasks = await started(pace, 4)
    pace.learn({"content-type": "application/json"}, 0)
    await asyncio.sleep(0.01)
    assert all(t.done() for t in tasks)


async def test_a_request_without_an_answer_hands_the_first_turn_on() -> None:
    pace = ProviderPace()
    tasks = await started(pace, 2)
    pace.gave_up(0)
    await asyncio.sleep(0.01)
    assert all(t.done() for t in tasks)


async def test_a_turn_not_given_within_the_wait_allowed_says_when_the_window_ends() -> None:
    pace = ProviderPace()
    pace.learn(window(limit=2, remaining=0, reset=5), await pace.turn())
    with pytest.raises(PaceTimeout) as held:
        await pace.turn(within=0.05)
    assert 4.5 < held.value.reset_in <= 5


async def test_a_limit_announced_after_an_answer_without_one_is_kept() -> None:
    """A first answer without the headers (a 5xx, say) lets everything through until an answer
    announces the limit again."""
    pace = ProviderPace()
    pace.learn({}, await pace.turn())
    sent = await pace.turn()
    pace.learn(window(limit=2, remaining=0, reset=5), sent)
    with pytest.raises(PaceTimeout):
        await pace.turn(within=0.05)
