"""A test that hangs fails on its own, showing where, instead of stalling the whole suite.

CI gives the suite a fixed time. One await that never returned once used all of it and printed
nothing but dots. Now an async test still running after `hang_soft_seconds` gets every asyncio
task's stack written to stderr, then its own task is cancelled: it fails with `TestHungError`,
whose traceback ends at the await it was stuck in, and the session goes on. A test still not
done after `hang_hard_seconds` in all (a synchronous wait, a fixture) gets every thread's stack
written out and the session interrupted, as Ctrl-C would (its servers are stopped); a minute
later the process ends regardless. A run then fails in minutes, saying where, not at CI's
deadline.
"""

import asyncio
import faulthandler
import functools
import inspect
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

SOFT_INI = "hang_soft_seconds"
HARD_INI = "hang_hard_seconds"


class TestHungError(TimeoutError):
    """The test was still running after its time; it was cancelled where it waited."""

    __test__ = False  # not a test class, whatever its name


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(SOFT_INI, "an async test's call is cancelled after this long", default="300")
    parser.addini(
        HARD_INI, "the session is interrupted if one test takes this long in all", default="900"
    )


def _seconds(config: pytest.Config, name: str) -> float:
    return float(config.getini(name))


def awaiting(awaitable: object) -> list[str]:
    """Where a suspended coroutine waits: its frame, then each one it awaits, down to the
    future at the bottom (Task.get_stack shows only the outermost frame)."""
    lines = []
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            lines.append(f"    waiting for {awaitable!r}")
            break
        lines.append(f"    {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return lines


def task_stacks(loop: asyncio.AbstractEventLoop) -> str:
    """Every task of `loop` with the chain of awaits it is suspended in."""
    lines = []
    for task in asyncio.all_tasks(loop):
        lines.append(f"--- task {task.get_name()}")
        lines.extend(awaiting(task.get_coro()))
    return "\n".join(lines)


def guarded(
    test: Callable[..., Coroutine[Any, Any, Any]], nodeid: str, soft: float
) -> Callable[..., Coroutine[Any, Any, Any]]:
    """`test`, cancelled after `soft` seconds with the stacks of every task written out."""

    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        hung = False

        def expire() -> None:
            nonlocal hung
            hung = True
            print(
                f"\n===== {nodeid} still running after {soft:g} s; its tasks:\n"
                f"{task_stacks(loop)}\n===== cancelling it",
                file=sys.stderr,
                flush=True,
            )
            task.cancel()

        timer = loop.call_later(soft, expire)
        try:
            return await test(*args, **kwargs)
        except asyncio.CancelledError as cancelled:
            if hung and task.uncancel() == 0:
                raise TestHungError(
                    f"still running after {soft:g} s ({SOFT_INI}): cancelled where it waited "
                    "(the traceback above ends there; every task's stack is on stderr)"
                ) from cancelled
            raise
        finally:
            timer.cancel()

    return run


_terminal: dict[str, int] = {}


def pytest_configure(config: pytest.Config) -> None:
    # A copy of the terminal's stderr, taken before tests run: fd 2 is captured during a test.
    _terminal.setdefault("stderr", os.dup(2))
    # A shell starts background jobs with SIGINT ignored, and CI may too: the interrupt below
    # would then do nothing.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _interrupt(nodeid: str, hard: float) -> None:
    fd = _terminal["stderr"]
    os.write(fd, f"\n===== {nodeid} not done after {hard:g} s; every thread:\n".encode())
    faulthandler.dump_traceback(file=fd, all_threads=True)
    os.write(fd, b"===== interrupting the session (its servers are stopped)\n")
    faulthandler.dump_traceback_later(60, exit=True, file=fd)
    # To the main thread: a signal to the process may land in this one and wake nothing.
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    hard = _seconds(item.config, HARD_INI)
    timer = threading.Timer(hard, _interrupt, args=(item.nodeid, hard))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    test = getattr(item, "obj", None)
    if not inspect.iscoroutinefunction(test):
        yield
        return
    function: Any = item
    function.obj = guarded(test, item.nodeid, _seconds(item.config, SOFT_INI))
    try:
        yield
    finally:
        function.obj = test
