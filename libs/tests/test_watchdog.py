"""The hang watchdog, in a pytest session of its own: a hung test fails alone, saying where."""

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = textwrap.dedent(
    """
    import asyncio
    import time

    async def never_set():
        await asyncio.Event().wait()

    async def test_hangs():
        await never_set()

    async def test_after_a_hang():
        await asyncio.sleep(0)

    def test_blocks_the_thread():
        time.sleep(60)

    def test_never_reached():
        pass
    """
)


def run_session(
    folder: Path, *, soft: float, hard: float, sigint_ignored: bool
) -> subprocess.CompletedProcess[str]:
    (folder / "test_sample.py").write_text(TESTS)
    ignore = signal.SIG_IGN if sigint_ignored else signal.SIG_DFL
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "dealflow_libs.testing.watchdog",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "-o",
            f"hang_soft_seconds={soft}",
            "-o",
            f"hang_hard_seconds={hard}",
            "-rA",
            str(folder),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: signal.signal(signal.SIGINT, ignore),
    )


# A shell starts its background jobs with SIGINT ignored, and children inherit that: so did
# the clean-clone CI run, where the interrupt first did nothing.
@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["sigint-default", "sigint-ignored"])
def test_a_hung_test_fails_where_it_waited_and_a_blocked_one_interrupts_the_session(
    tmp_path: Path, sigint_ignored: bool
) -> None:
    result = run_session(tmp_path, soft=1, hard=4, sigint_ignored=sigint_ignored)
    out, err = result.stdout, result.stderr
    printed = f"the session printed:\n{out[-3000:]}\n{err[-3000:]}"

    assert "FAILED test_sample.py::test_hangs" in out, printed
    assert "TestHungError: still running after 1 s (hang_soft_seconds)" in out, printed
    # The await chain (captured stderr, in the report) and the traceback end where it waited.
    assert "test_sample.py:6 in never_set" in out, printed
    assert "await asyncio.Event().wait()" in out, printed
    assert "PASSED test_sample.py::test_after_a_hang" in out, "the session went on"

    # The hard limit writes to the terminal's stderr, which no test captures.
    assert "test_sample.py::test_blocks_the_thread not done after 4 s" in err, printed
    assert 'test_sample.py", line 15 in test_blocks_the_thread' in err, printed
    assert "test_never_reached" not in out, printed
    assert result.returncode == 2, printed  # interrupted, not ended by the last resort
