"""What show-rate counts, in SQL, in one place: the per-meeting predicates the window query
counts over ix_meetings_show_rate and the daily rollup `meeting_show_rate_days` sums (kept by a
trigger on `meetings`, dealflow_libs.summaries). The names are AttendanceCounts' fields."""

from dealflow_libs.summaries import Summary

#: counter -> which meetings it counts (SQL over a meeting row; never NULL: the columns read are
#: NOT NULL or tested with IS)
COUNTED: dict[str, str] = {
    "total": "true",
    "known": "showed_up IS NOT NULL",
    "showed": "showed_up IS TRUE",
    "rescheduled": "rescheduled_count > 0",
    "cancelled": "status = 'cancelled'",
    "confirmed_known": "showed_up IS NOT NULL AND confirmed",
    "confirmed_showed": "showed_up IS TRUE AND confirmed",
    "reminded_known": "showed_up IS NOT NULL AND reminder_sent",
    "reminded_showed": "showed_up IS TRUE AND reminder_sent",
}

#: The UTC day a meeting counts in.
DAY = "(scheduled_at AT TIME ZONE 'UTC')::date"

SHOW_RATE_DAYS = Summary(
    source="meetings",
    table="meeting_show_rate_days",
    keys={"tenant_id": "tenant_id", "day": DAY},
    sums={name: f"({counted})::int" for name, counted in COUNTED.items()},
    # The rows show-rate counts (ix_meetings_show_rate's predicate, and a time to count at).
    counted="deleted_at IS NULL AND scheduled_at IS NOT NULL",
)
