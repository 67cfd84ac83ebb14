"""Reporting in one currency: each deal's minor units converted at its own date, exactly.

A tenant's rate table holds `1 base = rate quote` from `effective_from` on. The rate for a date
is the latest one effective on or before it, looked for in both directions: a `quote -> base`
row serves as its exact inverse (1/rate as a Fraction). When both directions have a row, the
later `effective_from` wins, and on the same day the pair as asked (`base -> quote`). No cross
rates through a third currency: a missing pair is an error naming it, never a mixed sum.

A converted amount is rounded once per deal, half to even, to the report currency's minor unit;
the deal's channel credits are then split from that amount by largest remainder, so a report's
rows still sum exactly to the converted total.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from attribution.domain.money import allocate, minor_unit_exponent
from attribution.domain.recorded import RunTotals


@dataclass(frozen=True, slots=True)
class CurrencyRate:
    """1 `base` = `rate` `quote`, from `effective_from` until a later row of the same pair."""

    base: str
    quote: str
    rate: Decimal
    effective_from: date

    def __post_init__(self) -> None:
        minor_unit_exponent(self.base)  # validates the codes
        minor_unit_exponent(self.quote)
        if self.base == self.quote:
            raise ValueError(f"a rate converts between two currencies, got {self.base} twice")
        if not self.rate.is_finite() or self.rate <= 0:
            raise ValueError(f"rate must be a positive number, got {self.rate}")


@dataclass(frozen=True, slots=True)
class MissingRate:
    base: str
    quote: str
    on: date

    def __str__(self) -> str:
        return f"no {self.base}->{self.quote} rate on or before {self.on.isoformat()}"


class MissingRates(LookupError):
    """Amounts that cannot be converted: every (pair, date) lacking a rate, in order."""

    def __init__(self, missing: Iterable[MissingRate]) -> None:
        self.missing = sorted(set(missing), key=lambda m: (m.on, m.base, m.quote))
        shown = "; ".join(str(m) for m in self.missing[:5])
        more = f" (and {len(self.missing) - 5} more)" if len(self.missing) > 5 else ""
        super().__init__(f"{shown}{more}")


class RateTable:
    """A tenant's rates, indexed by pair; `factor` answers one conversion exactly."""

    def __init__(self, rates: Iterable[CurrencyRate]) -> None:
        self._pairs: dict[tuple[str, str], list[CurrencyRate]] = {}
        for rate in rates:
            self._pairs.setdefault((rate.base, rate.quote), []).append(rate)
        for rows in self._pairs.values():
            rows.sort(key=lambda r: r.effective_from)

    def _latest(self, base: str, quote: str, on: date) -> CurrencyRate | None:
        found = None
        for rate in self._pairs.get((base, quote), ()):
            if rate.effective_from > on:
                break
            found = rate
        return found

    def factor(self, base: str, quote: str, on: date) -> Fraction:
        """How many `quote` one `base` is worth on `on` (1 for the same currency)."""
        if base == quote:
            return Fraction(1)
        direct = self._latest(base, quote, on)
        inverse = self._latest(quote, base, on)
        if direct is not None and (
            inverse is None or direct.effective_from >= inverse.effective_from
        ):
            return Fraction(direct.rate)
        if inverse is not None:
            return 1 / Fraction(inverse.rate)
        raise MissingRates([MissingRate(base, quote, on)])


def convert_minor(units: int, *, source: str, target: str, factor: Fraction) -> int:
    """`units` minor units of `source` in minor units of `target`, rounded half to even."""
    return round(units * minor_units_factor(source, target, factor))  # half to even


def minor_units_factor(source: str, target: str, factor: Fraction) -> Fraction:
    """What one minor unit of `source` is worth in minor units of `target` (unrounded)."""
    shift = minor_unit_exponent(target) - minor_unit_exponent(source)
    return factor * Fraction(10) ** shift


def split_converted(total: int, parts: Sequence[int]) -> list[int]:
    """A converted total split in proportion to the original parts (largest remainder, ties to
    the earlier part), so the converted parts sum exactly to the converted total."""
    if not any(parts):
        return [0] * len(parts)
    return allocate(total, parts)


def rate_date(moment: datetime) -> date:
    """The day whose rate converts an amount of `moment` (a deal's close): its UTC date."""
    return moment.astimezone(UTC).date()


def day_factors(
    pairs: Iterable[tuple[str, date]], currency: str, table: RateTable
) -> dict[tuple[str, date], Fraction]:
    """Per (source currency, close day), one minor unit's worth in minor units of `currency`
    (`minor_units_factor`); raises MissingRates naming every pair and day without a rate."""
    factors: dict[tuple[str, date], Fraction] = {}
    missing: list[MissingRate] = []
    for source, day in pairs:
        try:
            factor = table.factor(source, currency, day)
        except MissingRates as error:
            missing.extend(error.missing)
            continue
        factors[source, day] = minor_units_factor(source, currency, factor)
    if missing:
        raise MissingRates(missing)
    return factors


def convert_runs(runs: Iterable[RunTotals], currency: str, table: RateTable) -> list[RunTotals]:
    """Every run in `currency`, each deal at its close date; raises MissingRates naming every
    pair and date that has no rate (nothing is summed in mixed currencies)."""
    converted: list[RunTotals] = []
    missing: list[MissingRate] = []
    for run in runs:
        try:
            factor = table.factor(run.currency, currency, rate_date(run.conversion_at))
        except MissingRates as error:
            missing.extend(error.missing)
            continue
        converted.append(in_currency(run, currency, factor))
    if missing:
        raise MissingRates(missing)
    return converted


def in_currency(run: RunTotals, currency: str, factor: Fraction) -> RunTotals:
    if run.currency == currency:
        return run
    total = convert_minor(run.value_minor, source=run.currency, target=currency, factor=factor)
    parts = split_converted(total, [c.minor_units for c in run.channels])
    channels = tuple(
        replace(credit, minor_units=part) for credit, part in zip(run.channels, parts, strict=True)
    )
    return replace(run, value_minor=total, currency=currency, channels=channels)
