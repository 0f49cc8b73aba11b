"""The instance storage of orchestration/storage.py keeps what Dagster's own SQLite storage
keeps: the same partitions materialized, latest events and run records, batch or no batch."""

import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from orchestration.storage import TpwSqliteEventLogStorage

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
        return {
            "storage": type(instance.event_log_storage).__name__,
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
    batches: list[int] = []
    store_batch = TpwSqliteEventLogStorage.store_event_batch

    def counting(self: TpwSqliteEventLogStorage, events: list) -> None:
        batches.append(len(events))
        store_batch(self, events)

    monkeypatch.setattr(TpwSqliteEventLogStorage, "store_event_batch", counting)
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
                  "summary_materialized", "runs"):  # fmt: skip
        assert ours[field] == theirs[field], field
    assert ours["latest_partition"] == "2024-02-10"
    assert len(ours["check_passed"]) == len(theirs["check_passed"]) == 1


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
