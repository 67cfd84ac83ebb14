"""Report arithmetic: shares that add up exactly, and rates that are None instead of NaN."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Protocol

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
    credited_deals: Fraction  # sum of the channel's weight per deal
    attributed_minor: int
    avg_deal_minor: int | None  # attributed / credited deals, half to even; None if no credit
    percentage_bp: int | None


def channel_report(runs: Iterable[RunChannels]) -> list[ChannelRow]:
    """Per channel over the runs, largest attributed value first (then by name)."""
    sums: dict[str, tuple[int, Fraction, int]] = {}
    currencies: set[str] = set()
    for run in runs:
        currencies.add(run.currency)
        for row in run.channels:
            deals, credit, value = sums.get(row.channel, (0, Fraction(0), 0))
            sums[row.channel] = (deals + 1, credit + row.weight, value + row.minor_units)
    if len(currencies) > 1:
        raise ValueError(f"runs in {sorted(currencies)}: convert to one currency before summing")
    order = sorted(sums, key=lambda channel: (-sums[channel][2], channel))
    shares = basis_points([sums[channel][2] for channel in order])
    return [
        ChannelRow(
            channel,
            deals,
            credit,
            value,
            round(value / credit) if credit else None,
            share,
        )
        for channel, share in zip(order, shares, strict=True)
        for deals, credit, value in [sums[channel]]
    ]
