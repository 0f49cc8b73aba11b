"""Dagster's SQLite instance storage, with cheaper event writes.

Dagster's SQLite event log opens a new connection and commits (with fsync) for every event,
twice for asset events (the run's own database and the cross-run index). A nightly run writes
about 800 events (234 of them dbt test results), and a backfill over years writes one
materialization per day and raw asset: at about 10 ms an event that was most of a run's time
(BENCHMARKS.md). This storage keeps Dagster's schema, files and layout
(under ``$DAGSTER_HOME``) and changes these things:

- connections are pooled per database file (the index and the latest few runs) instead of
  opened, closed and checkpointed for every event, and set ``PRAGMA synchronous=NORMAL``: the
  databases are already in WAL mode, where NORMAL means a commit does not wait for the disk. A
  power cut can lose the last events of a run log, never corrupt it (SQLite's guarantee in WAL
  mode); the warehouse has its own transactions and is unaffected.
- ``store_event_batch`` writes a batch of events (Dagster batches a ranged run's planned and
  materialization events when ``DAGSTER_EVENT_BATCH_SIZE`` is set) in one transaction per
  database instead of one per event; that includes the "check planned" events Dagster stores
  when it creates a run (one per dbt test: 236, three transactions each, 0.3-1 s of every
  run's start-up), written as Dagster's ``store_event`` writes them.
- a new home's run, index and schedule databases are created (by Dagster, with its own schema
  and alembic stamps) in WAL mode without waiting for the disk after each of their 58
  ``CREATE`` statements; a run's own new database is put in WAL mode before its tables are
  made, not after.
- ``has_table`` remembers the tables it has seen: Dagster asks it before storing every asset
  check event (``supports_asset_checks``) and built a new engine to answer each time (about
  5 ms an event, 237 dbt tests a run).

Two of Dagster's own switches are turned on (unless already set) in every process that opens an
instance with this storage (:func:`use_dagster_switches`): ``DAGSTER_EVENT_BATCH_SIZE`` and
``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS`` (one "materialization planned" event per
asset for a ranged run instead of one per asset and day).

The storage subclasses Dagster's SQLite event log and uses some of its private members
(``_connect``, ``_initdb``, ``_event_to_row``, ``_store_asset_event_tags``, the asset-check
executions table...):
``tests/test_private_hooks.py`` fails the day one of them changes, rather than letting the
speed-up (or the records) go wrong silently.

Configured in ``orchestration/dagster.yaml``::

    storage:
      custom:
        module: orchestration.storage
        class: TpwSqliteStorage
"""

from __future__ import annotations

import os
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dagster._check as check
from dagster import Field, StringSource
from dagster._config.config_schema import UserConfigSchema
from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS, DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    SqlEventLogStorageTable,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from dagster._utils import mkdir_p
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# Dagster's own switches, read from the environment (dagster/_core/instance/methods/
# event_methods.py and dagster/_core/storage/event_log/base.py):
DAGSTER_SWITCHES = {
    # the number of events Dagster groups into one store_event_batch call
    "DAGSTER_EVENT_BATCH_SIZE": "2000",
    # one "materialization planned" event per asset for a ranged run, not one per asset and day
    # (a run over 28 years planned 286,000 of them). Dagster's trade-off: the days of a ranged
    # run that fails are not marked failed in the UI (the run is).
    "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true",
}
# Database files kept open per process: the cross-run index and the latest runs.
OPEN_SHARDS = 4


def use_dagster_switches() -> None:
    """Turn on :data:`DAGSTER_SWITCHES` in this process, unless they are set already."""
    for name, value in DAGSTER_SWITCHES.items():
        os.environ.setdefault(name, value)


def _relaxed_sync(dbapi_connection: Any, _record: Any) -> None:
    """WAL (Dagster puts every database of the home in WAL mode; a run's new database is in it
    before its tables are made, not after) and commits that do not wait for the disk."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def _relaxed_creation() -> Iterator[None]:
    """While Dagster opens (for a new home: creates) the run, event index and schedule
    databases, every SQLite connection it makes is in WAL mode with ``synchronous=NORMAL``:
    Dagster creates their 26 tables and 32 indexes one committed statement at a time, each
    commit waiting for the disk (about 1 s for a new home). Files, tables and alembic stamps
    are Dagster's own; connections made later are Dagster's, as configured."""
    sqlalchemy_event.listen(Engine, "connect", _relaxed_sync)
    try:
        yield
    finally:
        sqlalchemy_event.remove(Engine, "connect", _relaxed_sync)


class TpwSqliteEventLogStorage(SqliteEventLogStorage):
    """SQLite event log storage that commits without fsync and stores batches at once."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # set before Dagster's __init__, which may create the index database through _connect
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        """A pooled engine per database file, for the index and the latest few runs.

        Dagster's own storage builds and disposes an engine for every statement, which costs
        SQLAlchemy's statement cache and a WAL checkpoint whenever the connection closes.
        """
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=2,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            sqlalchemy_event.listen(engine, "connect", _relaxed_sync)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            check.str_param(shard, "shard")
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has ``table_name``; a table once seen stays (migrations
        add tables, nothing here drops them), so Dagster's question before every asset check
        event no longer opens an engine of its own."""
        if table_name in self._tables_seen:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_seen.add(table_name)
        return present

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store ``events`` as :meth:`store_event` would, one statement per table and database.

        The cross-run asset table keeps, per asset and event type, the latest event: storing
        only the last one of each in the batch leaves it as storing every one in turn would.
        The "check planned" events (one per dbt test, all in the batch Dagster stores when it
        creates a run) are stored together too.
        """
        by_run: dict[str, list[EventLogEntry]] = defaultdict(list)
        planned_checks: dict[str, list[EventLogEntry]] = defaultdict(list)
        for entry in events:
            kind = entry.dagster_event_type if entry.is_dagster_event else None
            if kind in ASSET_EVENTS and kind not in ASSET_CHECK_EVENTS:
                by_run[entry.run_id].append(entry)
            elif kind == DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
                planned_checks[entry.run_id].append(entry)
            else:
                self.store_event(entry)
        for run_id, entries in planned_checks.items():
            self._store_planned_checks(run_id, entries)
        for run_id, entries in by_run.items():
            rows = [self._event_to_row(entry) for entry in entries]
            with self.run_connection(run_id) as conn:
                conn.execute(SqlEventLogStorageTable.insert(), rows)
            # Mirror the asset events in the cross-run index, as store_event does.
            with self.index_transaction() as conn:
                ids = self._insert_returning_ids(conn, rows)
                self._store_asset_event_tags(conn, entries, ids)
                latest: dict[tuple[str, str], tuple[EventLogEntry, int]] = {}
                for entry, event_id in zip(entries, ids, strict=True):
                    kind = str(entry.dagster_event_type)
                    latest[(str(entry.dagster_event.asset_key), kind)] = (entry, event_id)  # type: ignore[union-attr]
                for entry, event_id in latest.values():
                    self._store_asset_event(conn, entry, event_id)

    @staticmethod
    def _insert_returning_ids(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        insert = SqlEventLogStorageTable.insert().returning(
            SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
        )
        return [row[0] for row in conn.execute(insert, rows)]

    def _store_planned_checks(self, run_id: str, entries: Sequence[EventLogEntry]) -> None:
        """What ``store_event`` does for each "check planned" event (the run's log, its mirror
        in the index, a PLANNED row in the asset-check executions), in one transaction per
        database instead of three per event."""
        check.invariant(
            self.supports_asset_checks,
            "Asset checks require a database schema migration. Run `dagster instance migrate`.",
        )
        rows = [self._event_to_row(entry) for entry in entries]
        with self.run_connection(run_id) as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)
        executions = []
        with self.index_transaction() as conn:
            ids = self._insert_returning_ids(conn, rows)
            for entry, row, event_id in zip(entries, rows, ids, strict=True):
                planned = entry.dagster_event.asset_check_planned_data  # type: ignore[union-attr]
                subset = planned.partitions_subset
                for partition in subset.get_partition_keys() if subset else [None]:
                    executions.append(
                        {
                            "asset_key": planned.asset_key.to_string(),
                            "check_name": planned.check_name,
                            "partition": partition,
                            "run_id": entry.run_id,
                            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
                            "evaluation_event": row["event"],
                            "evaluation_event_timestamp": row["timestamp"],
                            "evaluation_event_storage_id": event_id,
                        }
                    )
            conn.execute(AssetCheckExecutionsTable.insert(), executions)


class TpwSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage with :class:`TpwSqliteEventLogStorage` for events."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        use_dagster_switches()
        with _relaxed_creation():
            super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = TpwSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def config_type(cls) -> UserConfigSchema:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: dict[str, str]
    ) -> TpwSqliteStorage:
        # Dagster's own default: the run, event and schedule databases under $DAGSTER_HOME.
        base_dir = config_value.get("base_dir") or os.environ.get("DAGSTER_HOME", "")
        if not base_dir:
            raise ValueError("TpwSqliteStorage needs DAGSTER_HOME (or a base_dir in its config)")
        mkdir_p(base_dir)
        return cls(base_dir, inst_data=inst_data)
