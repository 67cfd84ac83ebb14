"""Every model on 1- and 2-touch journeys, milestone collisions and the tenant parameters."""

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction as F

import pytest

from attribution.domain.models import (
    STANDARD_MODELS,
    CustomModel,
    ScoreModel,
    TimeDecay,
    rule_based_model,
)
from attribution.domain.touches import ActivityType, Touch
from attribution.domain.weighting import Journey, Milestones, Model, ModelName, Role

WON = datetime(2025, 6, 30, 12, tzinfo=UTC)


def journey(
    days_before: Sequence[float],
    *,
    channels: Sequence[str] | None = None,
    kinds: Sequence[ActivityType] | None = None,
    lead: float | None = None,
    deal: float | None = None,
) -> Journey:
    """Touches at these days before WON; milestones likewise (None: the milestone is absent)."""
    touches = [
        Touch(
            f"t{i + 1}",
            "jane@acme.com",
            WON - timedelta(days=d),
            kinds[i] if kinds else ActivityType.WEB_VISIT,
        )
        for i, d in enumerate(days_before)
    ]
    stones = Milestones(
        WON - timedelta(days=lead) if lead is not None else None,
        WON - timedelta(days=deal) if deal is not None else None,
        WON,
    )
    return Journey(touches, channels or ["Email"] * len(touches), WON, stones)


def weights(model: Model, path: Journey) -> list[F]:
    return model.weigh(path).weights()


@pytest.mark.parametrize("name", list(STANDARD_MODELS))
def test_one_touch_gets_everything(name: ModelName) -> None:
    assert weights(STANDARD_MODELS[name], journey([5], lead=6, deal=6)) == [1]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("first_touch", [1, 0]),
        ("last_touch", [0, 1]),
        ("last_non_direct", [0, 1]),
        ("linear", [F(1, 2), F(1, 2)]),
        ("position_based", [F(1, 2), F(1, 2)]),  # 40/40 renormalised
        ("j_shaped", [F(1, 4), F(3, 4)]),  # 20/60 renormalised (eeghor/mta's rule)
        ("inverse_j", [F(3, 4), F(1, 4)]),
        ("w_shaped", [F(2, 3), F(1, 3)]),  # t1 first + lead 60, t2 deal 30
        ("full_path", [F(1, 2), F(1, 2)]),  # t1 first + lead, t2 deal + won
        ("time_decay", [F(1, 3), F(2, 3)]),  # one half-life apart: exactly 1 : 2
    ],
)
def test_two_touches(name: str, expected: list[F]) -> None:
    path = journey([7, 0], channels=["Email", "Phone"], lead=3, deal=0)
    assert weights(STANDARD_MODELS[ModelName(name)], path) == expected


class TestMilestones:
    def test_first_and_lead_on_one_touch_add_up(self) -> None:
        weighing = STANDARD_MODELS[ModelName.W_SHAPED].weigh(journey([9, 6, 3], lead=8, deal=2))
        assert weighing.weights() == [F(3, 5), F(1, 10), F(3, 10)]
        assert weighing.roles[0] == (Role.FIRST, Role.LEAD_CREATION)
        assert weighing.reasons[0] == "first touch 30% + lead creation 30%"

    def test_every_milestone_on_the_last_touch(self) -> None:
        path = journey([9, 6, 3], lead=1, deal=1)
        weighing = STANDARD_MODELS[ModelName.FULL_PATH].weigh(path)
        assert weighing.weights() == [F(9, 40), F(1, 10), F(27, 40)]
        assert weighing.roles[2] == (Role.LEAD_CREATION, Role.DEAL_CREATION, Role.CLOSED_WON)

    def test_no_touch_without_a_role_renormalises_the_role_weights(self) -> None:
        weighing = STANDARD_MODELS[ModelName.W_SHAPED].weigh(journey([9, 6, 3], lead=5, deal=2))
        assert weighing.weights() == [F(1, 3)] * 3
        assert weighing.reasons[1] == "lead creation 30%; renormalised to 33.33%"

    @pytest.mark.parametrize("lead", [None, 20], ids=["no meeting", "meeting before any touch"])
    def test_a_milestone_without_a_touch_renormalises(self, lead: float | None) -> None:
        path = journey([9, 6, 4, 3], lead=lead, deal=2)
        assert weights(STANDARD_MODELS[ModelName.W_SHAPED], path) == [
            F(3, 7),
            F(1, 14),
            F(1, 14),
            F(3, 7),
        ]

    def test_naive_milestones_are_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            Milestones(deal_created_at=datetime(2025, 1, 1))

    def test_a_touch_at_the_milestone_instant_holds_it(self) -> None:
        weighing = STANDARD_MODELS[ModelName.W_SHAPED].weigh(journey([9, 6, 3], lead=6, deal=3))
        assert weighing.roles == [(Role.FIRST,), (Role.LEAD_CREATION,), (Role.DEAL_CREATION,)]


class TestLastNonDirect:
    def test_skips_trailing_direct_touches(self) -> None:
        path = journey([3, 2, 1], channels=["Email", "Direct", "Direct"])
        weighing = STANDARD_MODELS[ModelName.LAST_NON_DIRECT].weigh(path)
        assert weighing.weights() == [1, 0, 0]
        assert weighing.roles[0] == (Role.LAST_NON_DIRECT,)

    def test_falls_back_to_the_last_touch_when_all_are_direct(self) -> None:
        path = journey([3, 2], channels=["Direct", "Direct"])
        weighing = STANDARD_MODELS[ModelName.LAST_NON_DIRECT].weigh(path)
        assert weighing.weights() == [0, 1]
        assert weighing.reasons[1] == "last touch 100% (every touch is Direct)"


class TestTimeDecay:
    def test_half_life_is_a_tenant_parameter(self) -> None:
        path = journey([2, 1, 0])
        assert weights(TimeDecay(timedelta(days=1)), path) == [F(1, 7), F(2, 7), F(4, 7)]
        assert TimeDecay(timedelta(days=1)).params() == {"half_life_days": "1/1"}
        assert rule_based_model("time_decay", half_life=timedelta(hours=12)).params() == {
            "half_life_days": "1/2"
        }

    def test_the_raw_weight_is_the_decay_factor(self) -> None:
        weighing = TimeDecay().weigh(journey([14, 7, 0]))
        assert [weighing.raw_weight(i) for i in range(3)] == [F(1, 4), F(1, 2), 1]
        assert weighing.reasons[0] == "2^(-14/7) decay, normalised"

    def test_refuses_touches_after_the_conversion_and_a_zero_half_life(self) -> None:
        with pytest.raises(ValueError, match="at or before"):
            TimeDecay().weigh(journey([-1]))
        with pytest.raises(ValueError, match="positive"):
            TimeDecay(timedelta(0))


class TestCustom:
    def test_type_weights_multiply_then_renormalise(self) -> None:
        model = CustomModel(
            {Role.FIRST: F(1, 2)},
            {ActivityType.EMAIL_SENT: F(1, 2), ActivityType.CALL: F(0)},
        )
        kinds = [ActivityType.WEB_VISIT, ActivityType.EMAIL_SENT, ActivityType.CALL]
        weighing = model.weigh(journey([3, 2, 1], kinds=kinds))
        assert weighing.weights() == [F(4, 5), F(1, 5), 0]
        assert weighing.reasons[2] == "middle: 50% split over 2 touches; x 0% for call"
        assert model.params() == {
            "role_weights": {"first": "1/2"},
            "type_weights": {"call": "0/1", "email_sent": "1/2"},
        }

    def test_invalid_custom_weights_are_refused(self) -> None:
        with pytest.raises(ValueError, match="at most 1"):
            CustomModel({Role.FIRST: F(3, 4), Role.LAST: F(1, 2)})
        with pytest.raises(ValueError, match="non-negative"):
            CustomModel({Role.FIRST: F(1, 2)}, {ActivityType.CALL: F(-1)})
        with pytest.raises(ValueError, match="roles"):
            CustomModel({Role.MIDDLE: F(1, 2)})

    def test_the_registry_needs_the_tenant_weights_and_refuses_data_driven_names(self) -> None:
        with pytest.raises(ValueError, match="custom weights"):
            rule_based_model("custom")
        with pytest.raises(ValueError, match="data-driven"):
            rule_based_model("markov")
        custom = CustomModel({Role.LAST: F(1)})
        assert rule_based_model("custom", custom=custom) is custom


class TestScoreModel:
    def test_splits_by_channel_score_per_touch(self) -> None:
        model = ScoreModel(ModelName.MARKOV, {"Email": F(1, 4), "Phone": F(1, 2)})
        path = journey([3, 2, 1], channels=["Email", "Phone", "Email"])
        assert weights(model, path) == [F(1, 4), F(1, 2), F(1, 4)]

    def test_no_score_for_any_channel_falls_back_to_an_equal_split(self) -> None:
        model = ScoreModel(ModelName.SHAPLEY, {"Email": F(1)})
        weighing = model.weigh(journey([2, 1], channels=["Phone", "Events"]))
        assert weighing.weights() == [F(1, 2), F(1, 2)]
        assert "no shapley credit" in weighing.reasons[0]


def test_random_journeys_give_non_negative_weights_summing_to_one() -> None:
    rng = random.Random(20250630)
    for _ in range(300):
        n = rng.randint(1, 12)
        days = sorted((rng.uniform(0, 89) for _ in range(n)), reverse=True)
        channels = [rng.choice(["Direct", "Email", "Phone"]) for _ in range(n)]
        path = journey(days, channels=channels, lead=rng.uniform(0, 95), deal=rng.uniform(0, 95))
        for model in STANDARD_MODELS.values():
            found = weights(model, path)
            assert sum(found) == 1
            assert min(found) >= 0
