"""bench/notifications/run.py at a small size with two instances, so the benchmark cannot rot
(not a timed test): every booking gets its email once, whichever instance sends it."""

import re
from pathlib import Path

from dealflow_libs.testing.bench import run_bench_script

BENCH = Path(__file__).resolve().parents[4] / "bench" / "notifications" / "run.py"
ROW = re.compile(r"^(clean|429s)\s+\d+\s+[\d.]+\s+(\d+)\s+(\d+)\s+(\d+)\s+(-?\d+)$", re.MULTILINE)


async def test_the_notifications_benchmark_runs_two_instances(capsys) -> None:  # type: ignore[no-untyped-def]
    await run_bench_script(BENCH, ["--bookings", "20", "--instances", "2"])

    rows = {m[1]: [int(v) for v in m.groups()[1:]] for m in ROW.finditer(capsys.readouterr().out)}
    assert rows.keys() == {"clean", "429s"}
    sent, attempts, emails, duplicates = rows["clean"]
    assert (sent, attempts, emails, duplicates) == (20, 20, 20, 0)
    assert rows["429s"][3] == 0  # a send may fail on three 429s in a row, never go out twice
