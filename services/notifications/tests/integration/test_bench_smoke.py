"""bench/notifications/run.py at a small size with two instances, so the benchmark cannot rot
(not a timed test): every booking gets its email once, whichever instance sends it."""

import importlib.util
import os
import re
from pathlib import Path

BENCH = Path(__file__).resolve().parents[4] / "bench" / "notifications" / "run.py"
ROW = re.compile(r"^(clean|429s)\s+\d+\s+[\d.]+\s+(\d+)\s+(\d+)\s+(\d+)\s+(-?\d+)$", re.MULTILINE)


async def test_the_notifications_benchmark_runs_two_instances(capsys) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_notifications_run", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    before = os.environ.get("DEALFLOW_NOTIFICATIONS_DATABASE_URL")
    try:
        await bench.main(bench.parse(["--bookings", "20", "--instances", "2"]))
    finally:
        if before is None:
            os.environ.pop("DEALFLOW_NOTIFICATIONS_DATABASE_URL", None)
        else:
            os.environ["DEALFLOW_NOTIFICATIONS_DATABASE_URL"] = before

    rows = {m[1]: [int(v) for v in m.groups()[1:]] for m in ROW.finditer(capsys.readouterr().out)}
    assert rows.keys() == {"clean", "429s"}
    sent, attempts, emails, duplicates = rows["clean"]
    assert (sent, attempts, emails, duplicates) == (20, 20, 20, 0)
    assert rows["429s"][3] == 0  # a send may fail on three 429s in a row, never go out twice
