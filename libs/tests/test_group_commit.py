"""Group commit: items submitted while a batch is written go together in the next one; a refused
item is written alone and fails alone; a transient error fails the whole batch."""

import asyncio

import asyncpg
import pytest

from dealflow_libs.group_commit import GroupCommit


class Store:
    """A write that records its batches, refuses items named "bad" (a whole batch holding one
    is refused) and can be held open to let items queue up behind it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.written: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.transient = False

    async def write(self, batch: list[str]) -> None:
        self.batches.append(list(batch))
        await self.gate.wait()
        if self.transient:
            raise asyncpg.PostgresConnectionError("the database went away")
        if "bad" in batch:
            raise ValueError("refused: bad")
        self.written.extend(batch)


async def _queued_behind_a_held_write(store: Store, items: list[str]) -> list[object]:
    """Submits "first", holds its write open, submits `items` meanwhile, then lets it go."""
    group: GroupCommit[str] = GroupCommit(store.write, name="test")
    store.gate.clear()
    first = asyncio.create_task(group.submit("first"))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(group.submit(item)) for item in items]
    await asyncio.sleep(0)
    store.gate.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


async def test_items_submitted_during_a_write_are_written_together_in_the_next() -> None:
    store = Store()
    results = await _queued_behind_a_held_write(store, ["a", "b", "c"])
    assert results == [None] * 4
    assert store.batches == [["first"], ["a", "b", "c"]]


async def test_a_refused_item_fails_alone_and_the_others_are_written() -> None:
    store = Store()
    results = await _queued_behind_a_held_write(store, ["a", "bad", "c"])
    assert [results[0], results[1], results[3]] == [None, None, None]
    assert isinstance(results[2], ValueError)
    assert store.written == ["first", "a", "c"]
    assert store.batches[1:] == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]


async def test_a_transient_error_fails_the_batch_without_trying_one_by_one() -> None:
    store = Store()
    group: GroupCommit[str] = GroupCommit(store.write, name="test")
    store.transient = True
    results = await asyncio.gather(group.submit("a"), group.submit("b"), return_exceptions=True)
    assert all(isinstance(r, asyncpg.PostgresConnectionError) for r in results)
    assert store.batches == [["a", "b"]]
    store.transient = False
    await group.submit("c")  # the writer goes on with what comes next
    assert store.written == ["c"]


async def test_batches_are_cut_at_the_limit() -> None:
    store = Store()
    group: GroupCommit[str] = GroupCommit(store.write, name="test", per_commit=2)
    await asyncio.gather(*(group.submit(str(i)) for i in range(5)))
    assert store.batches == [["0", "1"], ["2", "3"], ["4"]]


@pytest.mark.parametrize("count", [1, 3])
async def test_every_submitted_item_is_written_once(count: int) -> None:
    store = Store()
    group: GroupCommit[str] = GroupCommit(store.write, name="test")
    await asyncio.gather(*(group.submit(f"i{n}") for n in range(count)))
    assert sorted(store.written) == [f"i{n}" for n in range(count)]
