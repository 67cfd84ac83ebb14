"""Pipeline summary and lost-deal analysis. Pure.

The API answers from groups the database sums (`*_from_groups`); `pipeline_summary` and
`lost_analysis` compute the same from one row per deal, the reference a recompute compares with.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dealflow_libs.money import to_cents
from dealflow_schemas.deals import DealStage, LostReason
from deals.domain.deal import OPEN_STAGES

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class StageSummary:
    stage: DealStage
    count: int
    total_value: Decimal
    average_probability: float | None
    #: sum(value x probability / 100) of the stage, rounded once (stages may not add up to the
    #: pipeline's weighted value to the cent: that one is rounded once over every deal).
    weighted_value: Decimal


@dataclass(frozen=True)
class PipelineSummary:
    stages: list[StageSummary]
    count: int
    total_value: Decimal
    weighted_value: Decimal


@dataclass(frozen=True)
class StageGroup:
    """Active deals of one stage and currency: count and sums."""

    stage: DealStage
    currency: str
    count: int
    value_sum: Decimal
    probability_sum: int
    weighted_sum: Decimal  # sum(value x probability)


@dataclass(frozen=True)
class PipelineFigures:
    summary: PipelineSummary
    currencies: list[str] = field(default_factory=list)


def pipeline_from_groups(groups: Iterable[StageGroup]) -> PipelineFigures:
    """The same figures as `pipeline_summary` over the deals the groups sum (to the cent)."""
    by_stage: dict[DealStage, list[StageGroup]] = {stage: [] for stage in OPEN_STAGES}
    for group in groups:
        by_stage.setdefault(group.stage, []).append(group)
    stages = []
    for stage, items in by_stage.items():
        count = sum(g.count for g in items)
        probabilities = sum(g.probability_sum for g in items)
        stages.append(
            StageSummary(
                stage=stage,
                count=count,
                total_value=sum((g.value_sum for g in items), ZERO),
                average_probability=round(probabilities / count, 2) if count else None,
                weighted_value=to_cents(sum((g.weighted_sum for g in items), ZERO) / 100),
            )
        )
    everything = [g for items in by_stage.values() for g in items]
    weighted = to_cents(sum((g.weighted_sum for g in everything), ZERO) / 100)
    summary = PipelineSummary(
        stages, sum(s.count for s in stages), sum((s.total_value for s in stages), ZERO), weighted
    )
    return PipelineFigures(summary, sorted({g.currency for g in everything if g.count}))


def pipeline_summary(rows: Iterable[tuple[DealStage, Decimal | None, int]]) -> PipelineSummary:
    """Active deals per open stage; weighted value is sum(value x probability / 100)."""
    by_stage: dict[DealStage, list[tuple[Decimal, int]]] = {stage: [] for stage in OPEN_STAGES}
    for stage, value, probability in rows:
        by_stage.setdefault(stage, []).append((value or ZERO, probability))
    stages = [
        StageSummary(
            stage=stage,
            count=len(items),
            total_value=sum((v for v, _ in items), ZERO),
            average_probability=round(sum(p for _, p in items) / len(items), 2) if items else None,
            weighted_value=to_cents(sum((v * p / 100 for v, p in items), ZERO)),
        )
        for stage, items in by_stage.items()
    ]
    everything = [item for items in by_stage.values() for item in items]
    weighted = to_cents(sum((v * p / 100 for v, p in everything), ZERO))
    return PipelineSummary(stages, len(everything), sum((v for v, _ in everything), ZERO), weighted)


@dataclass(frozen=True)
class LostReasonSummary:
    reason: LostReason
    count: int
    lost_value: Decimal
    average_days_in_pipeline: float | None
    most_lost_at_stage: DealStage | None


def lost_analysis(
    rows: Iterable[tuple[LostReason, Decimal | None, int | None, DealStage | None]],
) -> list[LostReasonSummary]:
    grouped: dict[LostReason, list[tuple[Decimal, int | None, DealStage | None]]] = {}
    for reason, value, days, stage in rows:
        grouped.setdefault(reason, []).append((value or ZERO, days, stage))
    summaries = []
    for reason, items in grouped.items():
        durations = [d for _, d, _ in items if d is not None]
        stages = Counter(s for _, _, s in items if s is not None)
        summaries.append(
            LostReasonSummary(
                reason=reason,
                count=len(items),
                lost_value=sum((v for v, _, _ in items), ZERO),
                average_days_in_pipeline=round(sum(durations) / len(durations), 1)
                if durations
                else None,
                # Most frequent stage; ties go to the earlier stage in the pipeline.
                most_lost_at_stage=min(
                    stages,
                    key=lambda s: (-stages[s], OPEN_STAGES.index(s) if s in OPEN_STAGES else 99),
                )
                if stages
                else None,
            )
        )
    return sorted(summaries, key=lambda s: (-s.count, s.reason.value))


@dataclass(frozen=True)
class LostGroup:
    """Deals lost for one reason at one stage: count and sums."""

    reason: LostReason
    stage: DealStage | None
    count: int
    value_sum: Decimal | None
    days_sum: int | None
    days_count: int


def lost_from_groups(groups: Iterable[LostGroup]) -> list[LostReasonSummary]:
    """The same figures as `lost_analysis` over the deals the groups sum."""
    grouped: dict[LostReason, list[LostGroup]] = {}
    for group in groups:
        grouped.setdefault(group.reason, []).append(group)
    summaries = []
    for reason, items in grouped.items():
        days_count = sum(g.days_count for g in items)
        stages = Counter[DealStage]()
        for g in items:
            if g.stage is not None:
                stages[g.stage] += g.count
        summaries.append(
            LostReasonSummary(
                reason=reason,
                count=sum(g.count for g in items),
                lost_value=sum((g.value_sum for g in items if g.value_sum is not None), ZERO),
                average_days_in_pipeline=round(sum(g.days_sum or 0 for g in items) / days_count, 1)
                if days_count
                else None,
                most_lost_at_stage=_most_frequent_stage(stages),
            )
        )
    return sorted(summaries, key=lambda s: (-s.count, s.reason.value))


def _most_frequent_stage(stages: Counter[DealStage]) -> DealStage | None:
    """Most frequent stage; ties go to the earlier stage in the pipeline."""
    if not stages:
        return None
    return min(stages, key=lambda s: (-stages[s], OPEN_STAGES.index(s) if s in OPEN_STAGES else 99))


@dataclass(frozen=True)
class SummaryDifference:
    """One summary key where the maintained read model and a recompute from the rows differ."""

    tenant_id: str
    status: str
    stage: str
    currency: str
    kept_deals: int
    recomputed_deals: int
    kept_value: Decimal
    recomputed_value: Decimal
    kept_probability: int
    recomputed_probability: int
    kept_weighted: Decimal
    recomputed_weighted: Decimal


@dataclass(frozen=True)
class LostMonthDifference:
    """One month, reason and stage left where lost-deal analysis's kept monthly rollup and a
    recompute from the deals differ: (deals, value sum, days sum, days counted) each."""

    tenant_id: str
    month: date
    reason: str
    stage_left: str
    kept: tuple[Decimal, ...]
    recomputed: tuple[Decimal, ...]
