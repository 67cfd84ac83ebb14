"""The hang watchdog, in a pytest session of its own: a hung test fails alone, saying where."""

import subprocess
import sys
import textwrap
from pathlib import Path

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


def run_session(folder: Path, *, soft: float, hard: float) -> subprocess.CompletedProcess[str]:
    (folder / "test_sample.py").write_text(TESTS)
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
    )


def test_a_hung_test_fails_where_it_waited_and_a_blocked_one_interrupts_the_session(
    tmp_path: Path,
) -> None:
    result = run_session(tmp_path, soft=1, hard=4)
    out = result.stdout + result.stderr

    assert "FAILED test_sample.py::test_hangs" in out
    assert "TestHungError: still running after 1 s (hang_soft_seconds)" in out
    # The await chain on stderr, and the failure's traceback, both end where it waited.
    assert "test_sample.py:6 in never_set" in out
    assert "await asyncio.Event().wait()" in out
    assert "PASSED test_sample.py::test_after_a_hang" in out, "the session went on"

    assert "test_sample.py::test_blocks_the_thread not done after 4 s" in out
    assert 'test_sample.py", line 15 in test_blocks_the_thread' in out
    assert "test_never_reached" not in out.split("interrupting the session")[1]
    assert result.returncode == 2, "interrupted"
