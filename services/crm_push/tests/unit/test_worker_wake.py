"""PushWorker.nudge: pushes queued for a connection it runs wake that runner, not the lease."""

import asyncio

from crm_push.pushing import PushWorker, WorkerSettings
from dealflow_schemas.crm import PushTarget

RUNNING = ("t-1", PushTarget.CRM)
OTHER = ("t-2", PushTarget.CRM)


def worker_running(key: tuple[str, PushTarget]) -> tuple[PushWorker, "asyncio.Task[None]"]:
    async def unused_connect(_: object) -> object:
        raise AssertionError("not connected in this test")

    worker = PushWorker(lambda: None, unused_connect, WorkerSettings())  # type: ignore[arg-type]
    runner = asyncio.create_task(asyncio.sleep(60))
    worker.runners[key] = runner
    worker.runner_wakes[key] = asyncio.Event()
    return worker, runner


async def test_pushes_for_a_running_connection_wake_its_runner_only() -> None:
    worker, runner = worker_running(RUNNING)
    worker.nudge([RUNNING, RUNNING])
    assert worker.runner_wakes[RUNNING].is_set()
    assert not worker.wake.is_set()
    runner.cancel()


async def test_pushes_for_a_connection_nobody_runs_here_wake_the_lease() -> None:
    worker, runner = worker_running(RUNNING)
    worker.nudge([OTHER])
    assert worker.wake.is_set()
    assert not worker.runner_wakes[RUNNING].is_set()
    runner.cancel()


async def test_a_finished_runner_counts_as_none() -> None:
    worker, runner = worker_running(RUNNING)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    worker.nudge([RUNNING])
    assert worker.wake.is_set()


async def test_a_nudge_without_connections_wakes_everything() -> None:
    worker, runner = worker_running(RUNNING)
    worker.nudge()
    assert worker.wake.is_set()
    assert worker.runner_wakes[RUNNING].is_set()
    runner.cancel()
