"""Rule-based attribution models in-process: deals per second, one core.

    PYTHONPATH=services/attribution/src .venv/bin/python bench/attribution/models.py
    ... --deals 100000 --touches 10 --models linear,time_decay

Two figures per model:
* `weigh+cents`: the model's weights and the largest-remainder split (the recompute hot path);
* `full run`: `compute_run`, i.e. also eligibility, channel rules, the per-touch explanation
  (Fractions, reasons) and the sha256 input hash.
Journeys are generated (seeded) in chunks outside the timed region, so memory stays bounded and
generation does not count. Rates are per CPU second of this process (time.process_time), which
other load on a shared machine does not inflate; wall-clock rates are printed alongside.
Target (issue 9): >= 5,000 deals/s per rule-based model.
"""

import argparse
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from attribution.domain.default_channels import default_rule_set
from attribution.domain.models import STANDARD_MODELS, Journey
from attribution.domain.money import allocate
from attribution.domain.run import RunInput, compute_run
from attribution.domain.touches import ActivityType, Touch, Utm
from attribution.domain.weighting import Milestones, ModelName

CHUNK = 5_000
WON = datetime(2025, 6, 30, 12, tzinfo=UTC)
KINDS = [
    (ActivityType.EMAIL_SENT, Utm()),
    (ActivityType.EMAIL_REPLIED, Utm()),
    (ActivityType.LINKEDIN_MESSAGE, Utm()),
    (ActivityType.CALL, Utm()),
    (ActivityType.WEB_VISIT, Utm()),
    (ActivityType.WEB_VISIT, Utm("google", "organic")),
    (ActivityType.AD_CLICK, Utm("google", "cpc", "brand")),
    (ActivityType.AD_CLICK, Utm("linkedin", "paid_social", "abm")),
    (ActivityType.FORM_SUBMIT, Utm("newsletter", "email")),
    (ActivityType.MEETING_BOOKED, Utm()),
]


def journeys(
    count: int, touches: int, seed: int
) -> Iterator[list[tuple[list[Touch], Milestones, int]]]:
    rng = random.Random(seed)
    for start in range(0, count, CHUNK):
        chunk = []
        for deal in range(start, min(count, start + CHUNK)):
            items = []
            for i in range(touches):
                kind, utm = rng.choice(KINDS)
                age = timedelta(seconds=rng.randrange(0, 60 * 86_400))
                person = f"p{i % 3}@acme{deal}.com"
                items.append(Touch(f"d{deal}-t{i}", person, WON - age, kind, utm=utm))
            stones = Milestones(WON - timedelta(days=20), WON - timedelta(days=5), WON)
            chunk.append((items, stones, rng.randrange(1, 10_000_000)))
        yield chunk


class Clock:
    """CPU and wall seconds spent inside `with clock:` blocks."""

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0

    def __enter__(self) -> None:
        self._cpu, self._wall = time.process_time(), time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self.cpu += time.process_time() - self._cpu
        self.wall += time.perf_counter() - self._wall


def bench(name: ModelName, deals: int, touches: int, seed: int) -> tuple[Clock, Clock]:
    model = STANDARD_MODELS[name]
    rules = default_rule_set()
    core, full = Clock(), Clock()
    for chunk in journeys(deals, touches, seed):
        prepared = []
        for items, stones, value in chunk:
            ordered = sorted(items, key=lambda t: (t.occurred_at, t.touch_id))
            channels = [rules.classify(t).channel for t in ordered]
            prepared.append((Journey(ordered, channels, WON, stones), value))
        with core:
            for journey, value in prepared:
                allocate(value, model.weigh(journey).numerators)
        with full:
            for items, stones, value in chunk:
                compute_run(RunInput("deal", items, WON, value, "USD", model, rules, stones))
    return core, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--touches", type=int, default=10)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--models", default=",".join(STANDARD_MODELS))
    args = parser.parse_args()
    n = args.deals
    print(f"{n:,} deals x {args.touches} touches, one process; deals/s per CPU s (per wall s)")
    print(f"{'model':<16} {'weigh+cents':>22} {'full run':>22}")
    for name in args.models.split(","):
        core, full = bench(ModelName(name), n, args.touches, args.seed)
        print(
            f"{name:<16} {n / core.cpu:>10,.0f} ({n / core.wall:>8,.0f})"
            f" {n / full.cpu:>10,.0f} ({n / full.wall:>8,.0f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
