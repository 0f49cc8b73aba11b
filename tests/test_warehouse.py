"""DuckDB loading and publishing on real files."""

from __future__ import annotations

import multiprocessing
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from extract.rates import RATES_SCHEMA
from extract.warehouse import (
    WarehouseBusy,
    connect_writer,
    publish,
    replace_days,
    writer_lock,
)


def rates(day: date, usd: str, eur: str | None = "90.0000") -> pl.DataFrame:
    rows = [
        {
            "rate_date": day,
            "currency_code": "USD",
            "currency_id": "R01235",
            "record_date": day,
            "nominal": 1,
            "value": Decimal(usd),
            "vunit_rate": Decimal(usd),
            "source_url": "http://bank/XML_dynamic.asp",
        }
    ]
    if eur:
        rows.append(
            {
                **rows[0],
                "currency_code": "EUR",
                "currency_id": "R01239",
                "value": Decimal(eur),
                "vunit_rate": Decimal(eur),
            }
        )
    return pl.DataFrame(rows, schema=RATES_SCHEMA)


def table(
    path: Path, sql: str = "select rate_date, currency_code, value from raw.cbr_rates order by 1, 2"
) -> list[tuple]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_replacing_a_day_twice_changes_nothing(tmp_path: Path) -> None:
    build = tmp_path / "build.duckdb"
    for _ in range(2):
        with connect_writer(build) as conn:
            replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 5), "69.0151"), "rate_date")
            replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 6), "68.6319"), "rate_date")
    assert table(build) == [
        (date(2020, 6, 5), "EUR", Decimal("90.0000")),
        (date(2020, 6, 5), "USD", Decimal("69.0151")),
        (date(2020, 6, 6), "EUR", Decimal("90.0000")),
        (date(2020, 6, 6), "USD", Decimal("68.6319")),
    ]


def test_replacing_a_day_replaces_only_that_day(tmp_path: Path) -> None:
    build = tmp_path / "build.duckdb"
    with connect_writer(build) as conn:
        replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 5), "69.0151"), "rate_date")
        replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 6), "68.6319"), "rate_date")
        # A new answer for 6 June without EUR: EUR's old row for that day goes, 5 June stays.
        replace_days(
            conn, "raw.cbr_rates", rates(date(2020, 6, 6), "68.6319", eur=None), "rate_date"
        )
        replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 7), "1")[:0], "rate_date")
    assert table(build, "select rate_date, currency_code from raw.cbr_rates order by 1, 2") == [
        (date(2020, 6, 5), "EUR"),
        (date(2020, 6, 5), "USD"),
        (date(2020, 6, 6), "USD"),
    ]


def test_a_failed_insert_rolls_back_the_delete(tmp_path: Path) -> None:
    build = tmp_path / "build.duckdb"
    with connect_writer(build) as conn:
        replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 5), "69.0151"), "rate_date")
        broken = rates(date(2020, 6, 5), "70.0000").with_columns(
            pl.lit(None, pl.String).alias("currency_id")
        )
        with pytest.raises(duckdb.ConstraintException):
            replace_days(conn, "raw.cbr_rates", broken, "rate_date")
    assert table(build) == [
        (date(2020, 6, 5), "EUR", Decimal("90.0000")),
        (date(2020, 6, 5), "USD", Decimal("69.0151")),
    ]


def test_publish_is_a_complete_copy_and_an_open_reader_keeps_its_snapshot(tmp_path: Path) -> None:
    build, published = tmp_path / "build" / "wh.duckdb", tmp_path / "wh.duckdb"
    with connect_writer(build) as conn:
        replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 5), "69.0151"), "rate_date")
    publish(build, published)
    analyst = duckdb.connect(str(published), read_only=True)
    try:
        with connect_writer(build) as conn:
            replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 6), "68.6319"), "rate_date")
        publish(build, published)  # the analyst's open connection does not block publishing
        assert analyst.execute("select count(*) from raw.cbr_rates").fetchone() == (2,)
    finally:
        analyst.close()
    assert table(published, "select count(*) from raw.cbr_rates") == [(4,)]
    assert not list(tmp_path.glob(".wh.duckdb.*"))  # no temporary file left behind


def _hold_lock(build: str, ready: multiprocessing.Event, release: multiprocessing.Event) -> None:
    with writer_lock(Path(build)):
        ready.set()
        release.wait(10)


def test_a_second_writer_waits_then_refuses_clearly(tmp_path: Path) -> None:
    build = tmp_path / "build.duckdb"
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(str(build), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with (
            pytest.raises(WarehouseBusy, match="another run is writing"),
            connect_writer(build, timeout=0.3),
        ):
            pass
    finally:
        release.set()
        holder.join(10)
    with connect_writer(build, timeout=5):
        pass


def _analyst(path: str, opened: multiprocessing.Event, done: multiprocessing.Event, out) -> None:
    conn = duckdb.connect(path, read_only=True)
    first = conn.execute("select count(*) from raw.cbr_rates").fetchone()[0]
    opened.set()
    done.wait(20)
    again = conn.execute("select count(*) from raw.cbr_rates").fetchone()[0]
    conn.close()
    fresh = duckdb.connect(path, read_only=True)
    out.put((first, again, fresh.execute("select count(*) from raw.cbr_rates").fetchone()[0]))
    fresh.close()


def test_an_analyst_in_another_process_never_blocks_publishing(tmp_path: Path) -> None:
    build, published = tmp_path / "build" / "wh.duckdb", tmp_path / "wh.duckdb"
    with connect_writer(build) as conn:
        replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 5), "69.0151"), "rate_date")
    publish(build, published)
    opened, done, out = multiprocessing.Event(), multiprocessing.Event(), multiprocessing.Queue()
    analyst = multiprocessing.Process(target=_analyst, args=(str(published), opened, done, out))
    analyst.start()
    try:
        assert opened.wait(20)
        with connect_writer(build) as conn:  # the build file is not the analysts' file
            replace_days(conn, "raw.cbr_rates", rates(date(2020, 6, 6), "68.6319"), "rate_date")
        publish(build, published)
    finally:
        done.set()
        result = out.get(timeout=20)
        analyst.join(20)
    # The open session kept its snapshot; a new session sees the new warehouse.
    assert result == (2, 2, 4)
