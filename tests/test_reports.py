"""Charts and the offline report: drawn from a real warehouse built by the nightly job (two
loaded windows five years apart, an article with export facts), checked as files, as HTML and
as the Dagster asset's metadata; an empty warehouse renders too."""

from __future__ import annotations

import base64
import math
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import matplotlib.dates as mdates
import pytest
from PIL import Image

from extract.cbr_replay import CbrReplayServer
from extract.settings import load_settings
from orchestration.definitions import defs as load_defs
from orchestration.defs.resources import WarehouseResource
from reports.charts import Report, render_report
from reports.drawing import break_gaps, date_ticks, periods, rub_amount
from tests.conftest import PROJECT_ROOT

CHARTS = ("metal_prices_rub", "metal_prices_usd", "fx_rates", "exports_by_region")
METAL_NAMES = {
    "gold": "золото",
    "silver": "серебро",
    "platinum": "платина",
    "palladium": "палладий",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """October 2020 loaded alone, then the nightly job for 5 December 2025 (raw loads, the
    article inbox, dbt, publishing and the charts) against the replayed Bank of Russia."""
    root = tmp_path_factory.mktemp("reports")
    inbox = root / "inbox"
    inbox.mkdir()
    shutil.copy(PROJECT_ROOT / "data" / "articles" / "technopolis_exports_2020.txt", inbox)
    paths = {
        "warehouse": root / "warehouse.duckdb",
        "build": root / "build" / "warehouse.duckdb",
        "reports": root / "charts",
    }
    with pytest.MonkeyPatch.context() as env, CbrReplayServer() as bank:
        env.setenv("TPW_WAREHOUSE", str(paths["warehouse"]))
        env.setenv("TPW_BUILD_WAREHOUSE", str(paths["build"]))
        env.setenv("TPW_REPORTS_DIR", str(paths["reports"]))
        env.setenv("TPW_ARTICLES_DIR", str(inbox))
        env.setenv("TPW_CBR_URL", bank.url)
        env.setenv("TPW_CURRENCIES", "USD,EUR")
        definitions = load_defs()
        instance = dg.DagsterInstance.ephemeral()
        # A resource's run config replaces all of its config (Dagster's rule), so the Bank's
        # settings are given whole, with no polite interval.
        bank_config = {"base_url": bank.url, "currencies": "USD,EUR", "min_interval_seconds": 0}
        fast_bank = {"resources": {"cbr": {"config": bank_config}}, **QUIET}
        october = definitions.resolve_job_def("cbr_load_job").execute_in_process(
            instance=instance,
            run_config=fast_bank,
            tags={
                "dagster/asset_partition_range_start": "2020-10-20",
                "dagster/asset_partition_range_end": "2020-10-31",
            },
        )
        assert october.success
        nightly = definitions.resolve_job_def("nightly_job").execute_in_process(
            instance=instance, partition_key="2025-12-05", run_config=fast_bank
        )
    assert nightly.success
    yield {**paths, "result": nightly}


@pytest.fixture(scope="module")
def report(built: dict, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The same warehouse rendered again by the library, into a folder of its own."""
    return render_report(built["warehouse"], tmp_path_factory.mktemp("rendered"))


def query(path: Path, sql: str) -> list[tuple]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


class _Tables(HTMLParser):
    """Cell texts of every <table id=...> in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs)["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag == "td" and self._table:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return [row for row in parser.tables[table_id] if row]  # the header row has no <td>


def russian_decimal(text: str) -> Decimal:
    return Decimal(text.replace("\u00a0", "").replace(",", "."))


def test_the_nightly_job_draws_every_chart_as_a_modest_png(built: dict) -> None:
    for name in CHARTS:
        png = built["reports"] / f"{name}.png"
        content = png.read_bytes()
        assert content.startswith(PNG_MAGIC), name
        assert 10_000 < len(content) < 150_000, (name, len(content))
        with Image.open(png) as image:
            assert image.format == "PNG"
            assert image.width == 1000 and 500 <= image.height <= 900, (name, image.size)
    leftovers = [p.name for p in built["reports"].iterdir() if p.name.startswith(".")]
    assert leftovers == []  # temporary files were renamed, none left behind


def test_the_assets_metadata_shows_each_chart_in_the_ui(built: dict) -> None:
    result: dg.ExecuteInProcessResult = built["result"]
    (materialization,) = result.asset_materializations_for_node("reports__charts")
    metadata = materialization.metadata
    assert metadata["report"].value == str(built["reports"] / "report.html")
    rows = query(
        built["warehouse"],
        "select (select count(*) from marts.metal_prices), "
        "(select count(*) from marts.fx_rates where currency_code in ('USD', 'EUR'))",
    )[0]
    assert metadata["metal_prices_rub_rows"].value == rows[0]
    assert metadata["fx_rates_rows"].value == rows[1]
    assert metadata["fx_rates_last_day"].value == "2025-12-05"
    for name in CHARTS:
        markdown = metadata[name].value
        found = re.match(r"!\[[^\]]+\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
        assert found, markdown[:80]
        assert base64.b64decode(found.group(1)) == (built["reports"] / f"{name}.png").read_bytes()


def test_the_report_is_one_self_contained_page(report: Report, built: dict) -> None:
    html = report.html.read_text(encoding="utf-8")
    images = re.findall(r'<img alt="[^"]+" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert [base64.b64decode(image) for image in images] == [p.read_bytes() for p in report.pngs]
    assert [p.name for p in report.pngs] == [f"{name}.png" for name in CHARTS]
    for remote in ("http://", "https://", "//cdn", "<script", "<link", "url(", "@import"):
        assert remote not in html.lower(), remote
    assert re.findall(r'(?:src|href)="([^"]*)"', html) == [
        f"data:image/png;base64,{i}" for i in images
    ]
    assert '<html lang="ru">' in html and "Курсы валют" in html


def test_the_latest_values_in_the_report_are_the_marts(report: Report, built: dict) -> None:
    html = report.html.read_text(encoding="utf-8")
    metals = query(
        built["warehouse"],
        "select metal, price_date, rub_per_gram, usd_per_troy_ounce from marts.metal_prices "
        "qualify price_date = max(price_date) over (partition by metal)",
    )
    shown = {row[0]: row for row in table_rows(html, "latest-metals")}
    assert set(shown) == set(METAL_NAMES.values())
    for metal, day, rub_per_gram, usd_per_troy_ounce in metals:
        _name, shown_day, rub, _change, usd = shown[METAL_NAMES[metal]]
        assert shown_day == f"{day:%d.%m.%Y}" == "05.12.2025"
        assert russian_decimal(rub) == rub_per_gram
        assert russian_decimal(usd) == usd_per_troy_ounce
    rates = query(
        built["warehouse"],
        "select currency_code, rate_date, rub_per_unit from marts.fx_rates "
        "where currency_code in ('USD', 'EUR') "
        "qualify rate_date = max(rate_date) over (partition by currency_code)",
    )
    shown_rates = {row[0]: row for row in table_rows(html, "latest-rates")}
    assert dict((code, value) for code, _, value in rates) == {
        "USD": Decimal("76.9708"),
        "EUR": Decimal("89.9011"),
    }
    for code, day, rub_per_unit in rates:
        label = {"USD": "доллар США (USD)", "EUR": "евро (EUR)"}[code]
        assert shown_rates[label][1] == f"{day:%d.%m.%Y}"
        assert russian_decimal(shown_rates[label][2]) == rub_per_unit


def test_each_chart_reports_what_it_drew(report: Report, built: dict) -> None:
    charts = {chart.name: chart for chart in report.charts}
    assert (charts["fx_rates"].first_day, charts["fx_rates"].last_day) == (
        date(2020, 10, 20),
        date(2025, 12, 5),
    )
    assert (
        charts["metal_prices_rub"].rows
        == query(built["warehouse"], "select count(*) from marts.metal_prices")[0][0]
    )
    destinations = query(
        built["warehouse"],
        "select count(distinct (region, product)) from marts.exports_by_region "
        "where year(period_end) = 2020",
    )[0][0]
    assert destinations >= 5
    assert charts["exports_by_region"].rows == destinations
    assert charts["exports_by_region"].title == "Экспорт по регионам и продуктам, 2020 г."


def test_an_empty_warehouse_renders_charts_that_say_so(built: dict, tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    conn = duckdb.connect(str(empty))
    try:
        conn.execute(f"attach '{built['warehouse']}' as published (read_only)")
        conn.execute("create schema marts")
        for table in ("metal_prices", "fx_rates", "exports_by_region"):
            conn.execute(
                f"create table marts.{table} as select * from published.marts.{table} limit 0"
            )
    finally:
        conn.close()
    report = render_report(empty, tmp_path / "out")
    assert [chart.rows for chart in report.charts] == [0, 0, 0, 0]
    assert all(chart.note.startswith("нет данных") for chart in report.charts)
    assert report.metals == () and report.rates == ()
    for png in report.pngs:
        with Image.open(png) as image:
            assert image.format == "PNG" and image.size == (1000, 520)
    html = report.html.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 4
    assert html.count("Нет данных.") == 2  # both tables of latest values


def test_a_warehouse_without_marts_renders_too(tmp_path: Path) -> None:
    bare = tmp_path / "bare.duckdb"
    duckdb.connect(str(bare)).close()
    report = render_report(bare, tmp_path / "out")
    assert [chart.rows for chart in report.charts] == [0, 0, 0, 0]
    assert report.html.is_file()


def test_lines_break_across_days_never_loaded() -> None:
    days = [date(2020, 10, 30), date(2020, 10, 31), date(2020, 11, 9), date(2025, 12, 5)]
    xs, ys = break_gaps(days, [1.0, 2.0, 3.0, 4.0])
    assert xs == [*days[:3], date(2020, 11, 10), days[3]]  # 9 days apart: joined; 5 years: not
    assert ys[:3] == [1.0, 2.0, 3.0] and math.isnan(ys[3]) and ys[4] == 4.0
    assert periods(days, 45) == [(date(2020, 10, 30), date(2020, 11, 9)), (days[3], days[3])]


def test_a_day_with_no_loaded_neighbour_gets_a_marker() -> None:
    from reports.drawing import Series, _points

    start = date(2024, 1, 1)
    days = tuple(start + timedelta(days=n) for n in (0, 1, 30, 100, 110, 200))
    line, lonely = _points(Series("x", "#000", days, (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)))
    assert lonely == (list(mdates.date2num([days[2], days[5]])), [3.0, 6.0])
    xs, ys = break_gaps(days, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert len(xs) == 9 and line[0] == list(mdates.date2num(xs))  # three gaps broken
    assert [math.isnan(y) for y in line[1]] == [math.isnan(y) for y in ys]
    assert _points(Series("x", "#000", days[:1], (7.0,)))[1] == ([mdates.date2num(start)], [7.0])


def test_lines_are_drawn_at_matplotlibs_own_date_numbers() -> None:
    from reports.drawing import _date_numbers

    days = [date(1998, 1, 1) + timedelta(days=n) for n in range(0, 12_000, 7)]
    assert _date_numbers(days) == list(mdates.date2num(days)) and _date_numbers([]) == []


def test_date_labels_are_russian_and_name_the_year_once() -> None:
    ticks, labels = date_ticks(date(2020, 5, 1), date(2020, 10, 31), max_ticks=6)
    assert ticks[0] == date(2020, 5, 1)
    assert labels[0] == "май\n2020" and labels[1] == "июн"
    assert sum("2020" in label for label in labels) == 1
    assert date_ticks(date(2026, 3, 3), date(2026, 3, 19), 3, 9) == (
        [date(2026, 3, 3), date(2026, 3, 19)],
        ["03.03\n2026", "19.03"],
    )
    assert date_ticks(date(2025, 12, 5), date(2025, 12, 5), 2) == (
        [date(2025, 12, 5)],
        ["05.12\n2025"],
    )


def test_amounts_read_like_russian_text() -> None:
    assert rub_amount(Decimal("1200000000.00")) == "1,2\u00a0млрд\u00a0руб."
    assert rub_amount(500_000_000) == "500\u00a0млн\u00a0руб."


def test_reports_go_beside_the_warehouse_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TPW_WAREHOUSE", str(tmp_path / "data" / "warehouse.duckdb"))
    monkeypatch.delenv("TPW_REPORTS_DIR", raising=False)
    assert load_settings(None).reports == tmp_path / "data" / "reports"
    assert WarehouseResource(path=str(tmp_path / "data" / "warehouse.duckdb")).reports() == (
        tmp_path / "data" / "reports"
    )
    monkeypatch.setenv("TPW_REPORTS_DIR", str(tmp_path / "elsewhere"))
    assert load_settings(None).reports == tmp_path / "elsewhere"


def test_duckdb_reads_a_decimal_as_the_nearest_double() -> None:
    """The charts fetch the marts' DECIMALs cast to DOUBLE in SQL: the same numbers as
    Python's float() of each Decimal (up to 2**53 units of the last place, 9e13 roubles at two
    decimals; beyond, DuckDB may round twice), so the same lines."""
    import random

    generator = random.Random(13)
    raw = [generator.randrange(-(2**53), 2**53) for _ in range(5000)]
    raw += [1, -1, 10**15, 2**53 - 1, -(2**53)]
    conn = duckdb.connect()
    conn.execute("create table t (v decimal(18, 10), w decimal(18, 2))")
    conn.executemany(
        "insert into t values (?, ?)",
        [[Decimal(n).scaleb(-10), Decimal(n).scaleb(-2)] for n in raw],
    )
    rows = conn.execute("select v, v::double, w, w::double from t").fetchall()
    assert [(float(v), float(w)) for v, _, w, _ in rows] == [(a, b) for _, a, _, b in rows]
