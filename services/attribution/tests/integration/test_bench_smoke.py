"""bench/attribution/run.py and leads.py at a small size, so the benchmarks cannot rot (not
timed tests)."""

from pathlib import Path

from dealflow_libs.testing.bench import run_bench_script

BENCH = Path(__file__).resolve().parents[4] / "bench" / "attribution" / "run.py"


async def test_the_attribution_benchmark_runs_at_200_deals(prepared_stack, capsys) -> None:
    await run_bench_script(
        BENCH,
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
        ],
    )
    out = capsys.readouterr().out
    assert "linear" in out
    assert "w_shaped" in out
    assert "markov: training on" in out
    assert "channel report (linear, 3 requests; deals closed over 30 days, 20% in EUR)" in out


LEADS_BENCH = BENCH.with_name("leads.py")


async def test_the_leads_benchmark_runs_at_500_leads(prepared_stack, capsys) -> None:
    await run_bench_script(LEADS_BENCH, ["--leads", "500", "--big", "20", "--requests", "2"])
    out = capsys.readouterr().out
    assert "derive every lead: 520 leads" in out
    assert "GET /v1/leads status=opportunity" in out
    assert "deal event at a company of 20 leads" in out
