"""The private Dagster and dagster-dbt members the project leans on are still there, still shaped
as it expects, and still on the path a real run takes.

Where Dagster has a public switch the project uses it (DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS,
DAGSTER_EVENT_BATCH_SIZE). Where it has none, a private hook stays, and these tests fail the day
upstream renames it, changes its signature or stops calling it, so a speed-up cannot vanish (or a
record go wrong) without a red test.
"""

import atexit
import inspect
import os
from collections import Counter
from pathlib import Path
from typing import Any

import dagster as dg
import dagster._core.storage.sqlite_storage as dagster_sqlite_storage
import pytest
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster_dbt import DbtCliEventMessage
from dagster_dbt.asset_utils import (
    DbtCliInvocationPartialParams,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.task.base import BaseRunner
from dbt.task.runnable import GraphRunnableTask

from orchestration.dbt_runner import NODE_STARTS
from orchestration.storage import DAGSTER_SWITCHES, TpwSqliteEventLogStorage, TpwSqliteStorage
from tests.conftest import count_event_batches

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PLANNED_SWITCH = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- dbt in-process


def test_the_dagster_dbt_and_dbt_members_the_in_process_runner_uses() -> None:
    """orchestration/dbt_runner.py: dagster-dbt's selection for a subset and its event
    conversion (not exported), dbt's node-start event (where a stopped step fails a node), and
    the exit handlers the ``tpw`` script runs before ``os._exit``."""
    assert _parameters(get_updated_cli_invocation_params_for_context)[:3] == [
        "context",
        "manifest",
        "dagster_dbt_translator",
    ]
    fields = set(DbtCliInvocationPartialParams.__annotations__)
    assert {"manifest", "dagster_dbt_translator", "selection_args", "indirect_selection",
            "dbt_project"} <= fields  # fmt: skip
    assert issubclass(DbtCoreCliEventMessage, DbtCliEventMessage)
    assert _parameters(DbtCoreCliEventMessage)[:2] == ["raw_event", "event_history_metadata"]
    assert {"manifest", "dagster_dbt_translator", "context", "target_path", "project"} <= set(
        _parameters(DbtCoreCliEventMessage.to_default_asset_events)
    )
    # dbt fires the node's start line inside run_with_hooks, whose exceptions call_runner turns
    # into that node's error (tests/test_dbt_in_process.py stops a real build this way)
    assert NODE_STARTS == "LogStartLine"
    assert "self.before_execute()" in inspect.getsource(BaseRunner.run_with_hooks)
    assert "except Exception" in inspect.getsource(GraphRunnableTask.call_runner)
    assert callable(atexit._run_exitfuncs)
    assert callable(DuckDBConnectionManager.close_all_connections)


# --------------------------------------------------------------------------- Dagster's storage


def test_storage_private_members_exist_with_the_expected_shape() -> None:
    expected = {
        "_connect": ["self", "shard"],
        "_initdb": ["self", "engine", "for_index_shard"],
        "_event_to_row": ["self", "event"],
        "_store_asset_event_tags": ["self", "conn", "events", "event_ids"],
        "_store_asset_event": ["self", "conn", "event", "event_id"],
        "has_table": ["self", "table_name"],
        "conn_string_for_shard": ["self", "shard_name"],
        "store_event_batch": ["self", "events"],
    }
    for name, parameters in expected.items():
        assert _parameters(getattr(SqliteEventLogStorage, name)) == parameters, name
    assert _parameters(dagster_sqlite_storage._event_logs_directory) == ["base"]
    # what store_event writes for a "check planned" event, which ours writes for a batch of them
    planned = inspect.getsource(SqlEventLogStorage._store_asset_check_evaluation_planned)
    for column in ("asset_key", "check_name", "partition", "run_id", "execution_status",
                   "evaluation_event", "evaluation_event_timestamp",
                   "evaluation_event_storage_id"):  # fmt: skip
        assert f"{column}=" in planned, column
        assert column in AssetCheckExecutionsTable.c, column
    assert "AssetCheckExecutionRecordStatus.PLANNED" in planned
    assert "self.store_asset_check_event(event, event_id)" in inspect.getsource(
        SqliteEventLogStorage.store_event
    )
    # the members our storage overrides are ones Dagster's storage defines
    for name in ("_connect", "has_table", "store_event_batch", "dispose"):
        assert name in TpwSqliteEventLogStorage.__dict__, name
        assert hasattr(SqliteEventLogStorage, name), name
    # the planned-events switch is Dagster's own now, not an override of ours
    name = "supports_partition_subset_in_asset_materialization_planned_events"
    assert name not in TpwSqliteEventLogStorage.__dict__


def test_dagster_reads_the_public_switches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = TpwSqliteEventLogStorage(str(tmp_path / "events"))
    monkeypatch.setenv(PLANNED_SWITCH, "false")
    assert not storage.supports_partition_subset_in_asset_materialization_planned_events
    monkeypatch.setenv(PLANNED_SWITCH, "true")
    assert storage.supports_partition_subset_in_asset_materialization_planned_events
    # opening an instance with our storage turns the switches on, unless set otherwise
    for switch in DAGSTER_SWITCHES:
        monkeypatch.delenv(switch, raising=False)
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "7")
    TpwSqliteStorage(str(tmp_path / "home"))
    assert os.environ[PLANNED_SWITCH] == "true"
    assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == "7"


DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def days(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


def _checks() -> list[dg.AssetChecksDefinition]:
    def make(index: int) -> dg.AssetChecksDefinition:
        @dg.asset_check(asset=days, name=f"check_{index}")
        def check() -> dg.AssetCheckResult:
            return dg.AssetCheckResult(passed=True)

        return check

    return [make(index) for index in range(5)]


DEFS = dg.Definitions(assets=[days], asset_checks=_checks(), jobs=[dg.define_asset_job("days_job")])


def test_a_real_ranged_run_takes_every_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One ranged run with five checks through ``orchestration/dagster.yaml``: one planned event
    per asset, the materializations stored as one batch, pooled connections without fsync,
    the index database asked once whether it has the asset-check table."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes(
        (PROJECT_ROOT / "orchestration" / "dagster.yaml").read_bytes()
    )
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for switch in DAGSTER_SWITCHES:
        monkeypatch.delenv(switch, raising=False)
    tables_asked: Counter[str] = Counter()
    has_table = SqliteEventLogStorage.has_table

    def counted(self: SqliteEventLogStorage, table_name: str) -> bool:
        tables_asked[table_name] += 1
        return has_table(self, table_name)

    # Dagster's own has_table: ours calls it only for a table it has not seen yet
    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counted)
    batches = count_event_batches(monkeypatch)
    one_by_one: Counter[str] = Counter()
    store_event = SqliteEventLogStorage.store_event

    def counting_events(self: SqliteEventLogStorage, event: Any) -> None:
        one_by_one[event.dagster_event_type or "log"] += 1
        store_event(self, event)

    monkeypatch.setattr(SqliteEventLogStorage, "store_event", counting_events)
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, TpwSqliteEventLogStorage)
        result = DEFS.resolve_job_def("days_job").execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2024-01-01",
                "dagster/asset_partition_range_end": "2024-01-31",
            },
        )
        assert result.success
        events = instance.all_logs(result.run_id)
        kinds = Counter(e.dagster_event.event_type_value for e in events if e.dagster_event)
        assert kinds["ASSET_MATERIALIZATION_PLANNED"] == 1  # not 31
        assert kinds["ASSET_MATERIALIZATION"] == 31
        assert kinds["ASSET_CHECK_EVALUATION"] == 5
        assert 31 in batches  # the 31 days' materializations in one batch
        assert kinds["ASSET_CHECK_EVALUATION_PLANNED"] == 5
        assert one_by_one["ASSET_CHECK_EVALUATION_PLANNED"] == 0  # stored with the batch
        assert one_by_one["ASSET_CHECK_EVALUATION"] == 5
        # Dagster asked before each of the 10 check events; the database was asked once
        assert tables_asked["asset_check_executions"] == 1
        assert set(tables_asked.values()) == {1}
        check_records = storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("days"), f"check_{i}") for i in range(5)]
        )
        assert len(check_records) == 5
        # connections are pooled and commit without waiting for the disk (WAL + NORMAL)
        assert storage._engines
        with storage.index_connection() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
