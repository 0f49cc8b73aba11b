"""Dagster on PostgreSQL (``TPW_DAGSTER_PG_URL``), against a real server started by the tests.

1. Two `tpw run`s of different ranges, started together from two Dagster homes (two machines)
   that share one PostgreSQL instance and one lake: both succeed, a third instance sees both
   runs with their tags and materializations, their writer steps took turns in the shared
   ``duckdb_writer`` pool (which holds no slot afterwards), and the lake holds every day once.
2. The instance's queued run coordinator and limits; a run launched on one machine waits QUEUED
   (no daemon) and shows on the other; a schedule stopped on one machine is stopped on the other.
3. Without the variable the SQLite dagster.yaml is installed exactly as before.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from extract.cbr_replay import CbrReplayServer
from extract.lake import Lake, connect
from orchestration.postgres_storage import DagsterUrlError, libpq_url, sqlalchemy_url
from orchestration.progress import NOTHING_PUBLISHED, RunProgress
from orchestration.runner import INSTANCE_TEMPLATES, install_instance_config, prepare_dagster_home
from orchestration.storage import TpwSqliteEventLogStorage
from tests.conftest import PROJECT_ROOT
from tests.postgres import PostgresServer
from tests.test_crashes_and_concurrency import Run

BIN = Path(sys.executable).parent
RANGES = ((date(2020, 6, 1), date(2020, 6, 20)), (date(2020, 6, 21), date(2020, 7, 10)))
CURRENCIES, METALS = 3, 4  # rows a day: USD, EUR, CNY; gold, silver, platinum, palladium
WRITER_STEPS = ("raw__", "dbt_warehouse", "published_warehouse")  # the duckdb_writer pool


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}


@pytest.fixture
def dagster_db(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A new database for one test's Dagster instance; its ``postgresql://`` URL."""
    name = "dagster_" + request.node.name.split("[")[0].removeprefix("test_")[:40]
    postgres_server.create_database(name)
    return postgres_server.url(name)


def _home(root: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Dagster home with the project's dagster.yaml for ``TPW_DAGSTER_PG_URL=url``."""
    monkeypatch.setenv("TPW_DAGSTER_PG_URL", url)
    root.mkdir(parents=True, exist_ok=True)
    install_instance_config(root)
    return root


@pytest.fixture
def machines(tmp_path: Path, dagster_db: str, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Three Dagster homes (three machines) on the same PostgreSQL instance."""
    return [_home(tmp_path / f"machine_{n}" / "dagster_home", dagster_db, monkeypatch)
            for n in "abc"]  # fmt: skip


@pytest.fixture
def instance_on(machines: list[Path]) -> Iterator[dict[str, dg.DagsterInstance]]:
    opened: dict[str, dg.DagsterInstance] = {}
    for home in machines:
        opened[home.parent.name] = dg.DagsterInstance.from_config(str(home))
    yield opened
    for instance in opened.values():
        instance.dispose()


# --------------------------------------------------------------------------- 1. two machines


def _check_history(instance: dg.DagsterInstance, pids: list[int]) -> None:
    """Both runs (by their process ids) with their tags, days and pool, as ``instance`` sees them."""
    runs = instance.get_runs()
    by_pid = {run.tags.get("tpw/pid"): run for run in runs if run.job_name == "nightly_job"}
    raw_rates = dg.AssetKey(["raw", "cbr_rates"])
    writer_intervals: list[tuple[float, float, str]] = []
    for pid, (first, last) in zip(pids, RANGES, strict=True):
        run = by_pid.get(str(pid))
        assert run is not None, [(r.job_name, r.tags) for r in runs]
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["dagster/asset_partition_range_start"] == first.isoformat()
        assert run.tags["dagster/asset_partition_range_end"] == last.isoformat()
        materialized = {
            event.dagster_event.partition
            for event in instance.all_logs(
                run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            )
            if event.dagster_event.asset_key == raw_rates
        }
        assert materialized == {day.isoformat() for day in _days(first, last)}
        # read back afterwards, when the other run's materialization may be the latest, a run's
        # summary still has its own figures
        with RunProgress(instance, run.run_id, partitions=len(materialized), emit=None) as seen:
            pass
        for step in ("raw__cbr_rates", "raw__cbr_metal_prices"):
            assert seen.steps[step].detail == f"in force {first}..{last}", step
        # the steps of the writer pool, from each run's own event log
        starts: dict[str, float] = {}
        for entry in instance.all_logs(
            run.run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
        ):
            step = entry.step_key or ""
            if not step.startswith(WRITER_STEPS):
                continue
            if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
                starts[step] = entry.timestamp
            else:
                writer_intervals.append((starts[step], entry.timestamp, f"{run.run_id} {step}"))
    assert instance.get_materialized_partitions(raw_rates) == {
        day.isoformat() for first, last in RANGES for day in _days(first, last)
    }

    # The writer steps of the two runs took turns: no two of them ran at the same time.
    writer_intervals.sort()
    assert len(writer_intervals) >= 2 * 4, writer_intervals
    for (_s1, end, what), (start, _e2, other) in itertools.pairwise(writer_intervals):
        assert end <= start, f"{what} (ended {end}) overlapped {other} (started {start})"

    # The shared pool: one slot, none left claimed or waited for.
    pool = instance.event_log_storage.get_concurrency_info("duckdb_writer")
    assert pool.limit == 1
    assert pool.claimed_slots == [] and pool.pending_steps == []


def test_two_machines_share_one_run_history_and_one_writer_slot(
    postgres_server: PostgresServer, machines: list[Path], dagster_db: str, tmp_path: Path
) -> None:
    """The Dagster database is new: the two processes create its tables at the same moment."""
    catalog = postgres_server.create_database("lake_of_two_machines")
    lake = Lake("postgres:" + catalog, str(tmp_path / "lake"))
    runs: list[Run] = []
    with CbrReplayServer() as bank:
        for home, (first, last) in zip(machines, RANGES, strict=False):
            root = home.parent
            (root / "articles").mkdir()
            env = _base_env() | {
                "DAGSTER_HOME": str(home),
                "TPW_DAGSTER_PG_URL": dagster_db,
                "TPW_LAKE_CATALOG": lake.catalog,
                "TPW_LAKE_DATA_PATH": lake.data_path,
                "TPW_WAREHOUSE": str(root / "warehouse.duckdb"),
                "TPW_CBR_URL": bank.url,
                "TPW_CURRENCIES": "USD,EUR,CNY",
                "TPW_ARTICLES_DIR": str(root / "articles"),
            }
            runs.append(Run(env, first, last, root / "tpw"))
        for run in runs:
            run.succeed()
    # Each run's summary has its own figures, though the other run materialized the same
    # assets in between (the latest materialization is not always its own).
    for run, (first, last) in zip(runs, RANGES, strict=True):
        output = run.stdout
        assert output.count(f"in force {first}..{last}") >= 4, output  # 2 lines, 2 table rows
        assert NOTHING_PUBLISHED not in output, output

    # A third machine's instance sees both runs, their tags and their days.
    with dg.DagsterInstance.from_config(str(machines[2])) as instance:
        _check_history(instance, [run.proc.pid for run in runs])

    # The lake holds every day of both ranges once.
    days = {day for first, last in RANGES for day in _days(first, last)}
    conn = connect(lake, read_only=True)
    try:
        for table, key, per_day in (
            ("raw.cbr_rates", "rate_date, currency_code", CURRENCIES),
            ("raw.cbr_metal_prices", "price_date, metal", METALS),
        ):
            rows, keys = conn.execute(
                f"select count(*), count(distinct ({key})) from {table}"
            ).fetchone()
            assert rows == keys == len(days) * per_day, table
            dates = conn.execute(f"select distinct {key.split(',')[0]} from {table}").fetchall()
            assert {row[0] for row in dates} == days, table
    finally:
        conn.close()


# --------------------------------------------------------------------------- 2. queue, schedules


def _dagster_cli(home: Path, url: str, *args: str) -> str:
    env = _base_env() | {"DAGSTER_HOME": str(home), "TPW_DAGSTER_PG_URL": url}
    done = subprocess.run(
        [str(BIN / "dagster"), *args, "-m", "orchestration.definitions", "-a", "defs"],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"dagster {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_queue_and_the_schedules_are_shared(
    machines: list[Path], instance_on: dict[str, dg.DagsterInstance], dagster_db: str
) -> None:
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

    a, b = instance_on["machine_a"], instance_on["machine_b"]
    assert isinstance(a.run_coordinator, QueuedRunCoordinator)
    concurrency = a.get_concurrency_config()
    assert concurrency.pool_config.default_pool_limit == 1  # duckdb_writer: one step at a time
    queue = concurrency.run_queue_config
    assert queue is not None and queue.max_concurrent_runs == 4
    assert list(queue.tag_concurrency_limits) == [{"key": "dagster/backfill", "limit": 1}]
    assert a.run_monitoring_settings["free_slots_after_run_end_seconds"] == 60

    # A run launched from machine a (Dagster's own CLI, as the UI would) waits in the queue:
    # nothing dequeues it without a daemon. Machine b sees it, with its tags.
    tags = {"dagster/partition": "2020-06-01", "tpw/test": "queued"}
    _dagster_cli(machines[0], dagster_db, "job", "launch", "-j", "nightly_job",
                 "--tags", json.dumps(tags))  # fmt: skip
    [queued] = b.get_runs(filters=dg.RunsFilter(tags={"tpw/test": "queued"}))
    assert queued.status == dg.DagsterRunStatus.QUEUED
    assert queued.job_name == "nightly_job" and queued.tags["dagster/partition"] == "2020-06-01"
    kinds = {entry.dagster_event.event_type for entry in b.all_logs(queued.run_id)}
    assert dg.DagsterEventType.RUN_ENQUEUED in kinds
    assert dg.DagsterEventType.RUN_START not in kinds

    # The nightly schedule runs by default (declared in code); stopped on machine a, it is
    # stopped for machine b (and its daemon) too, and started again the same way.
    def schedule_status() -> InstigatorStatus | None:
        states = b.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
        found = [s.status for s in states if s.instigator_name == "nightly_schedule"]
        return found[0] if found else None

    assert schedule_status() is None  # nothing stored yet: the code's default applies
    _dagster_cli(machines[0], dagster_db, "schedule", "stop", "nightly_schedule")
    assert schedule_status() == InstigatorStatus.STOPPED
    _dagster_cli(machines[0], dagster_db, "schedule", "start", "nightly_schedule")
    assert schedule_status() == InstigatorStatus.RUNNING


# --------------------------------------------------------------------------- 3. unset, URLs


def test_without_the_variable_the_sqlite_config_is_installed_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TPW_DAGSTER_PG_URL", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    home = prepare_dagster_home()
    sqlite_template = (PROJECT_ROOT / "orchestration" / "dagster.yaml").read_bytes()
    assert (home / "dagster.yaml").read_bytes() == sqlite_template
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, TpwSqliteEventLogStorage)
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1

    # A home once set up for PostgreSQL goes back to SQLite when the variable goes...
    monkeypatch.setenv("TPW_DAGSTER_PG_URL", "postgresql://tpw@db.example:5432/dagster")
    install_instance_config(home)
    assert (home / "dagster.yaml").read_bytes() == INSTANCE_TEMPLATES["postgres"].read_bytes()
    monkeypatch.setenv("TPW_DAGSTER_PG_URL", "")
    install_instance_config(home)
    assert (home / "dagster.yaml").read_bytes() == sqlite_template

    # ... and a dagster.yaml written by hand is left alone either way.
    own = "storage:\n  postgres:\n    postgres_url: postgresql+psycopg2://me@db/dagster\n"
    (home / "dagster.yaml").write_text(own)
    for value in ("", "postgresql://tpw@db.example/dagster"):
        monkeypatch.setenv("TPW_DAGSTER_PG_URL", value)
        install_instance_config(home)
        assert (home / "dagster.yaml").read_text() == own


def test_the_two_templates_differ_only_in_storage_and_queue() -> None:
    """The settings both homes share (run monitoring, logs, telemetry, the writer pool) do
    not drift apart."""
    import yaml

    sqlite, postgres = (yaml.safe_load(path.read_text()) for path in INSTANCE_TEMPLATES.values())
    assert set(postgres) - set(sqlite) == {"run_coordinator"}
    for key in set(sqlite) - {"storage", "concurrency", "run_monitoring"}:
        assert postgres[key] == sqlite[key], key
    assert postgres["concurrency"]["pools"] == sqlite["concurrency"]["pools"]
    # and a finished run's slots are freed by the daemon (a dead machine's run, terminated)
    monitoring = dict(postgres["run_monitoring"])
    assert monitoring.pop("free_slots_after_run_end_seconds") == 60
    assert monitoring == sqlite["run_monitoring"]


def test_urls_get_the_psycopg2_driver_and_bad_ones_name_the_variable() -> None:
    assert sqlalchemy_url("postgresql://tpw@db:5432/dagster") == (
        "postgresql+psycopg2://tpw@db:5432/dagster"
    )
    assert sqlalchemy_url("postgres://tpw@db/dagster?sslmode=require") == (
        "postgresql+psycopg2://tpw@db/dagster?sslmode=require"
    )
    assert sqlalchemy_url("postgresql+psycopg2://tpw@db/d") == "postgresql+psycopg2://tpw@db/d"
    assert libpq_url("postgresql+psycopg2://tpw@db/d") == "postgresql://tpw@db/d"
    for bad in ("dbname=dagster password=secret", "mysql://tpw:secret@db/d", "postgresql://"):
        with pytest.raises(DagsterUrlError, match="TPW_DAGSTER_PG_URL") as caught:
            sqlalchemy_url(bad)
        assert "secret" not in str(caught.value)


def test_an_unreachable_server_fails_in_one_line(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """`tpw run` with the variable pointing at a port nothing listens on: one line naming it."""
    env = _base_env() | {
        "DAGSTER_HOME": str(tmp_path / "home"),
        "TPW_DAGSTER_PG_URL": f"postgresql://postgres@127.0.0.1:{postgres_server.port}/missing",
        "TPW_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "TPW_ARTICLES_DIR": str(tmp_path),
    }
    with CbrReplayServer() as bank:
        env["TPW_CBR_URL"] = bank.url
        done = subprocess.run(
            [str(BIN / "tpw"), "run", "--start", "2020-06-01", "--end", "2020-06-01"],
            env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done.stderr
    assert lines == [lines[0]] and "TPW_DAGSTER_PG_URL" in lines[0], done.stderr
    assert '"missing" does not exist' in lines[0], done.stderr
