"""Drawing with matplotlib's object API (a ``Figure`` and the Agg canvas, no pyplot state):
lines by day that never bridge days not loaded, the export bars, Russian number and date labels.

A line breaks where consecutive loaded days are more than ``LINE_BREAK_DAYS`` apart; the time
axis itself is cut into panels where they are more than ``AXIS_BREAK_DAYS`` apart, so that
half a year of 2020, a day of 2025 and March 2026 (the demo) are each readable.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from PIL import Image

from extract.formatting import NBSP, ru_number

LINE_BREAK_DAYS = 10  # a longer gap between loaded days breaks the line
AXIS_BREAK_DAYS = 45  # a longer one also cuts the time axis into panels
MAX_PANELS = 4  # more periods than this: one continuous axis, lines still broken
MIN_PANEL_SHARE = 0.16  # of the width, so that a single day stays visible
MAX_BARS = 14
FIGURE_SIZE = (10.0, 5.2)  # inches; at DPI, 1000 x 520 px
DPI = 100
PNG_COLORS = 128
PNG_COMPRESSION = 8  # zlib's level
MONTHS = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
QUALIFIER_WORDS = {"approx": "около ", "over": "более ", "under": "менее ", "almost": "почти "}
GRID = {"color": "#dddddd", "linewidth": 0.8}
FOOTNOTE = {"fontsize": 9, "color": "#444444"}


@dataclass(frozen=True)
class Series:
    """One line: values by calendar day, days ascending."""

    label: str
    color: str
    days: tuple[date, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class ExportBar:
    """One export destination: a bar when its share is stated, a note when it is not."""

    region: str
    product: str | None
    share: float | None  # 0..1
    share_scope: str | None  # product | region | product and region
    share_qualifier: str | None
    value_rub: Decimal | None
    value_rub_qualifier: str | None
    countries: int | None


@dataclass(frozen=True)
class ExportTotal:
    """An article's total exports for the year."""

    subject: str | None
    total_export_rub: Decimal | None
    qualifier: str | None
    growth: float | None  # multiplier against the earlier period


def break_gaps(
    days: Sequence[date], values: Sequence[float], max_gap_days: int = LINE_BREAK_DAYS
) -> tuple[list[date], list[float]]:
    """The points with a NaN inserted after every gap longer than ``max_gap_days``, so that
    matplotlib draws no line across days that were never loaded."""
    xs: list[date] = []
    ys: list[float] = []
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        if index and (day - days[index - 1]).days > max_gap_days:
            xs.append(days[index - 1] + timedelta(days=1))
            ys.append(math.nan)
        xs.append(day)
        ys.append(value)
    return xs, ys


def periods(days: Sequence[date], max_gap_days: int) -> list[tuple[date, date]]:
    """First and last day of each run of ``days`` whose gaps are at most ``max_gap_days``."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][1]).days <= max_gap_days:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def time_figure(title: str, groups: list[list[Series]], ylabels: list[str], source: str) -> Figure:
    """Lines by day, one row of panels per group of series (each row its own y scale); the
    time axis is cut into side-by-side panels wherever no day was loaded for AXIS_BREAK_DAYS."""
    spans = periods([day for group in groups for s in group for day in s.days], AXIS_BREAK_DAYS)
    if len(spans) > MAX_PANELS:
        spans = [(spans[0][0], spans[-1][1])]
    lengths = [(last - first).days + 1 for first, last in spans]
    widths = [max(length, MIN_PANEL_SHARE * sum(lengths)) for length in lengths]
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI, layout="constrained")
    figure.get_layout_engine().set(wspace=0.0, w_pad=0.02)  # type: ignore[union-attr]
    grid = figure.subplots(
        len(groups),
        len(spans),
        sharex="col",
        sharey="row",
        squeeze=False,
        gridspec_kw={"width_ratios": widths, "height_ratios": [2.0] + [1.0] * (len(groups) - 1)},
    )
    widest = widths.index(max(widths))
    for row, group in enumerate(groups):
        points = [_points(series) for series in group]
        for column, (first, last) in enumerate(spans):
            axes = grid[row][column]
            for series, (line, lonely) in zip(group, points, strict=True):
                axes.plot(*line, color=series.color, linewidth=1.6, label=series.label)
                axes.plot(
                    *lonely,
                    linestyle="none",
                    marker="o",
                    markersize=4.5,
                    color=series.color,
                )
            _style_panel(axes, first, last, column, len(spans), widths[column] / sum(widths))
        if len(group) > 1 or len(groups) == 1:
            grid[row][widest].legend(loc="best", ncols=len(group), fontsize=9, framealpha=0.9)
        grid[row][0].set_ylabel(ylabels[row], fontsize=10)
        grid[row][0].yaxis.set_major_formatter(FuncFormatter(lambda value, _: ru_number(value)))
    figure.suptitle(title, fontsize=13, fontweight="bold")
    cut = "; «//» — разрыв оси: дни между периодами не загружены" if len(spans) > 1 else ""
    figure.supxlabel(f"Дата{cut}. {source}", **FOOTNOTE)
    return figure


def date_ticks(
    first: date, last: date, max_ticks: int, min_gap_days: int = 1
) -> tuple[list[date], list[str]]:
    """Tick days for a panel, at least ``min_gap_days`` apart, and Russian labels: days as
    05.03, months as «май»; the year is added under the first label and wherever it changes."""
    span = (last - first).days
    if span <= AXIS_BREAK_DAYS:  # a short panel: its first and last day, evenly between if room
        count = min(max_ticks, span // max(min_gap_days, 1) + 1)
        ticks = [first + timedelta(days=round(i * span / max(count - 1, 1))) for i in range(count)]
    else:
        locator = mdates.AutoDateLocator(minticks=2, maxticks=max_ticks + 1)
        start, end = (datetime.combine(day, datetime.min.time()) for day in (first, last))
        found = [mdates.num2date(value).date() for value in locator.tick_values(start, end)]
        ticks = []
        for day in found:
            if first <= day <= last and (not ticks or (day - ticks[-1]).days >= min_gap_days):
                ticks.append(day)
        ticks = ticks or [first]
    by_year = len(ticks) > 1 and all(day.month == 1 and day.day == 1 for day in ticks)
    by_month = all(day.day == 1 for day in ticks)
    labels: list[str] = []
    for index, day in enumerate(ticks):
        if by_year:
            labels.append(f"{day:%Y}")
            continue
        text = MONTHS[day.month - 1] if by_month else f"{day:%d.%m}"
        new_year = index == 0 or day.year != ticks[index - 1].year
        labels.append(f"{text}\n{day:%Y}" if new_year else text)
    return ticks, labels


def export_figure(
    title: str, bars: list[ExportBar], totals: list[ExportTotal], source: str
) -> Figure:
    """Horizontal bars of each destination's stated share of the year's exports; destinations
    without a share get a note instead of a bar, the articles' totals a line above."""
    shown = bars[:MAX_BARS]
    height = max(FIGURE_SIZE[1], 1.6 + 0.42 * len(shown))
    figure = Figure(figsize=(FIGURE_SIZE[0], height), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    positions = list(range(len(shown)))[::-1]
    percents = [100 * bar.share if bar.share is not None else 0.0 for bar in shown]
    axes.barh(positions, percents, height=0.6, color="#3b6ea5")
    for position, bar, percent in zip(positions, shown, percents, strict=True):
        inside = percent > 55  # a long bar holds its label; a short one has it after its end
        color = "white" if inside else "#222222" if bar.share is not None else "#666666"
        axes.text(
            percent - 1 if inside else percent + 1,
            position,
            _bar_label(bar),
            ha="right" if inside else "left",
            va="center",
            fontsize=9.5,
            color=color,
        )
    axes.set_yticks(positions, [bar.region for bar in shown], fontsize=10)
    axes.set_xlim(0, 130)  # room for the notes right of the bars
    axes.set_xticks(range(0, 101, 25), [f"{tick}{NBSP}%" for tick in range(0, 101, 25)])
    axes.set_xlabel("Доля во всём экспорте за год, %", fontsize=10)
    axes.set_ylabel("Регион назначения", fontsize=10)
    axes.grid(True, axis="x", **GRID)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(_totals_line(totals, len(bars)), fontsize=10, loc="left", color="#333333")
    figure.suptitle(title, fontsize=13, fontweight="bold")
    hidden = len(bars) - len(shown)
    figure.supxlabel(
        f"{source}. Доля продукта относится ко всему продукту и повторяется у каждого его "
        "региона." + (f"\nНе показано направлений: {hidden}" if hidden else ""),
        **FOOTNOTE,
    )
    return figure


def empty_figure(title: str, reason: str) -> Figure:
    """A chart that says why there is nothing to draw."""
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
    figure.suptitle(title, fontsize=13, fontweight="bold")
    figure.text(
        0.5,
        0.5,
        reason[:1].upper() + reason[1:],
        ha="center",
        va="center",
        fontsize=15,
        color="#666666",
    )
    return figure


def png_bytes(figure: Figure) -> bytes:
    """The figure as a PNG of at most PNG_COLORS colours: a third of the size of a full-colour
    one and no different to the eye, which matters since every run stores it in Dagster too.
    zlib's level 8 takes half the time of level 9 for files about 1% larger."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    image = Image.frombytes("RGBA", canvas.get_width_height(), bytes(canvas.buffer_rgba()))
    buffer = io.BytesIO()
    image.convert("RGB").quantize(PNG_COLORS, Image.Quantize.MEDIANCUT).save(
        buffer, "PNG", compress_level=PNG_COMPRESSION
    )
    return buffer.getvalue()


def rub_amount(value: Decimal | float | None) -> str:
    """Roubles the way Russian text writes them: «1,2 млрд руб.», «500 млн руб.»."""
    if value is None:
        return "сумма не указана"
    amount = float(value)
    for size, word in ((1e12, "трлн"), (1e9, "млрд"), (1e6, "млн"), (1e3, "тыс.")):
        if abs(amount) >= size:
            return f"{ru_number(amount / size)}{NBSP}{word}{NBSP}руб."
    return f"{ru_number(amount)}{NBSP}руб."


def _points(series: Series) -> tuple[tuple[list, list[float]], tuple[list, list[float]]]:
    """A series' line (gaps broken) and its isolated points, days as matplotlib's date numbers:
    worked out once per series, not once per panel, and drawn without matplotlib converting
    thousands of ``date`` objects one by one (the same numbers, so the same pixels)."""
    xs, ys = break_gaps(series.days, series.values)
    lonely = _isolated_points(series)
    days = _date_numbers([day for day, _ in lonely])
    return (_date_numbers(xs), ys), (days, [value for _, value in lonely])


def _date_numbers(days: Sequence[date]) -> list:
    """``mdates.date2num`` of each day: the day's ordinal shifted by the epoch's, when the epoch
    is a midnight (matplotlib's default, 1970-01-01), exactly what date2num computes."""
    reference = date(2000, 1, 1)
    shift = float(mdates.date2num(reference)) - reference.toordinal()
    if not shift.is_integer():
        return list(mdates.date2num(days)) if days else []
    return [day.toordinal() + shift for day in days]


def _isolated_points(series: Series) -> list[tuple[date, float]]:
    """Points with no loaded neighbour within LINE_BREAK_DAYS: a line alone would not show them."""
    days = series.days
    lonely = []
    for index, day in enumerate(days):
        before = index > 0 and (day - days[index - 1]).days <= LINE_BREAK_DAYS
        after = index + 1 < len(days) and (days[index + 1] - day).days <= LINE_BREAK_DAYS
        if not (before or after):
            lonely.append((day, series.values[index]))
    return lonely


def _style_panel(
    axes: Axes, first: date, last: date, column: int, columns: int, share: float
) -> None:
    """Limits, Russian date ticks and the «//» marks where the time axis is cut."""
    pad = timedelta(days=max(2, round((last - first).days * 0.03)))
    axes.set_xlim(mdates.date2num(first - pad), mdates.date2num(last + pad))
    # Labels at least ~60 px apart on a plot area ~880 px wide.
    days_per_label = 60 * (last - first + 2 * pad).days / (880 * share)
    ticks, labels = date_ticks(first, last, max(2, round(10 * share)), math.ceil(days_per_label))
    axes.set_xticks(mdates.date2num(ticks), labels)
    axes.tick_params(labelsize=9)
    axes.grid(True, **GRID)
    axes.spines[["top", "right"]].set_visible(False)
    marks = {
        "marker": [(-1, -2.5), (1, 2.5)],
        "markersize": 9,
        "linestyle": "none",
        "color": "#555555",
        "mew": 1,
        "clip_on": False,
        "transform": axes.transAxes,
    }
    if column > 0:
        axes.spines["left"].set_visible(False)
        axes.tick_params(axis="y", left=False)
        axes.plot([0, 0], [0, 1], **marks)
    if column < columns - 1:
        axes.plot([1, 1], [0, 1], **marks)


def _bar_label(bar: ExportBar) -> str:
    """«микроэлектроника — почти 50 % (доля продукта в целом)», «… — доля не указана, 5 стран»."""
    if bar.share is not None:
        scope = {"product": " (доля продукта в целом)", "region": " (доля региона в целом)"}
        words = QUALIFIER_WORDS.get(bar.share_qualifier or "", "")
        stated = f"{words}{ru_number(100 * bar.share)}{NBSP}%{scope.get(bar.share_scope or '', '')}"
    else:
        stated = "доля не указана"
    extras = []
    if bar.value_rub is not None:
        extras.append(
            QUALIFIER_WORDS.get(bar.value_rub_qualifier or "", "") + rub_amount(bar.value_rub)
        )
    if bar.countries is not None:
        extras.append(f"{bar.countries}{NBSP}{_plural(bar.countries, 'страна', 'страны', 'стран')}")
    return f"{bar.product or 'продукт не указан'} — {stated}" + "".join(f", {e}" for e in extras)


def _totals_line(totals: list[ExportTotal], destinations: int) -> str:
    """«Технополис Москва: экспорт 1,2 млрд руб., рост в 3 раза» for up to two articles."""
    stated = []
    for total in totals[:2]:
        text = f"{total.subject or 'Всего'}: экспорт "
        text += QUALIFIER_WORDS.get(total.qualifier or "", "") + rub_amount(total.total_export_rub)
        if total.growth is not None and total.growth > 1:
            times = _plural(total.growth, "раз", "раза", "раз")
            text += f", рост в {ru_number(total.growth)} {times}"
        stated.append(text)
    return "; ".join(stated) or f"Направлений: {destinations}; общий объём экспорта не указан"


def _plural(count: float, one: str, few: str, many: str) -> str:
    """The Russian noun form after ``count``: 1 страна, 3 страны, 5 стран; 1,5 раза."""
    if count != int(count):
        return few
    number = int(count)
    if number % 10 == 1 and number % 100 != 11:
        return one
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return few
    return many


def warm_up() -> None:
    """Load what the first chart of a process pays for (matplotlib's font list, the Agg
    canvas, the PNG encoder) by drawing a small throw-away figure; the charts are the same
    with or without it. The dbt step runs this beside dbt, which leaves a core idle."""
    figure = Figure(figsize=(2.0, 1.0), dpi=DPI)
    axes = figure.add_subplot()
    axes.plot([0.0, 1.0], [0.0, 1.0])
    axes.set_title("янв", **FOOTNOTE)
    png_bytes(figure)
