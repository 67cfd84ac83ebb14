"""`domain.lead_days`: the per-day counters a lead adds to, and the deltas of rows rewritten."""

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from attribution.domain.lead_days import lead_day_counters, lead_day_deltas, lead_day_totals
from attribution.domain.leads import Lead, LeadStatus

T0 = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


def lead(
    email: str,
    active: datetime,
    booked: datetime | None = None,
    won: datetime | None = None,
) -> Lead:
    return Lead(
        email=email, company_domain="co.com", status=LeadStatus.TOUCHED, first_seen_at=active,
        first_touch_at=active, first_touch_channel="Email", last_touch_at=active, touches=1,
        meetings=0, deal_ids=(), won_since_first_seen=False, last_active_at=active,
        last_booked_at=booked, last_won_at=won,
    )  # fmt: skip


def test_counters_by_utc_day_won_by_the_earlier_time() -> None:
    # 23:30 UTC is the 10th in UTC whatever the offset it was written with.
    east = T0.astimezone(ZoneInfo("Asia/Tokyo"))
    # Active and first seen that day (a lead is first seen at its first touch, here its only).
    assert lead_day_counters(lead("a@x.com", east)) == [
        (date(2026, 3, 10), 0),
        (date(2026, 3, 10), 3),
    ]
    closed_later = lead("b@x.com", T0, booked=T0 - timedelta(days=2), won=T0 + timedelta(days=3))
    assert lead_day_counters(closed_later)[:3] == [
        (date(2026, 3, 10), 0),
        (date(2026, 3, 8), 1),
        (date(2026, 3, 10), 2),  # active before the close: counted by the activity's day
    ]
    closed_earlier = lead("c@x.com", T0, won=T0 - timedelta(days=5))
    assert (date(2026, 3, 5), 2) in lead_day_counters(closed_earlier)


def test_the_cohort_counts_by_the_first_sighting() -> None:
    seen = replace(lead("a@x.com", T0), first_seen_at=T0 - timedelta(days=30), meetings=1,
                   won_since_first_seen=True)  # fmt: skip
    assert lead_day_counters(seen)[-3:] == [
        (date(2026, 2, 8), 3),
        (date(2026, 2, 8), 4),
        (date(2026, 2, 8), 5),
    ]


def test_a_row_moving_takes_one_from_its_old_day_and_adds_one_to_its_new() -> None:
    before = lead("a@x.com", T0)
    after = lead("a@x.com", T0 + timedelta(days=1), booked=T0 + timedelta(days=1))
    after = replace(after, first_seen_at=before.first_seen_at)  # the same first sighting
    assert lead_day_deltas([(before, after)]) == {
        date(2026, 3, 10): (-1, 0, 0, 0, 0, 0),
        date(2026, 3, 11): (1, 1, 0, 0, 0, 0),
    }
    # Unchanged days cancel out and are left out; a row gone takes its counts away.
    assert (
        lead_day_deltas([(before, replace(before, last_active_at=T0 + timedelta(minutes=5)))]) == {}
    )
    assert lead_day_deltas([(after, None)]) == {
        date(2026, 3, 10): (0, 0, 0, -1, 0, 0),
        date(2026, 3, 11): (-1, -1, 0, 0, 0, 0),
    }


def test_deltas_applied_in_any_order_give_the_totals_of_the_rows() -> None:
    rng = random.Random(5)

    def some(email: str) -> Lead:
        at = T0 - timedelta(hours=rng.randint(0, 24 * 30))
        booked = at - timedelta(hours=rng.randint(0, 48)) if rng.random() < 0.5 else None
        won = at + timedelta(hours=rng.randint(-72, 72)) if rng.random() < 0.4 else None
        seen = at - timedelta(hours=rng.randint(0, 24 * 60))
        won_since = rng.random() < 0.3
        found = lead(email, at, booked, won)
        return replace(found, first_seen_at=seen, meetings=rng.randint(0, 1),
                       won_since_first_seen=won_since)  # fmt: skip

    rows: dict[str, Lead] = {}
    kept: dict[date, list[int]] = {}
    for _ in range(2_000):
        email = f"p{rng.randint(0, 60)}@x.com"
        after = None if rng.random() < 0.1 else some(email)
        for day, counts in lead_day_deltas([(rows.get(email), after)]).items():
            kept[day] = [k + c for k, c in zip(kept.get(day, [0] * 6), counts, strict=True)]
        if after is None:
            rows.pop(email, None)
        else:
            rows[email] = after
    nonzero = {day: tuple(c) for day, c in kept.items() if any(c)}
    assert nonzero == lead_day_totals(rows.values())
