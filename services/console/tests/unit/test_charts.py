"""The reports' bar geometry: lengths proportional to the values, groups stacked in order."""

import pytest

from console.charts import PALETTE, Group, Layout, Value, bar_chart

LAYOUT = Layout(width=300, value_width=100, padding=0, label_height=20, bar_height=10,
                bar_gap=2, group_gap=8)  # fmt: skip
PLOT = 200  # width - value_width - 2 x padding


def single(*pairs: tuple[str, float]) -> list[Group]:
    return [Group(label, [Value(value, f"{value:g}")]) for label, value in pairs]


def test_the_largest_value_fills_the_plot_and_the_rest_are_proportional() -> None:
    chart = bar_chart("Leads", single(("a", 50), ("b", 200), ("c", 0)), layout=LAYOUT)

    assert [b.width for b in chart.bars] == [50, PLOT, 0]
    assert [b.text for b in chart.bars] == ["50", "200", "0"]
    # The figure sits just right of its bar's end.
    assert [b.text_x for b in chart.bars] == [56, 206, 6]


def test_groups_stack_label_then_bars_and_the_height_fits_them() -> None:
    groups = [
        Group("Paid", [Value(1, "1", series=0), Value(2, "2", series=1)]),
        Group("Email", [Value(3, "3", series=0), Value(4, "4", series=1)]),
    ]
    chart = bar_chart("Compare", groups, layout=LAYOUT)

    assert [label.text for label in chart.labels] == ["Paid", "Email"]
    # Paid: label 0-20, bars at 20 and 32; Email after a gap of 8: label 50-70, bars 70 and 82.
    assert [b.y for b in chart.bars] == [20, 32, 70, 82]
    assert chart.height == 92
    assert chart.view_box == "0 0 300 92"
    assert [b.colour for b in chart.bars] == [PALETTE[0], PALETTE[1]] * 2


def test_a_fixed_scale_keeps_percentages_comparable_and_clips_above_it() -> None:
    chart = bar_chart("Rates", single(("show", 25), ("over", 150)), scale_max=100, layout=LAYOUT)

    assert [b.width for b in chart.bars] == [50, PLOT]


def test_nothing_to_draw_is_an_empty_chart_not_a_division_by_zero() -> None:
    assert bar_chart("None", [], layout=LAYOUT).bars == ()
    zeros = bar_chart("Zeros", single(("a", 0), ("b", 0)), layout=LAYOUT)
    assert [b.width for b in zeros.bars] == [0, 0]


def test_negative_values_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        bar_chart("Bad", single(("a", -1)), layout=LAYOUT)
