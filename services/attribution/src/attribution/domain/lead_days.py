"""The funnel's leads per UTC day (`lead_days`, migrations 0024, 0028): for the period, how many
leads have their latest activity, their latest booking, and the earlier of their latest won
close and latest activity on each day; for the cohort, how many were first seen that day, of
those in a meeting and won since. A window's whole days are summed from it; only the partial
days at its ends are counted from the leads rows (`db.reporting.period_leads_query`,
`cohort_leads_query`).

Why the earlier of the two for won: a lead counts as won in a window ending now when both its
latest won close and its latest activity are in it; for times not after now that is the
earlier of the two being at or after the window's start."""

from collections.abc import Iterable
from datetime import UTC, date, datetime

from attribution.domain.leads import Lead

#: A day's counters: the period's (active, booked, won), the cohort's (seen, seen_met,
#: seen_won).
DayCounts = tuple[int, int, int, int, int, int]
COUNTERS = ("active", "booked", "won", "seen", "seen_met", "seen_won")


def lead_day_counters(lead: Lead) -> list[tuple[date, int]]:
    """The (day, counter) pairs a lead adds one to, counters indexing `COUNTERS`: its latest
    activity's day (active), latest booking's (booked), the earlier of its latest won close and
    latest activity's (won); its first sighting's (seen, and seen_met when it is in a meeting,
    seen_won when won since)."""
    found = [(_day(lead.last_active_at), 0)]
    if lead.last_booked_at is not None:
        found.append((_day(lead.last_booked_at), 1))
    if lead.last_won_at is not None:
        found.append((_day(min(lead.last_won_at, lead.last_active_at)), 2))
    seen = _day(lead.first_seen_at)
    found.append((seen, 3))
    if lead.meetings > 0:
        found.append((seen, 4))
    if lead.won_since_first_seen:
        found.append((seen, 5))
    return found


def lead_day_deltas(changes: Iterable[tuple[Lead | None, Lead | None]]) -> dict[date, DayCounts]:
    """What (before, after) pairs of leads rows (None: no row) change in `lead_days`: per day,
    the counters' deltas; days whose deltas cancel out are left out."""
    deltas: dict[date, list[int]] = {}
    for before, after in changes:
        for lead, sign in ((before, -1), (after, 1)):
            if lead is None:
                continue
            for day, counter in lead_day_counters(lead):
                deltas.setdefault(day, [0] * len(COUNTERS))[counter] += sign
    return {day: day_counts(c) for day, c in sorted(deltas.items()) if any(c)}


def day_counts(values: list[int]) -> DayCounts:
    """A day's counters from a list of them in `COUNTERS` order."""
    a, b, w, s, m, n = values
    return (a, b, w, s, m, n)


def lead_day_totals(found: Iterable[Lead]) -> dict[date, DayCounts]:
    """`lead_days` as these leads rows give it (what check-summaries compares it with)."""
    return lead_day_deltas((None, lead) for lead in found)


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()
