"""bench/crm/run.py at a small size, so the benchmark cannot rot (not a timed test): every
booking pushed once, one contact and one meeting each, with and without 429s."""

import re
from pathlib import Path

from dealflow_libs.testing.bench import run_bench_script

BENCH = Path(__file__).resolve().parents[4] / "bench" / "crm" / "run.py"
ROW = re.compile(
    r"^(clean|429s)\s+\d+\s+[\d.]+\s+(\d+)\s+\d+\s+(\d+)\s+(\d+)\s+(-?\d+)\s", re.MULTILINE
)


async def test_the_crm_benchmark_runs_at_20_bookings(capsys) -> None:  # type: ignore[no-untyped-def]
    await run_bench_script(BENCH, ["--bookings", "20"])

    rows = {m[1]: [int(v) for v in m.groups()[1:]] for m in ROW.finditer(capsys.readouterr().out)}
    assert rows.keys() == {"clean", "429s"}
    for scenario in ("clean", "429s"):
        assert rows[scenario] == [20, 20, 20, 0], scenario  # ok, contacts, meetings, duplicates
