"""Which runs a won deal gets: one per enabled model over the account journey (pure)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from attribution.domain.channels import RuleSet
from attribution.domain.markov import ChainCounts, chain_removal_effects
from attribution.domain.models import ScoreModel, UnavailableModel, rule_based_model
from attribution.domain.run import RunInput
from attribution.domain.settings import DEFAULT_MODELS, RunSettings
from attribution.domain.shapley import TooManyChannelGroups, channel_shapley
from attribution.domain.touches import DEFAULT_WINDOW, Touch, Window, select_eligible
from attribution.domain.training import ClosedJourney, Training, training_cutoff, trainings
from attribution.domain.weighting import Milestones, Model, ModelName

__all__ = [
    "DEFAULT_MODELS",
    "ClosedDeal",
    "DealFacts",
    "ModelsAsOf",
    "channel_path",
    "deal_inputs",
    "enabled_models",
]


@dataclass(frozen=True, slots=True)
class DealFacts:
    deal_id: str
    value_minor: int
    currency: str
    conversion_at: datetime
    milestones: Milestones


@dataclass(frozen=True, slots=True)
class ClosedDeal:
    """A won or lost deal as its latest event described it: everything a run needs besides the
    touches, kept so that a late touch or a recompute can attribute it again without the event.

    `linked_emails` are the people who join the journey by name (the meetings' attendees and
    the primary contact), `company_domain` the registrable domain whose people join it.
    """

    tenant_id: str
    deal_id: UUID
    won: bool
    company_domain: str | None
    linked_emails: tuple[str, ...]
    value_minor: int
    currency: str
    closed_at: datetime
    milestones: Milestones

    def facts(self) -> DealFacts:
        return DealFacts(
            deal_id=str(self.deal_id),
            value_minor=self.value_minor,
            currency=self.currency,
            conversion_at=self.closed_at,
            milestones=self.milestones,
        )


def channel_path(
    touches: Iterable[Touch], rules: RuleSet, closed_at: datetime, window: Window = DEFAULT_WINDOW
) -> list[str]:
    """The channels of a closed deal's eligible touches (by the tenant's window), in order:
    the data-driven models' training data."""
    found = select_eligible(touches, conversion_at=closed_at, window=window)
    return [rules.classify(t).channel for t in found.eligible]


def enabled_models(settings: RunSettings, training: Training | None = None) -> list[Model]:
    """The tenant's models with its parameters; markov and shapley score channels over
    `training` (the journeys closed before the deal's conversion day, `training.trainings`;
    pass it when `settings.needs_training`) and record it in their parameters.

    Shapley over more than 16 channel groups cannot be enumerated: it becomes an
    UnavailableModel, so the run is still recorded (value unattributed, reason given) and the
    other models run as usual; a consumer never fails on it.
    """
    chain = training.chain if training is not None else ChainCounts()
    sets = (training.channel_sets if training is not None else None) or ()
    models: list[Model] = []
    for name in settings.models:
        if name is ModelName.MARKOV:
            models.append(ScoreModel(name, chain_removal_effects(chain).shares, training))
        elif name is ModelName.SHAPLEY:
            try:
                models.append(ScoreModel(name, channel_shapley(sets).shares, training))
            except TooManyChannelGroups as error:
                models.append(UnavailableModel(name, str(error)))
        elif name is ModelName.CUSTOM:
            if settings.custom_weights is None:  # RunSettings refuses this; a clear message
                raise ValueError("custom is enabled but custom_weights are not set")
            models.append(settings.custom_weights.model())
        else:
            models.append(rule_based_model(name, half_life=settings.half_life))
    return models


class ModelsAsOf:
    """A tenant's models for any conversion: the rule-based ones the same for every deal,
    markov and shapley trained as of the conversion's day (`training.training_cutoff`) on
    `journeys`, once per day (`prepare` trains many days in one pass)."""

    def __init__(
        self, settings: RunSettings | None, journeys: Sequence[ClosedJourney] = ()
    ) -> None:
        """`settings` None: no model (e.g. a recompute pass whose models the tenant disabled)."""
        self.settings = settings
        self._journeys = journeys
        self._fixed = (
            []
            if settings is None
            else None
            if settings.needs_training
            else enabled_models(settings)
        )
        self._by_cutoff: dict[datetime, list[Model]] = {}

    @property
    def empty(self) -> bool:
        return self._fixed == []

    def prepare(self, conversions: Iterable[datetime]) -> None:
        """Trains the models of these conversions' days not trained yet, in one pass."""
        if self._fixed is not None:
            return
        missing = {training_cutoff(c) for c in conversions} - self._by_cutoff.keys()
        assert self.settings is not None  # `_fixed` is set without settings
        with_sets = ModelName.SHAPLEY in self.settings.models
        for cutoff, training in trainings(self._journeys, missing, channel_sets=with_sets).items():
            self._by_cutoff[cutoff] = enabled_models(self.settings, training)

    def of(self, conversion_at: datetime) -> list[Model]:
        """The models a deal converted at `conversion_at` is attributed with."""
        if self._fixed is not None:
            return self._fixed
        cutoff = training_cutoff(conversion_at)
        if cutoff not in self._by_cutoff:
            self.prepare([conversion_at])
        return self._by_cutoff[cutoff]


def deal_inputs(
    facts: DealFacts,
    touches: Sequence[Touch],
    rules: RuleSet,
    models: Sequence[Model],
    window: Window = DEFAULT_WINDOW,
) -> list[RunInput]:
    """What each model's run of the deal takes (`compute_run` turns one into the run)."""
    return [
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
        for model in models
    ]
