"""Geometry of the reports' bar charts: pure numbers the templates draw as inline SVG.

Horizontal bars, each group's label on its own line above its bars, so the chart stays readable
when a phone shrinks it; the figures are also in a table next to every chart (the accessible
alternative). Lengths are proportional to the values against the largest one (or a fixed
`scale_max`, e.g. 100 for percentages); a zero value is a zero-width bar, never a missing one.
"""

from collections.abc import Sequence
from dataclasses import dataclass

#: Series colours, distinguishable for the common colour-vision deficiencies (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Value:
    """One bar's figure: its value (any non-negative number) and how it is written."""

    value: float
    text: str
    series: int = 0


@dataclass(frozen=True)
class Group:
    label: str
    values: Sequence[Value]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    text: str
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: float
    labels: tuple[Label, ...]
    bars: tuple[Bar, ...]
    font_size: float

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height:g}"


@dataclass(frozen=True)
class Layout:
    width: int = 420
    value_width: int = 140  # room right of the longest bar for its figure
    label_height: float = 22
    bar_height: float = 18
    bar_gap: float = 4  # between the bars of one group
    group_gap: float = 12
    padding: float = 4
    font_size: float = 15


def bar_chart(
    title: str,
    groups: Sequence[Group],
    *,
    scale_max: float | None = None,
    layout: Layout = Layout(),
) -> BarChart:
    """Bars for `groups`, scaled to `scale_max` (default: the largest value)."""
    values = [v.value for g in groups for v in g.values]
    if any(v < 0 for v in values):
        raise ValueError("bar charts draw non-negative values only")
    top = scale_max if scale_max is not None else max(values, default=0)
    if top < 0:
        raise ValueError("scale_max must not be negative")
    plot_width = layout.width - 2 * layout.padding - layout.value_width
    labels: list[Label] = []
    bars: list[Bar] = []
    y = layout.padding
    for group in groups:
        labels.append(Label(group.label, layout.padding, y + layout.font_size))
        y += layout.label_height
        for index, value in enumerate(group.values):
            if index:
                y += layout.bar_gap
            length = plot_width * min(value.value, top) / top if top > 0 else 0.0
            bars.append(
                Bar(
                    x=layout.padding,
                    y=y,
                    width=round(length, 2),
                    height=layout.bar_height,
                    colour=PALETTE[value.series % len(PALETTE)],
                    text=value.text,
                    text_x=round(layout.padding + length + 6, 2),
                    text_y=y + layout.bar_height - 4,
                )
            )
            y += layout.bar_height
        y += layout.group_gap
    height = y - layout.group_gap + layout.padding if groups else 2 * layout.padding
    return BarChart(title, layout.width, height, tuple(labels), tuple(bars), layout.font_size)
