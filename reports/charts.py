"""Charts of the published warehouse for analysts: metal prices in roubles per gram and dollars
per troy ounce, the official USD and EUR rates, and exports by region and product for the
latest year with data.

``render_report`` opens the analysts' file read-only, writes one PNG per chart and a
self-contained ``report.html`` beside them (each file atomically). Titles and labels are
Russian, for the analysts who read them. An empty or missing mart gives a chart that says so.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
from matplotlib.figure import Figure

from extract.lake import Lake
from extract.warehouse import connect_reader
from reports import drawing
from reports.drawing import ExportBar, ExportTotal, Series
from reports.page import build_html

METALS = {  # mart value -> (Russian name, line colour); the order of legends and tables
    "gold": ("золото", "#c9a000"),
    "platinum": ("платина", "#3b6ea5"),
    "palladium": ("палладий", "#8e44ad"),
    "silver": ("серебро", "#6b7b8c"),
}
CURRENCIES = {"USD": ("доллар США", "#2e7d32"), "EUR": ("евро", "#1f4e9c")}

# The lines' values as doubles: DuckDB's cast of a DECIMAL is the nearest double, as Python's
# float() of it, below 2**53 units of the last place (9e13 at two decimals; tested), and fetching
# tens of thousands of Decimal objects costs several times more.
METAL_PRICES_SQL = """
    select price_date, metal, rub_per_gram::double, usd_per_troy_ounce::double
    from marts.metal_prices
    order by metal, price_date
"""
FX_RATES_SQL = """
    select rate_date, currency_code, rub_per_unit::double
    from marts.fx_rates
    where currency_code in ('USD', 'EUR')
    order by currency_code, rate_date
"""
LATEST_METALS_SQL = """
    select metal, price_date, rub_per_gram, usd_per_troy_ounce, change_pct
    from marts.metal_prices
    qualify row_number() over (partition by metal order by price_date desc) = 1
"""
LATEST_RATES_SQL = """
    select currency_code, rate_date, rub_per_unit, set_on_date, change_pct
    from marts.fx_rates
    where currency_code in ('USD', 'EUR')
    qualify row_number() over (partition by currency_code order by rate_date desc) = 1
    order by currency_code desc
"""
EXPORT_YEARS_SQL = """
    select max(year(period_end)), count(*) filter (where period_end is null)
    from marts.exports_by_region
"""
# One bar per region and product: a row with a stated share first, then the newest article.
EXPORT_BARS_SQL = """
    select region, product, share, share_scope, share_qualifier, value_rub, value_rub_qualifier,
        countries
    from marts.exports_by_region
    where year(period_end) = $year
    qualify row_number() over (
        partition by region, product
        order by share is null, value_rub is null, as_of_date desc nulls last, article_id
    ) = 1
    order by share desc nulls last, value_rub desc nulls last, product, region
"""
EXPORT_TOTALS_SQL = """
    select distinct subject, total_export_rub, total_export_qualifier, export_growth
    from marts.exports_by_region
    where year(period_end) = $year and total_export_rub is not null
    order by total_export_rub desc, subject
"""


@dataclass(frozen=True)
class Chart:
    """A rendered chart: its PNG, how many mart rows it draws and which days they cover."""

    name: str
    title: str
    png: Path
    rows: int
    first_day: date | None
    last_day: date | None
    note: str  # what the chart shows, or why it is empty


@dataclass(frozen=True)
class LatestMetal:
    """A metal's price on its latest loaded day."""

    metal: str
    name: str
    day: date
    rub_per_gram: Decimal
    usd_per_troy_ounce: Decimal | None
    change_pct: Decimal | None


@dataclass(frozen=True)
class LatestRate:
    """A currency's official rate on its latest loaded day."""

    currency_code: str
    name: str
    day: date
    rub_per_unit: Decimal
    set_on_date: bool
    change_pct: Decimal | None


@dataclass(frozen=True)
class Report:
    """What ``render_report`` wrote, and the latest values its tables show."""

    html: Path
    charts: tuple[Chart, ...]
    metals: tuple[LatestMetal, ...]
    rates: tuple[LatestRate, ...]

    @property
    def pngs(self) -> tuple[Path, ...]:
        return tuple(chart.png for chart in self.charts)


@dataclass(frozen=True)
class _Drawn:
    name: str
    title: str
    rows: int
    days: list[date]
    note: str
    figure: Figure


def render_report(warehouse: Path, out_dir: Path, lake: Lake | None = None) -> Report:
    """Draw every chart from the published ``warehouse`` (or the lake) into ``out_dir``, then
    report.html."""
    conn = connect_reader(warehouse, lake=lake)
    try:
        metal_rows = _rows(conn, METAL_PRICES_SQL)
        rate_rows = _rows(conn, FX_RATES_SQL)
        metals = _latest_metals(conn)
        rates = tuple(
            LatestRate(row[0], CURRENCIES[row[0]][0], *row[1:])
            for row in _rows(conn, LATEST_RATES_SQL)
        )
        exports = _export_chart(conn)
    finally:
        conn.close()
    drawn = [
        _metal_chart(metal_rows, in_usd=False),
        _metal_chart(metal_rows, in_usd=True),
        _rate_chart(rate_rows),
        exports,
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    charts, images = [], []
    for chart in drawn:
        png = drawing.png_bytes(chart.figure)
        path = out_dir / f"{chart.name}.png"
        write_atomically(path, png)
        first, last = (min(chart.days), max(chart.days)) if chart.days else (None, None)
        charts.append(Chart(chart.name, chart.title, path, chart.rows, first, last, chart.note))
        images.append(png)
    html = out_dir / "report.html"
    write_atomically(html, build_html(charts, images, metals, rates, warehouse).encode("utf-8"))
    return Report(html, tuple(charts), metals, rates)


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to a temporary file beside ``path``, then rename it over ``path``:
    a reader (a browser, the Dagster UI) never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, **params: object) -> list[tuple]:
    """The query's rows, or none when the mart does not exist yet."""
    try:
        return conn.execute(sql, params or None).fetchall()
    except duckdb.CatalogException:
        return []


def _latest_metals(conn: duckdb.DuckDBPyConnection) -> tuple[LatestMetal, ...]:
    order = list(METALS)
    rows = sorted(_rows(conn, LATEST_METALS_SQL), key=lambda row: order.index(row[0]))
    return tuple(LatestMetal(row[0], METALS[row[0]][0], *row[1:]) for row in rows)


def _metal_chart(rows: list[tuple], *, in_usd: bool) -> _Drawn:
    if in_usd:
        name, column = "metal_prices_usd", 3
        title = "Цены на драгоценные металлы, долл. США за тройскую унцию (по курсу Банка России)"
        units = ["долл. США\nза тройскую унцию", "серебро, долл.\nза тр. унцию"]
    else:
        name, column = "metal_prices_rub", 2
        title = "Учётные цены Банка России на драгоценные металлы, руб. за грамм"
        units = ["руб. за грамм", "серебро,\nруб. за грамм"]
    priced = [row for row in rows if row[column] is not None]  # USD is null without a USD rate
    if not priced:
        reason = "нет данных: marts.metal_prices пуста"
        if rows:
            reason = "нет данных: курс доллара не загружен ни за один день с ценами металлов"
        return _Drawn(name, title, 0, [], reason, drawing.empty_figure(title, reason))
    by_metal = _by_key(priced, 1, column)
    lines = {
        metal: Series(label, color, *by_metal.get(metal, ((), ())))
        for metal, (label, color) in METALS.items()
    }
    # Silver costs a fiftieth of the others: a row of panels of its own keeps both readable.
    dear = [line for metal, line in lines.items() if metal != "silver" and line.days]
    groups = [
        (group, unit)
        for group, unit in zip([dear, [lines["silver"]]], units, strict=True)
        if group and group[0].days
    ]
    figure = drawing.time_figure(
        title,
        [group for group, _ in groups],
        [unit for _, unit in groups],
        "Источник: Банк России, marts.metal_prices",
    )
    return _Drawn(name, title, len(priced), [row[0] for row in priced], _span(priced), figure)


def _rate_chart(rows: list[tuple]) -> _Drawn:
    name, title = "fx_rates", "Официальные курсы Банка России: доллар США и евро, руб."
    if not rows:
        reason = "нет данных: marts.fx_rates пуста"
        return _Drawn(name, title, 0, [], reason, drawing.empty_figure(title, reason))
    by_code = _by_key(rows, 1, 2)
    lines = [
        Series(label, color, *by_code.get(code, ((), ())))
        for code, (label, color) in CURRENCIES.items()
    ]
    figure = drawing.time_figure(
        title,
        [[line for line in lines if line.days]],
        ["руб. за единицу валюты"],
        "Источник: Банк России, marts.fx_rates",
    )
    return _Drawn(name, title, len(rows), [row[0] for row in rows], _span(rows), figure)


def _export_chart(conn: duckdb.DuckDBPyConnection) -> _Drawn:
    """The latest year any destination's period ends in, drawn from its destinations."""
    name, title = "exports_by_region", "Экспорт по регионам и продуктам"
    year, undated = (_rows(conn, EXPORT_YEARS_SQL) or [(None, 0)])[0]
    if year is None:
        reason = "нет данных: marts.exports_by_region пуста"
        if undated:
            reason = f"нет данных с указанным периодом (направлений без периода: {undated})"
        return _Drawn(name, title, 0, [], reason, drawing.empty_figure(title, reason))
    title += f", {year} г."
    bars = [ExportBar(*row) for row in _rows(conn, EXPORT_BARS_SQL, year=year)]
    totals = [ExportTotal(*row) for row in _rows(conn, EXPORT_TOTALS_SQL, year=year)]
    figure = drawing.export_figure(title, bars, totals, "Источник: статьи, marts.exports_by_region")
    stated = sum(bar.share is not None for bar in bars)
    note = f"направлений за {year} г.: {len(bars)}, из них с долей в экспорте: {stated}"
    return _Drawn(name, title, len(bars), [date(year, 12, 31)], note, figure)


def _by_key(
    rows: list[tuple], key: int, value: int
) -> dict[str, tuple[tuple[date, ...], tuple[float, ...]]]:
    """Days (column 0) and values (as floats) of ``rows`` for each value of column ``key``, in
    the rows' order; one pass over the rows."""
    days: dict[str, list[date]] = {}
    values: dict[str, list[float]] = {}
    for row in rows:
        days.setdefault(row[key], []).append(row[0])
        values.setdefault(row[key], []).append(float(row[value]))
    return {name: (tuple(days[name]), tuple(values[name])) for name in days}


def _span(rows: list[tuple]) -> str:
    days = [row[0] for row in rows]
    return f"строк: {len(rows)}, дни {min(days):%d.%m.%Y}–{max(days):%d.%m.%Y}"
