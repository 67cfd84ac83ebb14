"""The current runs' credits summed per model and channel for a report window, in one fixed
statement: the UTC months wholly inside the window from report_monthly, the other whole days
from report_daily, the partial days at its ends from report_credits.

The statement is built once with bound parameters, every part always present (an absent part
gets an empty range), so it is compiled and prepared once: over a long window building and
compiling a statement per part and model cost more than reading the rollups. Each part is its
own narrow range on its table's index, in a generic plan as in a custom one."""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Date,
    DateTime,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from attribution.db.tables import report_credits, report_daily, report_monthly
from attribution.domain.credit_bounds import SCALE
from dealflow_libs.utc_days import DAY, midnight, whole_days

# An empty range of each kind: lower bound after the upper.
_NODAYS = (date.max, date.min)
_NO_TIME = (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC))


_TYPES: dict[str, TypeEngine[Any]] = {
    "models": ARRAY(Text),
    **{f"{part}_{end}": DateTime(timezone=True) for part in ("head", "tail")
       for end in ("from", "to")},
    **{f"{part}_{end}": Date() for part in ("days1", "days2", "months")
       for end in ("from", "to")},
}  # fmt: skip


def _param(name: str) -> Any:
    return bindparam(name, type_=_TYPES.get(name))


def calendar_split(
    first: date, last: date
) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """The days [first, last] as the calendar months wholly inside them (the first days of the
    first and last such month; None when there is none) and the day ranges left before and
    after those months (none, one or two)."""
    start = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    end = (last + DAY).replace(day=1)  # months wholly inside end before it
    if start >= end:
        return [(first, last)], None
    days = [(first, start - DAY)] if first < start else []
    if end <= last:
        days.append((end, last))
    return days, (start, (end - DAY).replace(day=1))


def bounds_summed(
    numerator: ColumnElement[Any], denominator: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Σ floor(weight * SCALE) and the count of weights inexact at SCALE (`domain.credit_bounds`;
    the rollups keep the same per day and month, migrations 0017 and 0023)."""
    scaled = numerator * literal_column(str(SCALE))
    return (
        func.sum(func.div(scaled, denominator)),
        func.count().filter(func.mod(scaled, denominator) != 0),
    )


def _credits(lower: str, upper: str, *, upper_inclusive: bool) -> Select[Any]:
    p = report_credits.c
    at = p.conversion_at
    below = at <= _param(upper) if upper_inclusive else at < _param(upper)
    return (
        select(
            p.model,
            p.channel,
            func.count(),
            func.sum(p.minor_units),
            *bounds_summed(p.weight_num, p.weight_den),
        )
        .where(
            p.tenant_id == bindparam("tenant_id"),
            p.model == any_(_param("models")),
            p.currency == bindparam("currency"),
            at >= _param(lower),
            below,
        )
        .group_by(p.model, p.channel)
    )


def _rollup(rollup: Table, period: str, lower: str, upper: str) -> Select[Any]:
    d = rollup.c
    return (
        select(
            d.model,
            d.channel,
            func.sum(d.deals),
            func.sum(d.minor_units),
            func.sum(d.weight_floor),
            func.sum(d.weight_inexact),
        )
        .where(
            d.tenant_id == bindparam("tenant_id"),
            d.model == any_(_param("models")),
            d.currency == bindparam("currency"),
            d[period] >= _param(lower),
            d[period] <= _param(upper),
        )
        .group_by(d.model, d.channel)
    )


@cache
def totals_statement() -> Select[Any]:
    """(model, channel, deals, minor units, Σ floors, inexact) rows, a channel possibly several
    times per model (one per part); parameters from `totals_parameters`."""
    return union_all(
        _credits("head_from", "head_to", upper_inclusive=False),
        _credits("tail_from", "tail_to", upper_inclusive=True),
        _rollup(report_daily, "close_day", "days1_from", "days1_to"),
        _rollup(report_daily, "close_day", "days2_from", "days2_to"),
        _rollup(report_monthly, "close_month", "months_from", "months_to"),
    )  # type: ignore[return-value]


def totals_parameters(
    tenant_id: str, models: Sequence[str], currency: str, since: datetime, until: datetime
) -> Mapping[str, Any]:
    """The parts of [since, until]: the partial days at its ends (head, tail; the whole window
    when it holds no whole day), the whole days around the whole months, the whole months."""
    head, tail = _NO_TIME, (since, until)
    day_ranges: list[tuple[date, date]] = []
    months: tuple[date, date] | None = None
    if (days := whole_days(since, until)) is not None:
        first, last = days
        head = (since, midnight(first))
        tail = (midnight(last + DAY), until)
        day_ranges, months = calendar_split(first, last)
    day_ranges = [*day_ranges, _NODAYS, _NODAYS][:2]
    spans = {"head": head, "tail": tail, "days1": day_ranges[0], "days2": day_ranges[1],
             "months": months or _NODAYS}  # fmt: skip
    found: dict[str, Any] = {"tenant_id": tenant_id, "models": list(models), "currency": currency}
    for part, (lower, upper) in spans.items():
        found[f"{part}_from"], found[f"{part}_to"] = lower, upper
    return found
