"""Numbers as people write them (issue 13): the marts' types, `tpw sql` in every format on the
demo warehouse, `tpw facts`, whole place names, what is published, and the one jump threshold."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from extract.articles import read_path
from extract.facts import extract_article_facts
from extract.formatting import (
    grouped_number,
    json_value,
    markdown_table,
    plain_number,
    ru_number,
    ru_percent,
    shorten,
    text_table,
)
from orchestration.defs.checks import with_dbt_severities
from tests.conftest import PROJECT_ROOT

TPW = str(PROJECT_ROOT / ".venv" / "bin" / "tpw")
DBT_PROJECT = PROJECT_ROOT / "dbt_project"
EXPONENT = re.compile(r"\d[eE][+-]?\d")
NUMERIC_TYPES = ("DECIMAL", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "HUGEINT", "SMALLINT")


# --------------------------------------------------------------------------- the formatter


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0E-12"), "0"),
        (Decimal("0E-10"), "0"),
        (Decimal("83.125900000000"), "83.1259"),
        (Decimal("-0.0000539256"), "-0.0000539256"),
        (Decimal("1E+3"), "1000"),
        (1.2e9, "1200000000"),
        (5.39256e-05, "0.0000539256"),
        (0.1 + 0.2, "0.3"),
        (1 / 7, "0.142857142857"),
        (-0.0, "0"),
        (12, "12"),
    ],
)
def test_plain_number_has_no_exponent_and_no_trailing_noise(value: object, text: str) -> None:
    assert plain_number(value) == text  # type: ignore[arg-type]


def test_grouped_number_reads_like_a_figure_in_a_text() -> None:
    assert grouped_number(1.2e9) == "1 200 000 000"
    assert grouped_number(Decimal("-2233000.50")) == "-2 233 000.5"
    assert grouped_number(500) == "500"


def test_json_values_are_numbers_and_iso_dates() -> None:
    row = [Decimal("72.7263"), Decimal("0E-10"), Decimal("12.00"), 1.5, 7, True, date(2020, 5, 1)]
    assert json.dumps([json_value(v) for v in row]) == (
        '[72.7263, 0, 12, 1.5, 7, true, "2020-05-01"]'
    )


def test_russian_numbers_come_from_babel() -> None:
    assert ru_number(12345.5) == "12\u00a0345,5"
    assert ru_number(Decimal("83.1259000000"), 4, 10) == "83,1259"
    assert ru_number(Decimal("10419.09"), 2) == "10\u00a0419,09"
    assert ru_percent(Decimal("1.48")) == "+1,48\u00a0%"
    assert ru_percent(Decimal("-5.04")) == "\u22125,04\u00a0%"
    assert ru_percent(Decimal("0.00")) == "0,00\u00a0%"


def test_one_table_printer_aligns_decimal_points() -> None:
    rows = [["gold", Decimal("10419.0900")], ["platinum", Decimal("4073.3000")], ["none", None]]
    assert text_table(["metal", "rub"], rows).splitlines() == [
        "metal     rub",
        "--------  --------",
        "gold      10419.09",
        "platinum   4073.30",
        "none      NULL",
    ]
    assert markdown_table(["metal", "rub"], rows[:2]).splitlines()[1:] == [
        "|---|---:|",
        "| gold | 10419.09 |",
        "| platinum | 4073.30 |",
    ]


@pytest.mark.parametrize("width", range(8, 60))
def test_shortened_text_never_cuts_a_word(width: int) -> None:
    text = "а на страны Юго-Восточной Азии пришлось около 15% поставок"
    short = shorten(text, width)
    assert len(short) <= width
    kept = short.removesuffix("…").split()
    assert all(word in text.split() for word in kept)  # whole words only
    assert "Ази" not in short or "Азии" in short


# --------------------------------------------------------------------------- the demo warehouse


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    env.update(TPW_WAREHOUSE=str(home / "warehouse.duckdb"), DAGSTER_HOME=str(home / "dagster"))
    result = subprocess.run(
        [TPW, "demo", "--quiet"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0E-" not in result.stdout
    return env


def tpw_sql(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [TPW, "sql", *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def columns(env: dict[str, str]) -> dict[str, dict[str, str]]:
    conn = duckdb.connect(env["TPW_WAREHOUSE"], read_only=True)
    try:
        found = conn.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
    finally:
        conn.close()
    marts: dict[str, dict[str, str]] = {}
    for table, column, kind in found:
        marts.setdefault(table, {})[column] = kind
    return marts


def test_the_marts_hold_the_precision_the_bank_publishes(demo: dict[str, str]) -> None:
    marts = columns(demo)
    assert {k: marts["fx_rates"][k] for k in ("value_rub", "rub_per_unit", "change_rub")} == {
        "value_rub": "DECIMAL(18,4)",
        "rub_per_unit": "DECIMAL(18,10)",
        "change_rub": "DECIMAL(18,10)",
    }
    assert marts["metal_prices"]["rub_per_gram"] == "DECIMAL(18,2)"
    assert marts["metal_prices"]["change_rub_per_gram"] == "DECIMAL(18,2)"
    assert marts["metal_prices"]["usd_per_troy_ounce"] == "DECIMAL(18,2)"
    assert marts["fx_rates"]["change_pct"] == marts["metal_prices"]["change_pct"] == "DECIMAL(18,2)"
    # No mart column carries 12 decimals any more.
    assert not [(t, c) for t, cs in marts.items() for c, k in cs.items() if ",12)" in k]


def test_ten_decimals_are_exact_for_every_nominal_the_bank_uses() -> None:
    """rub_per_unit is value_rub (4 decimals) / nominal: DECIMAL(18,10) holds it exactly for
    every Nominal the marts accept (JPY 51.2345 per 100 is 0.512345)."""
    models = yaml.safe_load((DBT_PROJECT / "models/marts/_marts__models.yml").read_text())
    fx = next(m for m in models["models"] if m["name"] == "fx_rates")
    nominal = next(c for c in fx["columns"] if c["name"] == "nominal")
    accepted = next(
        t for t in nominal["data_tests"] if isinstance(t, dict) and "accepted_values" in t
    )
    nominals = accepted["accepted_values"]["arguments"]["values"]
    conn = duckdb.connect()
    for n in nominals:
        for value in ("0.0001", "51.2345", "99999.9999"):
            kept = conn.execute(
                f"select cast(cast({value} as decimal(18, 4)) / {n} as decimal(18, 10))"
            ).fetchone()[0]
            assert kept * n == Decimal(value), (value, n)


def test_tpw_sql_prints_every_mart_plainly(demo: dict[str, str]) -> None:
    for table, kinds in columns(demo).items():
        numbers = [c for c, kind in kinds.items() if kind.startswith(NUMERIC_TYPES)]
        if numbers:  # text columns may hold hashes such as «3e7» of an article id
            text = tpw_sql(demo, f"select {', '.join(numbers)} from marts.{table}")
            assert "0E-" not in text and not EXPONENT.search(text), table
        rows = list(
            csv.reader(
                io.StringIO(tpw_sql(demo, "--format", "csv", f"select * from marts.{table}"))
            )
        )
        kinds = list(columns(demo)[table].values())
        for row in rows[1:]:
            for kind, cell in zip(kinds, row, strict=True):
                if kind.startswith(NUMERIC_TYPES) and cell:
                    assert not EXPONENT.search(cell), (table, cell)
                    assert not re.fullmatch(r"-?\d+\.\d*0", cell), (table, cell)  # 4073.3000


def test_tpw_sql_json_writes_numbers_as_numbers(demo: dict[str, str]) -> None:
    checked = 0
    for table, kinds in columns(demo).items():
        for line in tpw_sql(demo, "--format", "json", f"select * from marts.{table}").splitlines():
            row = json.loads(line)
            for column, kind in kinds.items():
                value = row[column]
                if value is None:
                    continue
                if kind.startswith(NUMERIC_TYPES):
                    assert isinstance(value, int | float) and not isinstance(value, bool)
                    checked += 1
                elif kind == "DATE":
                    assert date.fromisoformat(value)
    assert checked > 1000
    usd = json.loads(
        tpw_sql(
            demo, "--format", "json",
            "select value_rub, change_rub from marts.fx_rates "
            "where currency_code = 'USD' and rate_date = '2020-05-02'",
        )
    )  # fmt: skip
    assert usd == {"value_rub": 72.7263, "change_rub": 0}


def test_the_published_file_holds_what_analysts_query(demo: dict[str, str]) -> None:
    conn = duckdb.connect(demo["TPW_WAREHOUSE"], read_only=True)
    try:
        schemas = conn.execute(
            "select distinct schema_name from duckdb_tables() union "
            "select distinct schema_name from duckdb_views() where not internal order by 1"
        ).fetchall()
    finally:
        conn.close()
    assert schemas == [("marts",), ("raw",)]  # no dbt_test__audit, staging or intermediate
    build = Path(demo["TPW_WAREHOUSE"]).parent / ".build" / "warehouse.duckdb"
    conn = duckdb.connect(str(build), read_only=True)
    try:
        kept = conn.execute(
            "select count(*) from duckdb_tables() where schema_name = 'dbt_test__audit'"
        ).fetchone()
    finally:
        conn.close()
    assert kept[0] > 0  # dbt's stored test rows stay in the build file


# --------------------------------------------------------------------------- tpw facts


def test_tpw_facts_prints_plain_numbers() -> None:
    article = PROJECT_ROOT / "data" / "articles" / "technopolis_exports_2020.txt"
    result = subprocess.run([TPW, "facts", str(article)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "export_volume 1 200 000 000 RUB" in result.stdout
    assert "land_area 2 233 000 m2" in result.stdout
    assert not EXPONENT.search(result.stdout)


def test_fact_quotes_are_whole_words() -> None:
    """Each fact's quote (char_start..char_end) begins and ends at a word boundary, over every
    article the project bundles: a place name is never cut («Юго-Восточной Ази»)."""
    checked = 0
    for corpus in (PROJECT_ROOT / "data" / "articles", PROJECT_ROOT / "data" / "eval"):
        articles, _ = read_path(corpus)
        for article in articles:
            text = article.text
            for fact in extract_article_facts(article):
                start, end = fact.char_start, fact.char_end
                if end <= start:
                    continue  # a fact of the title
                assert not (start > 0 and text[start - 1].isalnum() and text[start].isalnum())
                assert not (end < len(text) and text[end - 1].isalnum() and text[end].isalnum()), (
                    text[start : end + 5]
                )
                checked += 1
    assert checked > 100


# --------------------------------------------------------------------------- one threshold


def test_the_jump_threshold_is_one_dbt_var() -> None:
    config = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())
    assert config["vars"]["max_daily_change_pct"] == 25
    test_sql = (DBT_PROJECT / "tests/generic/day_over_day_change_within.sql").read_text()
    assert "var('max_daily_change_pct')" in test_sql
    places = [
        *DBT_PROJECT.glob("models/**/*.yml"),
        *DBT_PROJECT.glob("models/**/*.sql"),
        *(PROJECT_ROOT / "orchestration").rglob("*.py"),
        *(PROJECT_ROOT / "reports").rglob("*.py"),
    ]
    for path in places:
        text = path.read_text(encoding="utf-8")
        assert "max_pct" not in text and "MAX_JUMP" not in text, path
        assert not re.search(r"\b25\s?%", text), path


def test_dbt_tests_marked_error_are_red_in_dagster() -> None:
    manifest = {
        "nodes": {
            "test.x.jump": {
                "resource_type": "test",
                "name": "jump",
                "alias": "jump",
                "config": {"meta": {"dagster_severity": "ERROR"}, "severity": "warn"},
            },
            "test.x.nominal": {
                "resource_type": "test",
                "name": "nominal",
                "config": {"meta": {}, "severity": "warn"},
            },
        }
    }
    key = dg.AssetKey(["marts", "fx_rates"])
    warn = dg.AssetCheckSeverity.WARN

    def result(name: str, passed: bool) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            asset_key=key, check_name=name, passed=passed, severity=warn,
            metadata={"dagster_dbt/failed_row_count": 0 if passed else 3},
        )  # fmt: skip

    events = [result("jump", False), result("nominal", False), result("jump", True), "other"]
    out = list(with_dbt_severities(events, manifest))
    assert out[0].severity == dg.AssetCheckSeverity.ERROR
    assert out[0].description == (
        "3 rows the Bank would not publish: dbt test jump "
        "(rows in dbt_test__audit.jump of the build file)"
    )
    assert out[1].severity == warn and out[2].severity == warn and out[3] == "other"
