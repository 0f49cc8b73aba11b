"""End to end: `tpw run` against a loopback server speaking the Bank's protocol, real Dagster
runs, real dbt build, a real published DuckDB file; and the same partitions loaded twice."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from extract.cbr_replay import CbrArchive, CbrReplayServer
from tests.conftest import PROJECT_ROOT

START, END = date(2020, 6, 1), date(2020, 7, 31)
CURRENCY_IDS = {"USD": "R01235", "EUR": "R01239", "CNY": "R01375"}
GRAMS_PER_TROY_OUNCE = Decimal("31.1034768")


def tpw(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "tpw"), *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"tpw {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def archive() -> CbrArchive:
    return CbrArchive.load()


@pytest.fixture(scope="module")
def bank(archive: CbrArchive) -> Iterator[CbrReplayServer]:
    with CbrReplayServer(archive) as server:
        yield server


@pytest.fixture(scope="module")
def run_env(tmp_path_factory: pytest.TempPathFactory, bank: CbrReplayServer) -> dict[str, str]:
    root = tmp_path_factory.mktemp("run")
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("TPW_", "DAGSTER_"))
    }
    env.update(
        TPW_WAREHOUSE=str(root / "warehouse.duckdb"),
        TPW_BUILD_WAREHOUSE=str(root / "build" / "warehouse.duckdb"),
        TPW_CBR_URL=bank.url,
        TPW_CURRENCIES="USD,EUR,CNY",
        TPW_ARTICLES_DIR=str(root / "no_articles"),  # the Bank's path only (articles: test_cli)
        DAGSTER_HOME=str(root / "dagster_home"),
    )
    return env


@pytest.fixture(scope="module")
def first_run(run_env: dict[str, str], bank: CbrReplayServer) -> subprocess.CompletedProcess[str]:
    before = len(bank.requests)
    result = tpw("run", "--start", START.isoformat(), "--end", END.isoformat(), env=run_env)
    result.requests = bank.requests[before:]  # type: ignore[attr-defined]
    return result


def query(env: dict[str, str], sql: str) -> list[tuple]:
    conn = duckdb.connect(env["TPW_WAREHOUSE"], read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def in_force(records: list, day: date):
    """The latest record dated on or before ``day`` (written independently of extract.rates)."""
    best = None
    for record in records:
        if record.record_date <= day and (best is None or record.record_date > best.record_date):
            best = record
    return best


def days() -> list[date]:
    return [START + timedelta(days=n) for n in range((END - START).days + 1)]


def test_a_two_month_range_is_a_handful_of_requests(
    first_run: subprocess.CompletedProcess[str],
) -> None:
    paths = sorted(path.split("?")[0] for path in first_run.requests)  # type: ignore[attr-defined]
    assert paths == [
        "/scripts/XML_dynamic.asp",
        "/scripts/XML_dynamic.asp",
        "/scripts/XML_dynamic.asp",
        "/scripts/XML_valFull.asp",  # checking the settings before anything runs
        "/scripts/XML_valFull.asp",
        "/scripts/xml_metall.asp",
    ]
    out = first_run.stdout
    assert out.startswith("tpw run 2020-06-01..2020-07-31: 61 days\n")
    # a line per step as it ends, with its figures, then the summary table
    assert re.search(
        r"\] Bank of Russia rates: done in [\d.]+ s \(61 days, 4 requests, 183 rows, "
        r"in force 2020-06-01\.\.2020-07-31\)",
        out,
    ), out
    assert re.search(
        r"\] Bank of Russia metal prices: done in [\d.]+ s \(61 days, 1 request, ", out
    )
    assert re.search(r"\] dbt build: done in [\d.]+ s \(\d+ tests, 0 failed, 0 warned\)", out), out
    table = out[out.index("\nstep ") + 1 :].splitlines()
    assert table[0].split() == ["step", "seconds", "days", "requests", "rows", "result"]
    rates = next(line for line in table if line.startswith("Bank of Russia rates"))
    assert rates.split()[5:9] == ["61", "4", "183", "in"]
    assert table[-1].startswith("61 days, 5 requests to the Bank of Russia, 427 rows loaded, in ")
    assert table[-1].endswith("marts.fx_rates 183 rows, marts.metal_prices 244 rows")


def test_fx_rates_equal_the_served_values_on_every_calendar_day(
    first_run: subprocess.CompletedProcess[str], run_env: dict[str, str], archive: CbrArchive
) -> None:
    rows = query(
        run_env,
        "select rate_date, currency_code, nominal, value_rub, rub_per_unit, set_on_date, "
        "record_date "
        "from marts.fx_rates order by 1, 2",
    )
    assert len(rows) == len(days()) * 3
    actual = {(row[0], row[1]): row[2:] for row in rows}
    for day in days():
        for code, currency_id in CURRENCY_IDS.items():
            record = in_force(list(archive.rates[currency_id]), day)
            nominal, value_rub, rub_per_unit, set_on_date, record_date = actual[(day, code)]
            assert (nominal, value_rub) == (record.nominal, record.value), (day, code)
            assert rub_per_unit == record.value / record.nominal
            assert record_date == record.record_date
            assert set_on_date == (record.record_date == day)


def test_sundays_and_holidays_carry_the_last_record(
    first_run: subprocess.CompletedProcess[str], run_env: dict[str, str]
) -> None:
    rows = query(
        run_env,
        "select rate_date, value_rub, set_on_date, record_date from marts.fx_rates "
        "where currency_code = 'USD' and rate_date between '2020-06-05' and '2020-06-16' "
        "order by rate_date",
    )
    by_day = {row[0]: row[1:] for row in rows}
    # Saturday 6 June's record is in force on Sunday 7 and Monday 8 June.
    assert by_day[date(2020, 6, 6)] == (Decimal("68.6319"), True, date(2020, 6, 6))
    assert by_day[date(2020, 6, 7)] == (Decimal("68.6319"), False, date(2020, 6, 6))
    assert by_day[date(2020, 6, 8)] == (Decimal("68.6319"), False, date(2020, 6, 6))
    # No rate was set on Russia Day (Friday 12 June 2020): the record dated 12 June holds
    # through Saturday, Sunday and Monday until the next one, dated Tuesday 16 June.
    assert by_day[date(2020, 6, 12)] == (Decimal("69.1219"), True, date(2020, 6, 12))
    for day in (date(2020, 6, 13), date(2020, 6, 14), date(2020, 6, 15)):
        assert by_day[day] == (Decimal("69.1219"), False, date(2020, 6, 12))
    assert by_day[date(2020, 6, 16)] == (Decimal("70.3950"), True, date(2020, 6, 16))


def test_metal_prices_in_rub_per_gram_and_usd_per_troy_ounce(
    first_run: subprocess.CompletedProcess[str], run_env: dict[str, str], archive: CbrArchive
) -> None:
    rows = query(
        run_env,
        "select price_date, metal, rub_per_gram, usd_per_troy_ounce, set_on_date "
        "from marts.metal_prices order by 1, 2",
    )
    actual = {(row[0], row[1]): row[2:] for row in rows}
    usd = list(archive.rates["R01235"])
    checked = 0
    for day in days():
        for metal in ("gold", "silver", "platinum", "palladium"):
            record = in_force([m for m in archive.metals if m.metal == metal], day)
            rub_per_gram, usd_per_ounce, set_on_date = actual[(day, metal)]
            assert rub_per_gram == record.sell, (day, metal)
            assert set_on_date == (record.record_date == day)
            rate = in_force(usd, day)
            expected = (record.sell * GRAMS_PER_TROY_OUNCE / (rate.value / rate.nominal)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )  # US dollars per troy ounce, to the cent
            assert abs(usd_per_ounce - expected) <= Decimal("0.01"), (day, metal)
            checked += 1
    assert checked == len(days()) * 4


def test_running_the_same_partitions_again_changes_nothing(
    first_run: subprocess.CompletedProcess[str], run_env: dict[str, str]
) -> None:
    snapshot = (
        "select rate_date, currency_code, record_date, nominal, value, vunit_rate "
        "from raw.cbr_rates order by 1, 2"
    )  # source_url names the request, which differs when July is loaded on its own
    marts = "select * from marts.fx_rates order by rate_date, currency_code"
    metals = "select * from marts.metal_prices order by price_date, metal"
    before = (query(run_env, snapshot), query(run_env, marts), query(run_env, metals))
    loaded_at_before = query(run_env, "select max(loaded_at) from raw.cbr_rates")[0][0]
    again = tpw("run", "--start", "2020-07-01", "--end", "2020-07-31", "--json", env=run_env)
    after = (query(run_env, snapshot), query(run_env, marts), query(run_env, metals))
    assert after == before
    report = json.loads(again.stdout)  # one JSON object and nothing else on stdout
    assert (report["start"], report["end"], report["success"]) == ("2020-07-01", "2020-07-31", True)
    assert (report["partitions"], report["requests"]) == (31, 5)
    assert report["rows_loaded"] == 31 * 3 + 31 * 4
    steps = {step["step"]: step for step in report["steps"]}
    assert steps["raw__cbr_rates"]["rows"] == 93 and steps["raw__cbr_rates"]["requests"] == 4
    assert steps["dbt_warehouse"]["status"] == "success"
    assert report["tables"]["marts.fx_rates"] == len(days()) * 3
    assert query(run_env, "select max(loaded_at) from raw.cbr_rates")[0][0] > loaded_at_before
    assert query(run_env, "select count(*) from raw.cbr_rates")[0][0] == len(days()) * 3


def test_tpw_sql_prints_a_table(
    first_run: subprocess.CompletedProcess[str], run_env: dict[str, str]
) -> None:
    result = tpw(
        "sql",
        "select * from marts.fx_rates where currency_code='USD' order by rate_date desc limit 5",
        env=run_env,
    )
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["rate_date", "currency_code", "currency_id"]
    assert lines[2].startswith("2020-07-31  USD")
    assert lines[-1] == "(5 rows)"


def test_tpw_sql_csv_and_json(
    first_run: subprocess.CompletedProcess[str], run_env: dict[str, str]
) -> None:
    sql = (
        "select rate_date, value_rub from marts.fx_rates "
        "where currency_code='USD' and rate_date='2020-06-05'"
    )
    assert tpw("sql", sql, "--format", "csv", env=run_env).stdout.splitlines() == [
        "rate_date,value_rub",
        "2020-06-05,69.0151",
    ]
    assert tpw("sql", sql, "--format", "json", env=run_env).stdout.strip() == (
        '{"rate_date": "2020-06-05", "value_rub": 69.0151}'  # a number, not a string
    )


def test_tpw_sql_is_read_only_and_errors_are_one_line(
    first_run: subprocess.CompletedProcess[str], run_env: dict[str, str]
) -> None:
    result = tpw("sql", "delete from marts.fx_rates", env=run_env, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("tpw: error:")
    assert "read-only" in result.stderr
    result = tpw("sql", "select * from marts.no_such_table", env=run_env, check=False)
    assert result.returncode == 1 and result.stderr.startswith("tpw: error: Catalog Error")


def test_the_duckdb_shell_opens_the_published_file(
    first_run: subprocess.CompletedProcess[str], run_env: dict[str, str]
) -> None:
    shell = Path(sys.executable).parent / "duckdb"
    result = subprocess.run(
        [
            str(shell),
            "-readonly",
            "-csv",
            run_env["TPW_WAREHOUSE"],
            "-c",
            "select count(*) from marts.fx_rates; select version();",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert str(len(days()) * 3) in result.stdout.splitlines()


def test_a_failing_bank_fails_the_run_with_one_line_and_keeps_the_warehouse(
    run_env: dict[str, str], first_run: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    published = Path(run_env["TPW_WAREHOUSE"]).read_bytes()
    env = {**run_env, "TPW_CBR_URL": "http://127.0.0.1:9"}  # nothing listens there
    result = tpw("run", "--start", "2020-06-01", "--end", "2020-06-02", env=env, check=False)
    assert result.returncode == 1
    # Found before anything runs: the Bank's catalogue is asked first.
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(
        "tpw: error: cannot reach the Bank of Russia for http://127.0.0.1:9/scripts/XML_valFull.asp"
    )
    assert "Connection refused" in result.stderr and "TPW_CBR_URL" in result.stderr
    assert Path(run_env["TPW_WAREHOUSE"]).read_bytes() == published
