"""bench/crm/run.py at a small size, so the benchmark cannot rot (not a timed test): every
booking pushed once, one contact and one meeting each, with and without 429s."""

import importlib.util
import os
import re
from pathlib import Path

BENCH = Path(__file__).resolve().parents[4] / "bench" / "crm" / "run.py"
ROW = re.compile(
    r"^(clean|429s)\s+\d+\s+[\d.]+\s+(\d+)\s+\d+\s+(\d+)\s+(\d+)\s+(-?\d+)\s", re.MULTILINE
)


async def test_the_crm_benchmark_runs_at_20_bookings(capsys) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_crm_run", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    before = os.environ.get("DEALFLOW_CRM_PUSH_DATABASE_URL")
    try:
        await bench.main(bench.parse(["--bookings", "20"]))
    finally:
        if before is None:
            os.environ.pop("DEALFLOW_CRM_PUSH_DATABASE_URL", None)
        else:
            os.environ["DEALFLOW_CRM_PUSH_DATABASE_URL"] = before

    rows = {m[1]: [int(v) for v in m.groups()[1:]] for m in ROW.finditer(capsys.readouterr().out)}
    assert rows.keys() == {"clean", "429s"}
    for scenario in ("clean", "429s"):
        assert rows[scenario] == [20, 20, 20, 0], scenario  # ok, contacts, meetings, duplicates
