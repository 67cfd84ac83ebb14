"""Which runs a won deal gets: one per enabled model over the account journey (pure)."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from attribution.domain.channels import RuleSet
from attribution.domain.markov import removal_effects
from attribution.domain.models import STANDARD_MODELS, ScoreModel, rule_based_model
from attribution.domain.paths import path_counts
from attribution.domain.run import AttributionRun, RunInput, compute_run
from attribution.domain.touches import DEFAULT_WINDOW, Touch, Window, select_eligible
from attribution.domain.weighting import Milestones, Model, ModelName

#: Tenant settings key: the model names to run (absent = every standard rule-based model and
#: markov; `custom` needs its weights and `shapley` its training, so neither runs by default).
MODELS_SETTING = "attribution_models"
DEFAULT_MODELS: tuple[ModelName, ...] = (*STANDARD_MODELS, ModelName.MARKOV)


@dataclass(frozen=True, slots=True)
class DealFacts:
    deal_id: str
    value_minor: int
    currency: str
    conversion_at: datetime
    milestones: Milestones


def channel_path(touches: Iterable[Touch], rules: RuleSet, closed_at: datetime) -> list[str]:
    """The channels of a closed deal's eligible touches, in order: Markov's training data."""
    found = select_eligible(touches, conversion_at=closed_at, window=DEFAULT_WINDOW)
    return [rules.classify(t).channel for t in found.eligible]


def enabled_models(
    settings: Mapping[str, Any], journeys: Iterable[tuple[Sequence[str], bool]]
) -> list[Model]:
    """The tenant's models; markov scores channels over its closed deals' journeys."""
    names = [ModelName(n) for n in settings.get(MODELS_SETTING) or DEFAULT_MODELS]
    models: list[Model] = []
    for name in names:
        if name is ModelName.MARKOV:
            trained = [(path, won) for path, won in journeys if path]
            models.append(ScoreModel(name, removal_effects(path_counts(trained)).shares))
        else:
            models.append(rule_based_model(name))
    return models


def deal_runs(
    facts: DealFacts,
    touches: Sequence[Touch],
    rules: RuleSet,
    models: Sequence[Model],
    window: Window = DEFAULT_WINDOW,
) -> list[AttributionRun]:
    return [
        compute_run(
            RunInput(
                deal_id=facts.deal_id,
                touches=touches,
                conversion_at=facts.conversion_at,
                value_minor=facts.value_minor,
                currency=facts.currency,
                model=model,
                rules=rules,
                milestones=facts.milestones,
                window=window,
            )
        )
        for model in models
    ]
