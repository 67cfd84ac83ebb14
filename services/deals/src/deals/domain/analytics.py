"""Pipeline summary and lost-deal analysis. Pure."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PipelineSummary:
    stages: list[StageSummary]
    count: int
    total_value: Decimal
    weighted_value: Decimal


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
