"""bench/attribution/run.py at a small size, so the benchmark cannot rot (not a timed test)."""

import importlib.util
import os
from pathlib import Path

BENCH = Path(__file__).resolve().parents[4] / "bench" / "attribution" / "run.py"


async def test_the_attribution_benchmark_runs_at_200_deals(prepared_stack, capsys) -> None:
    spec = importlib.util.spec_from_file_location("bench_attribution_run", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    before = os.environ.get("DEALFLOW_ATTRIBUTION_DATABASE_URL")
    try:
        args = bench.parse(
            [
                "--deals",
                "200",
                "--models",
                "linear,w_shaped",
                "--report-requests",
                "3",
                "--close-days",
                "30",
                "--eur-share",
                "0.2",
            ]
        )
        await bench.main(args)
    finally:
        if before is None:
            os.environ.pop("DEALFLOW_ATTRIBUTION_DATABASE_URL", None)
        else:
            os.environ["DEALFLOW_ATTRIBUTION_DATABASE_URL"] = before
    out = capsys.readouterr().out
    assert "linear" in out
    assert "w_shaped" in out
    assert "markov: training on" in out
    assert "channel report (linear, 3 requests; deals closed over 30 days, 20% in EUR)" in out


LEADS_BENCH = BENCH.with_name("leads.py")


async def test_the_leads_benchmark_runs_at_500_leads(prepared_stack, capsys) -> None:
    spec = importlib.util.spec_from_file_location("bench_attribution_leads", LEADS_BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    before = os.environ.get("DEALFLOW_ATTRIBUTION_DATABASE_URL")
    try:
        await bench.main(bench.parse(["--leads", "500", "--big", "20", "--requests", "2"]))
    finally:
        if before is None:
            os.environ.pop("DEALFLOW_ATTRIBUTION_DATABASE_URL", None)
        else:
            os.environ["DEALFLOW_ATTRIBUTION_DATABASE_URL"] = before
    out = capsys.readouterr().out
    assert "derive every lead: 520 leads" in out
    assert "GET /v1/leads status=opportunity" in out
    assert "deal event at a company of 20 leads" in out
