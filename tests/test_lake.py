"""Team mode on a real PostgreSQL and a real DuckLake (extract/lake.py, docs/scaling.md).

1. `tpw demo` with TPW_LAKE_CATALOG / TPW_LAKE_DATA_PATH writes the lake and no file; its
   marts have the same tables, columns and rows as the file's demo.
2. Two `tpw run`s of different ranges started together (two processes, each with its own Dagster
   home, standing in for two machines): both succeed, the lake holds exactly the rows of both; an
   analyst polling the lake meanwhile never sees a count go back or half a load.
3. A writer SIGKILLed between writing its data files and committing leaves the lake as it was.
4. The lake from a plain DuckDB session (ATTACH 'ducklake:postgres:...') and from `tpw sql`,
   which stays locked down: no other file, no writes.
5. Conflicts: two transactions replacing different days of one table conflict; the loser is
   rolled back and run again by `run_retrying`, nothing lost or doubled.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import psycopg2
import pytest

from extract import lake as lakes
from extract.cbr import CbrClient
from extract.cbr_replay import CbrReplayServer
from extract.rates import fetch_metal_prices_in_force, fetch_rates_in_force
from extract.warehouse import RAW_SCHEMA_SQL, replace_days
from tests.conftest import PROJECT_ROOT
from tests.postgres import PostgresServer
from tests.test_crashes_and_concurrency import TPW, Run, make_env

JUNE = (date(2020, 6, 1), date(2020, 6, 30))
JULY = (date(2020, 7, 1), date(2020, 7, 31))
CURRENCIES = ("USD", "EUR", "CNY")
METALS = 4


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def lake_env(root: Path, bank_url: str, lake: lakes.Lake) -> dict[str, str]:
    env = make_env(root, bank_url)
    env.update(TPW_LAKE_CATALOG=lake.catalog, TPW_LAKE_DATA_PATH=lake.data_path)
    return env


@pytest.fixture
def new_lake(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[lakes.Lake]:
    """An empty lake: a new catalog database and a new data folder."""
    name = f"lake_{os.getpid()}_{time.monotonic_ns()}"
    dsn = postgres_server.create_database(name)
    yield lakes.Lake(f"postgres:{dsn}", str(tmp_path / "lake_files"))


@pytest.fixture(scope="module")
def bank() -> Iterator[CbrReplayServer]:
    with CbrReplayServer() as server:
        yield server


def counts(lake: lakes.Lake, tables: tuple[str, ...]) -> dict[str, int]:
    conn = lakes.connect(lake, read_only=True)
    try:
        present = {
            f"{schema}.{name}"
            for schema, name in conn.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database()"
            ).fetchall()
        }
        return {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]
            if table in present
            else 0
            for table in tables
        }
    finally:
        conn.close()


def tpw(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TPW), *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


# --------------------------------------------------------------------------- 1 and 4: demo


@pytest.fixture(scope="module")
def demos(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`tpw demo` into a file and into a lake, side by side."""
    root = tmp_path_factory.mktemp("demos")
    dsn = postgres_server.create_database("demo_lake")
    lake = lakes.Lake(f"postgres:{dsn}", str(root / "lake_files"))
    base = {key: val for key, val in os.environ.items() if not key.startswith(("TPW_", "DAGSTER_"))}
    envs = {}
    for mode in ("file", "lake"):
        env = dict(
            base,
            TPW_WAREHOUSE=str(root / mode / "warehouse.duckdb"),
            DAGSTER_HOME=str(root / mode / "dagster_home"),
            TPW_ARTICLES_DIR=str(PROJECT_ROOT / "data" / "articles"),
        )
        if mode == "lake":
            env.update(TPW_LAKE_CATALOG=lake.catalog, TPW_LAKE_DATA_PATH=lake.data_path)
        envs[mode] = env
    procs = {
        mode: subprocess.Popen(
            [str(TPW), "demo", "--quiet"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode, env in envs.items()
    }
    outputs = {mode: proc.communicate(timeout=900) for mode, proc in procs.items()}
    for mode, proc in procs.items():
        assert proc.returncode == 0, f"{mode} demo failed:\n{outputs[mode]}"
    return {"root": root, "lake": lake, "envs": envs, "outputs": outputs}


def _catalog(conn: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[tuple]]:
    rows = conn.execute(
        "select table_schema || '.' || table_name, column_name, data_type from "
        "information_schema.columns where table_catalog = ? and table_schema in ('raw', 'marts') "
        "order by 1, ordinal_position",
        [database],
    ).fetchall()
    tables: dict[str, list[tuple]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, []).append((column, kind))
    return tables


def test_demo_writes_the_lake_with_the_files_marts_and_columns(demos: dict) -> None:
    root, lake = demos["root"], demos["lake"]
    assert not (root / "lake" / "warehouse.duckdb").exists(), "team mode wrote the file"
    assert not (root / "lake" / ".build").exists()
    assert "the lake postgres:" in demos["outputs"]["lake"][0]
    file_conn = duckdb.connect(str(root / "file" / "warehouse.duckdb"), read_only=True)
    lake_conn = lakes.connect(lake, read_only=True)
    try:
        file_tables = _catalog(file_conn, "warehouse")
        lake_tables = _catalog(lake_conn, "lake")
        assert {t for t in file_tables if t.startswith("marts.")} >= {
            "marts.fx_rates", "marts.metal_prices", "marts.article_facts",
            "marts.exports_by_region", "marts.ticker_quotes",
        }  # fmt: skip
        assert lake_tables == file_tables  # same tables, same columns, same types
        for table in file_tables:
            ignored = {"loaded_at", "source_url", "extracted_at", "seen_at"}
            columns = ", ".join(c for c, _ in file_tables[table] if c not in ignored)
            query = f"select {columns} from {table} order by all"
            assert lake_conn.execute(query).fetchall() == file_conn.execute(query).fetchall(), table
    finally:
        file_conn.close()
        lake_conn.close()


def test_a_plain_duckdb_session_opens_the_lake(demos: dict, tmp_path: Path) -> None:
    """What docs/scaling.md tells an analyst to type, in a DuckDB of their own."""
    lake = demos["lake"]
    extensions = {
        name: lakes._bundled_file(module) for name, module in lakes.EXTENSIONS
    }  # the wheels' files: an analyst without internet installs them by path
    conn = duckdb.connect(config={"extension_directory": str(tmp_path / "ext")})
    try:
        for path in extensions.values():
            assert path is not None and path.is_file()
            conn.execute(f"install '{path}'")
        conn.execute(
            f"attach 'ducklake:{lake.catalog}' as lake (data_path '{lake.data_url}', read_only)"
        )
        rows = conn.execute(
            "select rate_date, value_rub from lake.marts.fx_rates "
            "where currency_code = 'USD' and rate_date = '2020-06-10'"
        ).fetchall()
        assert rows and rows[0][1] > 0
        with pytest.raises(duckdb.Error, match=r"read.only"):
            conn.execute("delete from lake.marts.fx_rates")
    finally:
        conn.close()


def test_tpw_sql_reads_the_lake_locked_down(demos: dict, tmp_path: Path) -> None:
    env = demos["envs"]["lake"]
    done = tpw(env, "sql", "select count(*) as n from marts.fx_rates", "--format", "csv")
    assert done.returncode == 0, done.stderr
    file_done = tpw(demos["envs"]["file"], "sql", "select count(*) as n from marts.fx_rates",
                    "--format", "csv")  # fmt: skip
    assert done.stdout == file_done.stdout and int(done.stdout.split()[1]) > 0
    secret = tmp_path / "secret.txt"
    secret.write_text("not for analysts")
    for query, refusal in (
        (f"select * from read_text('{secret}')", "disabled by configuration"),
        (f"copy (select 1) to '{tmp_path / 'out.csv'}'", "disabled by configuration"),
        (f"attach '{tmp_path / 'other.duckdb'}' as other", "disabled by configuration"),
        ("delete from marts.fx_rates", "read-only|read only"),
        ("set enable_external_access = true", "locked|lock_configuration"),
    ):
        refused = tpw(env, "sql", query)
        assert refused.returncode == 1, query
        assert re.search(refusal, refused.stderr, flags=re.IGNORECASE), refused.stderr
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


# --------------------------------------------------------------------------- 2: two writers


RAW = ("raw.cbr_rates", "raw.cbr_metal_prices")


def test_two_runs_at_once_hold_exactly_both_ranges(
    new_lake: lakes.Lake, bank: CbrReplayServer, tmp_path: Path
) -> None:
    june, july = (
        Run(lake_env(tmp_path / name, bank.url, new_lake), *window, tmp_path / name / "run")
        for name, window in (("june", JUNE), ("july", JULY))
    )
    seen: list[dict[str, int]] = []
    stop = threading.Event()

    def analyst() -> None:  # polls the lake like an analyst's dashboard
        while not stop.is_set():
            # the catalog's tables do not exist before the first writer makes them
            with contextlib.suppress(lakes.LakeError):
                seen.append(counts(new_lake, RAW))
            time.sleep(0.05)

    reader = threading.Thread(target=analyst, daemon=True)
    reader.start()
    try:
        june.succeed()
        july.succeed()
    finally:
        stop.set()
        reader.join(timeout=30)
    per_currency = {JUNE: 30, JULY: 31}
    loads = {  # the rows each single load adds: a table only ever grows by whole loads
        "raw.cbr_rates": {n * len(CURRENCIES) for n in per_currency.values()},
        "raw.cbr_metal_prices": {n * METALS for n in per_currency.values()},
    }
    for table, sizes in loads.items():
        possible = {0, *sizes, sum(sizes)}
        observed = [snapshot[table] for snapshot in seen]
        assert set(observed) <= possible, f"{table}: half a load was visible: {set(observed)}"
        assert observed == sorted(observed), f"{table}: a count went back"
    assert len(seen) >= 10
    conn = lakes.connect(new_lake, read_only=True)
    try:
        rates = conn.execute(
            "select rate_date, currency_code, count(*) from raw.cbr_rates group by all"
        ).fetchall()
        assert all(n == 1 for _, _, n in rates), "a day was doubled"
        assert sorted({d for d, _, _ in rates}) == days(JUNE[0], JULY[1])
        assert {c for _, c, _ in rates} == set(CURRENCIES)
        metals = conn.execute(
            "select price_date, count(*) from raw.cbr_metal_prices group by all"
        ).fetchall()
        assert sorted(d for d, _ in metals) == days(JUNE[0], JULY[1])
        assert {n for _, n in metals} == {METALS}
        marts = conn.execute(
            "select min(rate_date), max(rate_date), count(*) from marts.fx_rates"
        ).fetchone()
        assert marts == (JUNE[0], JULY[1], 61 * len(CURRENCIES))
    finally:
        conn.close()


# --------------------------------------------------------------------------- 3: SIGKILL


def _waiting_on_lock(dsn: str) -> bool:
    """Is some session of the catalog's database waiting for a lock (our writer's commit)?"""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                "and datname = current_database()"
            )
            return cursor.fetchone()[0] > 0
    finally:
        conn.close()


def test_a_writer_killed_before_its_commit_leaves_the_lake_as_it_was(
    new_lake: lakes.Lake, bank: CbrReplayServer, tmp_path: Path
) -> None:
    # June, loaded the way the raw assets load it (the Bank's client over HTTP, one transaction
    # per table), without a whole run: the state the killed writer must leave as it was
    with CbrClient(bank.url, min_interval=0.0) as client, lakes.connect_writer(new_lake) as conn:
        replace_days(conn, "raw.cbr_rates", fetch_rates_in_force(client, CURRENCIES, *JUNE),
                     "rate_date")  # fmt: skip
        replace_days(conn, "raw.cbr_metal_prices", fetch_metal_prices_in_force(client, *JUNE),
                     "price_date")  # fmt: skip
    before = counts(new_lake, RAW)
    assert before == {"raw.cbr_rates": 30 * len(CURRENCIES), "raw.cbr_metal_prices": 30 * METALS}
    conn = lakes.connect(new_lake, read_only=True)
    snapshot = lakes.snapshot_id(conn)
    conn.close()
    # Hold DuckLake's snapshot table so that no commit can finish (reads still can): the next
    # writer writes its Parquet files, then waits at its commit, and is killed there.
    holder = psycopg2.connect(new_lake.postgres_dsn)
    try:
        with holder.cursor() as cursor:
            cursor.execute("begin; lock table ducklake_snapshot in exclusive mode")
        env = lake_env(tmp_path / "b", bank.url, new_lake)
        before_files = set(Path(new_lake.data_url).rglob("*.parquet"))
        writer = Run(env, *JULY, tmp_path / "b" / "run")
        deadline = time.monotonic() + 300
        while not _waiting_on_lock(new_lake.postgres_dsn):
            assert writer.alive, f"the writer ended before its commit\n{writer.describe()}"
            assert time.monotonic() < deadline, writer.describe()
            time.sleep(0.1)
        written = set(Path(new_lake.data_url).rglob("*.parquet")) - before_files
        os.killpg(writer.proc.pid, signal.SIGKILL)
        writer.proc.wait(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    # it was killed mid-load: its July rows were in Parquet files, not yet in the catalog
    assert any(path.parent.parent.name == "raw" for path in written), written
    conn = lakes.connect(new_lake, read_only=True)
    try:
        assert lakes.snapshot_id(conn) == snapshot
    finally:
        conn.close()
    assert counts(new_lake, RAW) == before
    # and the lake takes the same load again
    again = Run(env, *JULY, tmp_path / "b" / "again")
    again.succeed()
    after = counts(new_lake, RAW)
    assert after == {
        "raw.cbr_rates": 61 * len(CURRENCIES),
        "raw.cbr_metal_prices": 61 * METALS,
    }


# --------------------------------------------------------------------------- 5: conflicts


def _frame(day: date, value: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rate_date": [day],
            "currency_code": ["USD"],
            "currency_id": ["R01235"],
            "record_date": [day],
            "nominal": [1],
            "value": [value],
            "vunit_rate": [value],
            "source_url": ["http://127.0.0.1/"],
        }
    ).with_columns(pl.col("value", "vunit_rate").cast(pl.Decimal(18, 4)))


def test_two_loads_of_different_days_conflict_and_the_retry_lands_both(
    new_lake: lakes.Lake,
) -> None:
    with lakes.connect_writer(new_lake, locked=False) as setup:
        setup.execute(lakes.without_keys(RAW_SCHEMA_SQL))
        for day in (1, 2, 3):
            replace_days(setup, "raw.cbr_rates", _frame(date(2020, 6, day), "70.0"), "rate_date")
    first, second = lakes.connect(new_lake), lakes.connect(new_lake)
    try:
        # the first writer is inside its transaction when the second replaces another day (a
        # conflict needs rows really deleted: the days exist)
        first.execute("begin transaction")
        first.execute("delete from raw.cbr_rates where rate_date = '2020-06-02'")
        replace_days(second, "raw.cbr_rates", _frame(date(2020, 6, 3), "70.3"), "rate_date")
        first.execute(
            "insert into raw.cbr_rates select * replace ('2020-06-02'::date as rate_date) "
            "from raw.cbr_rates where rate_date = '2020-06-01'"
        )
        with pytest.raises(duckdb.Error) as refused:
            first.execute("commit")
        assert lakes.is_conflict(refused.value), refused.value
        with contextlib.suppress(duckdb.Error):
            first.execute("rollback")
        # run_retrying: the same work, made to conflict once more by another writer, then lands
        retries = lakes.Retries()
        interfering = iter([date(2020, 6, 4)])

        def work() -> int:
            first.execute("begin transaction")
            try:
                first.execute("delete from raw.cbr_rates where rate_date = '2020-06-02'")
                if (day := next(interfering, None)) is not None:
                    replace_days(second, "raw.cbr_rates", _frame(day, "70.4"), "rate_date")
                first.execute(
                    "insert into raw.cbr_rates select * replace ('2020-06-02'::date as "
                    "rate_date) from raw.cbr_rates where rate_date = '2020-06-01'"
                )
                first.execute("commit")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    first.execute("rollback")
                raise
            return 1

        assert lakes.run_retrying(work, retries=retries, first_wait=0.01) == 1
        assert retries.count == 1
        rows = first.execute(
            "select rate_date, count(*) from raw.cbr_rates group by 1 order by 1"
        ).fetchall()
        assert rows == [(date(2020, 6, d), 1) for d in (1, 2, 3, 4)]
    finally:
        first.close()
        second.close()


def test_a_lake_setting_alone_or_of_another_kind_is_refused() -> None:
    with pytest.raises(lakes.LakeError, match="TPW_LAKE_CATALOG is not"):
        lakes.lake_from_env({"TPW_LAKE_DATA_PATH": "/tmp/x"})
    with pytest.raises(lakes.LakeError, match="TPW_LAKE_DATA_PATH is empty"):
        lakes.lake_from_env({"TPW_LAKE_CATALOG": "postgres:dbname=lake"})
    with pytest.raises(lakes.LakeError, match="must be a PostgreSQL catalog"):
        lakes.lake_from_env({"TPW_LAKE_CATALOG": "metadata.ducklake", "TPW_LAKE_DATA_PATH": "/x"})
    assert lakes.lake_from_env({}) is None


def test_the_writer_lock_is_one_holder_and_dies_with_a_killed_holder(
    new_lake: lakes.Lake,
) -> None:
    """dbt builds and article writes hold the lake's advisory lock: a second writer waits (here:
    gives up with a clear message) and a SIGKILLed holder frees it with its connection."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from extract import lake as l\n"
         "with l.writer_lock(l.Lake(sys.argv[1], sys.argv[2])):\n"
         "    print('held', flush=True); time.sleep(300)",
         new_lake.catalog, new_lake.data_path],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(lakes.LakeBusy, match="another run is writing the lake"),
            lakes.writer_lock(new_lake, timeout=0.5),
        ):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=30)
    with lakes.writer_lock(new_lake, timeout=30):  # PostgreSQL ended the killed session's lock
        pass
