"""A whole run: cents that sum to the value, the unattributed row, the input hash, determinism."""

import os
import random
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import pytest

import attribution
from attribution.domain.default_channels import default_rule_set
from attribution.domain.models import (
    LINEAR,
    POSITION_BASED,
    STANDARD_MODELS,
    CustomModel,
    ScoreModel,
    TimeDecay,
)
from attribution.domain.money import UNATTRIBUTED
from attribution.domain.run import NO_ELIGIBLE_TOUCH, RunInput, compute_run
from attribution.domain.touches import ActivityType, Touch, Utm, Window
from attribution.domain.weighting import Milestones, Model, ModelName, Role

WON = datetime(2025, 6, 30, 12, tzinfo=UTC)
RULES = default_rule_set()
KINDS = list(ActivityType)


def touches(
    *days_and_kinds: tuple[float, ActivityType], person: str = "jane@acme.com"
) -> list[Touch]:
    return [
        Touch(f"t{i}", person, WON - timedelta(days=days), kind)
        for i, (days, kind) in enumerate(days_and_kinds, start=1)
    ]


def run_of(
    journey: list[Touch], model: Model = LINEAR, value: int = 10_000, **kw: object
) -> RunInput:
    return RunInput("deal-1", journey, WON, value, "USD", model, RULES, **kw)  # type: ignore[arg-type]


class TestUnattributed:
    def test_no_eligible_touch_gives_one_row_holding_the_whole_value(self) -> None:
        late = touches((-1, ActivityType.CALL))
        result = compute_run(run_of(late, value=123_45))
        assert result.touches == ()
        assert [(c.channel, c.minor_units, c.weight) for c in result.channels] == [
            (UNATTRIBUTED, 123_45, 1)
        ]
        assert result.unattributed_reason == NO_ELIGIBLE_TOUCH
        [excluded] = result.excluded
        assert excluded.to_dict()["reason"] == "after_conversion"
        assert excluded.to_dict()["channel"] == "Phone"

    def test_an_empty_journey_is_unattributed_too(self) -> None:
        result = compute_run(run_of([]))
        assert [c.channel for c in result.channels] == [UNATTRIBUTED]

    def test_touches_that_all_weigh_zero_leave_the_value_unattributed(self) -> None:
        model = CustomModel({}, {ActivityType.CALL: Fraction(0)})
        result = compute_run(run_of(touches((2, ActivityType.CALL)), model))
        assert [t.minor_units for t in result.touches] == [0]
        assert {c.channel: c.minor_units for c in result.channels} == {
            UNATTRIBUTED: 10_000,
            "Phone": 0,
        }


class TestExplanation:
    def test_each_touch_says_what_it_earned_and_why(self) -> None:
        journey = touches(
            (9, ActivityType.EMAIL_SENT),
            (5, ActivityType.CALL),
            (1, ActivityType.LINKEDIN_MESSAGE),
            (0.5, ActivityType.EMAIL_OPENED),
        )
        result = compute_run(run_of(journey, POSITION_BASED))
        first = result.touches[0].to_dict()
        assert first == {
            "touch_id": "t1",
            "person_email": "jane@acme.com",
            "occurred_at": "2025-06-21T12:00:00.000000+00:00",
            "activity_type": "email_sent",
            "channel": "Outbound Email",
            "channel_rule_id": "outbound-email",
            "roles": ["first"],
            "raw_weight": "2/5",
            "weight": "2/5",
            "minor_units": 4_000,
            "reason": "first touch 40%",
        }
        assert result.touches[1].roles == (Role.MIDDLE,)
        assert [e.exclusion.detail for e in result.excluded] == ["type not eligible: email_opened"]
        assert [(c.channel, c.minor_units, c.touches) for c in result.channels] == [
            ("LinkedIn (Outbound)", 4_000, 1),
            ("Outbound Email", 4_000, 1),
            ("Phone", 2_000, 1),
        ]

    def test_a_manually_logged_call_earns_credit(self) -> None:
        result = compute_run(run_of(touches((3, ActivityType.CALL))))
        assert result.touches[0].minor_units == 10_000


class TestInputHash:
    def test_order_and_time_zone_of_the_input_do_not_matter(self) -> None:
        journey = touches((3, ActivityType.CALL), (1, ActivityType.SMS))
        plus_five = timezone(timedelta(hours=5))
        shifted = [replace(t, occurred_at=t.occurred_at.astimezone(plus_five)) for t in journey]
        a = compute_run(run_of(journey))
        b = compute_run(replace(run_of(shifted[::-1]), conversion_at=WON.astimezone(plus_five)))
        assert a.input_hash == b.input_hash
        assert a.to_json() == b.to_json()  # instants are written in UTC

    @pytest.mark.parametrize(
        "change",
        [
            {"value_minor": 10_001},
            {"model": TimeDecay(timedelta(days=3))},
            {"rules": default_rule_set(version=2)},
            {"window": Window(lookback_days=30)},
            {"milestones": Milestones(deal_created_at=WON)},
            {"deal_id": "deal-2"},
        ],
        ids=lambda change: next(iter(change)),
    )
    def test_any_input_changes_the_hash(self, change: dict[str, object]) -> None:
        base = run_of(touches((3, ActivityType.CALL)), TimeDecay())
        assert compute_run(base).input_hash != compute_run(replace(base, **change)).input_hash  # type: ignore[arg-type]

    def test_touch_content_changes_the_hash(self) -> None:
        journey = touches((3, ActivityType.WEB_VISIT))
        tagged = [replace(journey[0], utm=Utm("google", "cpc"))]
        assert compute_run(run_of(journey)).input_hash != compute_run(run_of(tagged)).input_hash


# Built and printed by two fresh interpreters with different hash seeds (set and dict order of
# strings changes with the seed) and compared byte for byte with this process.
SCRIPT = """
from datetime import UTC, datetime, timedelta
from attribution.domain.default_channels import default_rule_set
from attribution.domain.markov import removal_effects
from attribution.domain.models import STANDARD_MODELS, ScoreModel, ModelName
from attribution.domain.paths import PathCount
from attribution.domain.run import RunInput, compute_run
from attribution.domain.shapley import channel_shapley
from attribution.domain.touches import ActivityType, Touch, Utm
from attribution.domain.weighting import Milestones

def build():
    won = datetime(2025, 6, 30, 12, tzinfo=UTC)
    kinds = [(ActivityType.AD_CLICK, Utm("google", "cpc")), (ActivityType.EMAIL_SENT, Utm()),
             (ActivityType.CALL, Utm()), (ActivityType.WEB_VISIT, Utm("bing", "organic")),
             (ActivityType.LINKEDIN_MESSAGE, Utm()), (ActivityType.WEB_VISIT, Utm())]
    journey = [Touch(f"t{i}", f"p{i % 2}@acme.com", won - timedelta(hours=7 * i + 0.5), kind,
                     utm=utm, metadata={"z": i, "a": [1, "x"]})
               for i, (kind, utm) in enumerate(kinds * 2)]
    paths = [PathCount(("Email", "Paid Search", "Phone"), 3, 4), PathCount(("Phone",), 1, 5),
             PathCount(("Organic Search", "Email"), 2, 1), PathCount(("Direct",), 0, 3)]
    markov, shapley = removal_effects(paths), channel_shapley(paths)
    stones = Milestones(won - timedelta(days=2), won - timedelta(days=1), won)
    models = [*STANDARD_MODELS.values(), ScoreModel(ModelName.MARKOV, markov.removal_effects),
              ScoreModel(ModelName.SHAPLEY, shapley.values)]
    out = [markov.to_json(), shapley.to_json()]
    for model in models:
        run = compute_run(RunInput("d", journey, won, 987_654_321, "EUR", model,
                                   default_rule_set(), stones))
        out.append(run.to_json())
    return b"\\n".join(out)
"""


def test_two_processes_give_byte_identical_runs() -> None:
    namespace: dict[str, object] = {}
    exec(SCRIPT, namespace)  # noqa: S102 - our own fixed text
    here = namespace["build"]()  # type: ignore[operator]
    source = str(Path(attribution.__file__).parents[1])
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": source, "PYTHONHASHSEED": seed}
        code = SCRIPT + "\nimport sys\nsys.stdout.buffer.write(build())\n"
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, check=True
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == here
    assert here.count(b"\n") == 13  # markov, shapley and 12 runs


def test_every_model_sums_to_the_cent_over_random_journeys() -> None:
    rng = random.Random(9)
    scores = ScoreModel(
        ModelName.MARKOV, {"Phone": Fraction(1, 3), "Outbound Email": Fraction(2, 7)}
    )
    custom = CustomModel(
        {Role.FIRST: Fraction(1, 3), Role.DEAL_CREATION: Fraction(1, 6)},
        {ActivityType.WEB_VISIT: Fraction(1, 10)},
    )
    models = [*STANDARD_MODELS.values(), scores, custom, TimeDecay(timedelta(hours=5))]
    for _ in range(400):
        n = rng.randint(0, 15)
        journey = [
            Touch(
                f"t{i}",
                f"p{rng.randint(1, 3)}@acme.com",
                WON - timedelta(seconds=rng.randint(-86_400, 120 * 86_400)),
                rng.choice(KINDS),
            )
            for i in range(n)
        ]
        value = rng.choice([0, 1, 7, 99, 10_000, rng.randint(0, 10**10)])
        stones = Milestones(WON - timedelta(days=rng.randint(0, 100)), WON - timedelta(days=1), WON)
        for model in models:
            result = compute_run(run_of(journey, model, value, milestones=stones))
            assert sum(c.minor_units for c in result.channels) == value
            assert sum(t.minor_units for t in result.touches) == (
                0 if result.unattributed_reason else value
            )
            assert len(result.touches) + len(result.excluded) == n
