"""The instance storage of orchestration/storage.py keeps what Dagster's own SQLite storage
keeps: the same partitions materialized, latest events and run records, batch or no batch."""

import contextlib
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from orchestration.storage import TpwSqliteEventLogStorage
from tests.conftest import count_event_batches

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily_numbers(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


@dg.asset(deps=[daily_numbers])
def summary() -> None:
    return None


@dg.asset_check(asset=summary)
def summary_is_fine() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


JOB = dg.define_asset_job("numbers_job")
DEFS = dg.Definitions(assets=[daily_numbers, summary], asset_checks=[summary_is_fine], jobs=[JOB])


def _home(tmp_path: Path, name: str, ours: bool) -> Path:
    home = tmp_path / name
    home.mkdir()
    if ours:
        shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    return home


def _run_and_read(home: Path, monkeypatch: pytest.MonkeyPatch, batch: str) -> dict:
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", batch)
    job = DEFS.resolve_job_def("numbers_job")
    with dg.DagsterInstance.get() as instance:
        for start, end in (("2024-01-01", "2024-01-20"), ("2024-01-15", "2024-02-10")):
            result = job.execute_in_process(
                instance=instance,
                tags={
                    "dagster/asset_partition_range_start": start,
                    "dagster/asset_partition_range_end": end,
                },
            )
            assert result.success
        key = dg.AssetKey("daily_numbers")
        latest = instance.get_latest_materialization_event(key)
        runs = instance.get_runs()
        events = [e for run in runs for e in instance.all_logs(run.run_id)]
        index = home / "history" / "runs" / "index.db"
        with contextlib.closing(sqlite3.connect(index)) as conn:
            check_rows = sorted(
                (key, name, partition, status, [r.run_id for r in runs].index(run_id))
                for key, name, partition, status, run_id in conn.execute(
                    "select asset_key, check_name, partition, execution_status, run_id "
                    "from asset_check_executions"
                )
            )
        return {
            "storage": type(instance.event_log_storage).__name__,
            "check_rows": check_rows,
            "partitions": sorted(instance.get_materialized_partitions(key)),
            "latest_partition": latest.dagster_event.partition if latest else None,
            "latest_run_is_last": latest is not None and latest.run_id == runs[0].run_id,
            "materializations": Counter(
                e.dagster_event.partition
                for e in events
                if e.dagster_event
                and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"
                and e.dagster_event.asset_key == key
            ),
            "summary_materialized": instance.get_latest_materialization_event(
                dg.AssetKey("summary")
            )
            is not None,
            "check_passed": instance.event_log_storage.get_latest_asset_check_execution_by_key(
                [dg.AssetCheckKey(dg.AssetKey("summary"), "summary_is_fine")]
            ),
            "runs": [run.status.value for run in runs],
        }


def test_same_records_as_dagsters_own_storage(tmp_path: Path, monkeypatch) -> None:
    """Two overlapping ranged runs, through Dagster's storage and through ours."""
    theirs = _run_and_read(_home(tmp_path, "default", ours=False), monkeypatch, batch="0")
    batches = count_event_batches(monkeypatch)
    ours = _run_and_read(_home(tmp_path, "ours", ours=True), monkeypatch, batch="2000")
    # the 20 and 27 days' materializations went to the storage as one batch each
    assert 20 in batches and 27 in batches
    assert theirs["storage"] == "SqliteEventLogStorage"
    assert ours["storage"] == "TpwSqliteEventLogStorage"
    # 2024-01-01..2024-02-10, the overlap of the two runs materialized twice
    assert len(ours["partitions"]) == 41
    assert ours["materializations"]["2024-01-15"] == 2
    assert ours["materializations"]["2024-01-14"] == 1
    for field in ("partitions", "latest_partition", "latest_run_is_last", "materializations",
                  "summary_materialized", "runs", "check_rows"):  # fmt: skip
        assert ours[field] == theirs[field], field
    assert ours["latest_partition"] == "2024-02-10"
    assert len(ours["check_passed"]) == len(theirs["check_passed"]) == 1
    # the check planned in each run (stored in a batch by ours), then evaluated
    assert [row[3] for row in ours["check_rows"]] == ["SUCCEEDED", "SUCCEEDED"]


def _schema(database: Path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        tables = conn.execute("select type, name, sql from sqlite_master order by name").fetchall()
        stamp = conn.execute("select version_num from alembic_version").fetchall()
        mode = conn.execute("pragma journal_mode").fetchone()
    return [*tables, stamp, mode]


def test_a_new_home_has_dagsters_own_databases(tmp_path: Path, monkeypatch) -> None:
    """Ours creates a new home's databases without waiting for the disk: same tables, indexes,
    alembic stamps and WAL mode as Dagster's own storage creates."""
    homes = {ours: _home(tmp_path, f"ours_{ours}", ours=ours) for ours in (True, False)}
    for ours, home in homes.items():
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        with dg.DagsterInstance.get() as instance:
            assert isinstance(instance.event_log_storage, TpwSqliteEventLogStorage) == ours
            instance.get_runs(limit=1)
    for name in ("history/runs.db", "history/runs/index.db", "schedules/schedules.db"):
        theirs, ours = (_schema(homes[False] / name), _schema(homes[True] / name))
        assert ours == theirs, name
        assert ours[-1] == ("wal",)
    # the relaxed settings were for the creation only: Dagster's later connections are its own
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{homes[True] / 'history' / 'runs.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL, the default
    engine.dispose()


def test_a_ranged_run_plans_each_asset_once(tmp_path: Path, monkeypatch) -> None:
    home = _home(tmp_path, "ours", ours=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, TpwSqliteEventLogStorage)
        result = DEFS.resolve_job_def("numbers_job").execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2024-01-01",
                "dagster/asset_partition_range_end": "2024-02-29",
            },
        )
        planned = [
            e
            for e in instance.all_logs(result.run_id)
            if e.dagster_event
            and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION_PLANNED"
        ]
    # one per asset instead of one per asset and day (60 days)
    assert len(planned) == 2


def test_needs_a_home(monkeypatch) -> None:
    from orchestration.storage import TpwSqliteStorage

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(ValueError, match="DAGSTER_HOME"):
        TpwSqliteStorage.from_config_value(None, {})  # type: ignore[arg-type]
