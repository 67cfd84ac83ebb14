"""Report arithmetic: shares that add up exactly, and rates that are None instead of NaN."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Protocol

from attribution.domain.credit_bounds import CreditBounds, average_deal, round_credit
from attribution.domain.money import allocate
from attribution.domain.run import ChannelCredit

BASIS_POINTS = 10_000


def basis_points(amounts: Sequence[int]) -> list[int | None]:
    """Each amount's share in basis points, summing to exactly 10,000 by largest remainder (ties
    to the earlier row); every row is None when the total is 0 (a share of nothing)."""
    if not any(amounts):
        return [None] * len(amounts)
    return list(allocate(BASIS_POINTS, amounts))


@dataclass(frozen=True, slots=True)
class Rate:
    """numerator / denominator, returned with both so a reader can check it."""

    numerator: int
    denominator: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    def basis_points(self) -> int | None:
        """The rate in basis points (1/10,000), half to even; None for a zero denominator."""
        value = self.value
        return None if value is None else round(value * BASIS_POINTS)

    def percent(self, places: int = 2) -> Decimal | None:
        value = self.value
        if value is None:
            return None
        exact = Decimal(value.numerator * 100) / Decimal(value.denominator)
        return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    total_leads: int
    leads_with_meeting: int
    leads_won: int  # leads whose company won a deal
    meetings_booked: int
    meetings_showed: int
    meetings_no_show: int
    deals_created: int
    deals_won: int
    deals_lost: int


@dataclass(frozen=True, slots=True)
class FunnelRates:
    show_rate: Rate  # showed / (showed + no-show): cancelled and future meetings are out
    deal_win_rate: Rate  # won / (won + lost) among deals closed in the window
    deal_conversion_rate: Rate  # won / created
    lead_to_meeting_rate: Rate
    lead_to_win_rate: Rate


def funnel_rates(counts: FunnelCounts) -> FunnelRates:
    return FunnelRates(
        show_rate=Rate(counts.meetings_showed, counts.meetings_showed + counts.meetings_no_show),
        deal_win_rate=Rate(counts.deals_won, counts.deals_won + counts.deals_lost),
        deal_conversion_rate=Rate(counts.deals_won, counts.deals_created),
        lead_to_meeting_rate=Rate(counts.leads_with_meeting, counts.total_leads),
        lead_to_win_rate=Rate(counts.leads_won, counts.total_leads),
    )


class RunChannels(Protocol):
    """What a report needs of a run (an AttributionRun, or one read back from storage)."""

    @property
    def currency(self) -> str: ...

    @property
    def channels(self) -> Sequence[ChannelCredit]: ...


@dataclass(frozen=True, slots=True)
class ChannelRow:
    channel: str
    deals_attributed: int  # deals the channel touched (an eligible touch, credited or not)
    credited_deals: Decimal  # sum of the channel's weight per deal, rounded (`round_credit`)
    attributed_minor: int
    avg_deal_minor: int | None  # attributed / credited deals, half to even; None if no credit
    percentage_bp: int | None


@dataclass(frozen=True, slots=True)
class CreditTotal:
    """Credits of one channel summed over deals by a database: deals, value, weights' bounds."""

    channel: str
    deals: int
    minor_units: int
    credit: CreditBounds


class ChannelSums:
    """Per channel: deals touched, credited deals and value, summed from runs or from totals a
    database already grouped. Credited deals are summed as bounds (`domain.credit_bounds`); a
    channel whose rounding they cannot decide is summed exactly: here for the runs added one by
    one, by the caller (`unsettled`, `settle`) for the totals summed elsewhere."""

    def __init__(self) -> None:
        self._deals: dict[str, int] = {}
        self._value: dict[str, int] = {}
        self._credit: dict[str, CreditBounds] = {}
        # The runs' exact weights, numerators per denominator (denominators repeat: 1/n under
        # linear); summed only for a channel the bounds leave undecided.
        self._exact: dict[str, dict[int, int]] = {}
        self._elsewhere: set[str] = set()  # channels with totals summed by a database
        self._settled: dict[str, Fraction] = {}

    def add(self, channel: str, *, deals: int, value: int, credit: CreditBounds) -> None:
        self._deals[channel] = self._deals.get(channel, 0) + deals
        self._value[channel] = self._value.get(channel, 0) + value
        self._credit[channel] = self._credit.get(channel, CreditBounds()) + credit

    def add_total(self, total: CreditTotal) -> None:
        self.add(total.channel, deals=total.deals, value=total.minor_units, credit=total.credit)
        self._elsewhere.add(total.channel)

    def add_run(self, run: RunChannels, sign: int = 1) -> None:
        for row in run.channels:
            weight = row.weight
            bounds = CreditBounds.of(weight)
            self.add(
                row.channel,
                deals=sign,
                value=sign * row.minor_units,
                credit=bounds if sign > 0 else -bounds,
            )
            per_den = self._exact.setdefault(row.channel, {})
            numerator = per_den.get(weight.denominator, 0) + sign * weight.numerator
            per_den[weight.denominator] = numerator

    def remove_run(self, run: RunChannels) -> None:
        """Takes out a run added before, one by one or in a total (then `settle` gives the
        exact sum of the total, this run included, if it is needed)."""
        self.add_run(run, sign=-1)

    def unsettled(self) -> list[str]:
        """The channels with totals summed elsewhere whose figures the bounds do not decide:
        each needs `settle` with the exact sum of those totals' weights before `rows`."""
        return sorted(
            channel
            for channel in self._elsewhere
            if channel not in self._settled and self._bounded(channel) is None
        )

    def settle(self, channel: str, elsewhere: Fraction) -> None:
        """The exact sum of the weights of `channel`'s totals (what `add_total` bounded)."""
        self._settled[channel] = elsewhere

    def rows(self) -> list[ChannelRow]:
        """Largest attributed value first (then by name); basis points sum to 10,000."""
        # A channel whose every deal was taken out again is not in the report.
        kept = [channel for channel in self._value if self._deals[channel]]
        order = sorted(kept, key=lambda channel: (-self._value[channel], channel))
        shares = basis_points([self._value[channel] for channel in order])
        rows = []
        for channel, share in zip(order, shares, strict=True):
            credited, average = self._bounded(channel) or self._exactly(channel)
            rows.append(
                ChannelRow(
                    channel, self._deals[channel], credited, self._value[channel], average, share
                )
            )
        return rows

    def _bounded(self, channel: str) -> tuple[Decimal, int | None] | None:
        bounds = self._credit[channel]
        known, credited = bounds.decide(round_credit)
        if not known or credited is None:
            return None
        known, average = bounds.decide(average_deal(self._value[channel]))
        return (credited, average) if known else None

    def _exactly(self, channel: str) -> tuple[Decimal, int | None]:
        elsewhere = self._settled.get(channel, Fraction(0))
        if channel in self._elsewhere and channel not in self._settled:
            raise LookupError(f"channel {channel!r}: its exact credit was not settled")
        credit = elsewhere + self._exact_here(channel)
        return round_credit(credit), average_deal(self._value[channel])(credit)

    def _exact_here(self, channel: str) -> Fraction:
        per_den = self._exact.get(channel, {})
        return sum((Fraction(n, d) for d, n in per_den.items()), start=Fraction(0))


def channel_report(runs: Iterable[RunChannels]) -> list[ChannelRow]:
    """Per channel over the runs, largest attributed value first (then by name)."""
    sums = ChannelSums()
    currencies: set[str] = set()
    for run in runs:
        currencies.add(run.currency)
        sums.add_run(run)
    if len(currencies) > 1:
        raise ValueError(f"runs in {sorted(currencies)}: convert to one currency before summing")
    return sums.rows()
