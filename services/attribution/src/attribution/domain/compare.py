"""Models side by side: a channel x model matrix over one set of deals (pure).

Only deals with a counting run under every requested model are compared, and only when those
runs agree on the deal's value, currency and close (they normally do: a value change reruns
every model); so every column sums to the same won revenue. The others are counted, per model
that lacks a run, so a reader sees what was left out.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from attribution.domain.credit_bounds import round_credit
from attribution.domain.recorded import RunTotals
from attribution.domain.reports import ChannelRow, ChannelSums, channel_report


@dataclass(frozen=True, slots=True)
class CompareCell:
    attributed_minor: int
    credited_deals: Decimal  # rounded as the channel report's
    percentage_bp: int | None


@dataclass(frozen=True, slots=True)
class CompareRow:
    channel: str
    cells: dict[str, CompareCell]  # by model


@dataclass(frozen=True, slots=True)
class Comparison:
    models: tuple[str, ...]
    deals: int  # deals compared (a run under every model)
    won_minor: int  # the revenue every column sums to
    missing_runs: dict[str, int]  # per model: deals left out because it has no run for them
    inconsistent_deals: int  # left out because their runs disagree on value, currency or close
    rows: tuple[CompareRow, ...]


@dataclass(frozen=True, slots=True)
class Uncompared:
    """What `take_out_uncompared` found among the deals not known to be compared."""

    complete: int  # compared after all (every model's run, agreeing): put back
    missing_runs: dict[str, int]
    inconsistent_deals: int


def take_out_uncompared(
    models: Sequence[str], sums: dict[str, ChannelSums], others: Iterable[RunTotals]
) -> Uncompared:
    """Each model's `sums` cover every deal of the window with a current run under it; `others`
    are every run in the window (converted already) of the deals not known to be compared. Their
    runs are taken out of the sums, and put back for those that turn out complete after all, as
    `compare_models` decides. Each column's `unsettled` channels need their exact credit
    afterwards (`ChannelSums.settle`)."""
    runs = list(others)
    for run in runs:
        sums[run.model].remove_run(run)
    found = _sort_deals(runs, models)
    for per_model in found.chosen:
        for model in models:
            sums[model].add_run(per_model[model])
    return Uncompared(len(found.chosen), found.missing_runs, found.inconsistent_deals)


def compare_summed(
    models: Sequence[str], sums: dict[str, ChannelSums], complete: int, rest: Uncompared
) -> Comparison:
    """`compare_models`' answer from the sums left by `take_out_uncompared` (`rest`), given the
    deals known to be compared (`complete`)."""
    columns = {m: sums[m].rows() for m in models}
    return Comparison(
        models=tuple(models),
        deals=complete + rest.complete,
        # Each deal's channels sum to its (converted) value, so any column sums to the revenue.
        won_minor=sum(row.attributed_minor for row in columns[models[0]]) if models else 0,
        missing_runs=rest.missing_runs,
        inconsistent_deals=rest.inconsistent_deals,
        rows=matrix_rows(columns, models),
    )


def _signature(run: RunTotals) -> tuple[int, str, object]:
    return run.value_minor, run.currency, run.conversion_at


@dataclass(frozen=True, slots=True)
class _Sorted:
    chosen: list[dict[str, RunTotals]]  # per compared deal (by id), its run under each model
    missing_runs: dict[str, int]
    inconsistent_deals: int


def _sort_deals(runs: Iterable[RunTotals], models: Sequence[str]) -> _Sorted:
    """The rule of this module: a deal is compared when it has a run under every model, all
    agreeing on value, currency and close; the others are counted, per model lacking, or as
    inconsistent."""
    by_deal: dict[str, dict[str, RunTotals]] = {}
    for run in runs:
        by_deal.setdefault(run.deal_id, {})[run.model] = run
    missing = dict.fromkeys(models, 0)
    inconsistent = 0
    chosen: list[dict[str, RunTotals]] = []
    for deal_id in sorted(by_deal):
        per_model = by_deal[deal_id]
        absent = [m for m in models if m not in per_model]
        for model in absent:
            missing[model] += 1
        if absent:
            continue
        if len({_signature(per_model[m]) for m in models}) > 1:
            inconsistent += 1
            continue
        chosen.append(per_model)
    return _Sorted(chosen, missing, inconsistent)


def compare_models(runs: Iterable[RunTotals], models: Sequence[str]) -> Comparison:
    found = _sort_deals(runs, models)
    chosen = found.chosen
    columns = {m: channel_report(deal[m] for deal in chosen) for m in models}
    return Comparison(
        models=tuple(models),
        deals=len(chosen),
        won_minor=sum(deal[models[0]].value_minor for deal in chosen) if models else 0,
        missing_runs=found.missing_runs,
        inconsistent_deals=found.inconsistent_deals,
        rows=matrix_rows(columns, models),
    )


def matrix_rows(
    columns: dict[str, list[ChannelRow]], models: Sequence[str]
) -> tuple[CompareRow, ...]:
    """One row per channel seen under any model, ordered as the first model orders them (by
    value), then the rest by name; a channel a model gave nothing is a zero cell."""
    cells: dict[str, dict[str, CompareCell]] = {}
    order: list[str] = []
    for model in models:
        for row in columns[model]:
            if row.channel not in cells:
                cells[row.channel] = {}
                order.append(row.channel)
            cells[row.channel][model] = CompareCell(
                row.attributed_minor, row.credited_deals, row.percentage_bp
            )
    first = {row.channel for row in columns[models[0]]} if models else set()
    ordered = [c for c in order if c in first] + sorted(c for c in order if c not in first)
    rows = []
    for channel in ordered:
        for model in models:
            if model not in cells[channel]:
                revenue = any(row.attributed_minor for row in columns[model])
                cells[channel][model] = CompareCell(
                    0, round_credit(Fraction(0)), 0 if revenue else None
                )
        rows.append(CompareRow(channel, {m: cells[channel][m] for m in models}))
    return tuple(rows)
