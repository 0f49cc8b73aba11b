"""The project's dbt resource: ``dbt build`` in this process, through dbt's programmatic API
(``dbtRunner``), its results streamed to Dagster as dagster-dbt streams a dbt subprocess's.

Every process that runs the dbt step (``tpw``, or a step process under the UI) has already
imported dbt's modules through dagster-dbt. A ``dbt`` subprocess starts Python and imports them
again, about 1.5 s of every run (BENCHMARKS.md). Here dbt runs in a worker thread of the step's
process; once it has returned, the step's own thread turns each node's result into Dagster
events with dagster-dbt's ``to_default_asset_events``, as dagster-dbt does for a subprocess's
output.

Around dbt this does what dagster-dbt's ``DbtCliResource.cli`` does around its subprocess:

- a subset of the dbt assets or checks selected in Dagster becomes dbt's selection, computed by
  dagster-dbt's own ``get_updated_cli_invocation_params_for_context`` (a module-level function
  dagster-dbt does not export; ``tests/test_private_hooks.py`` pins it and
  ``DbtCoreCliEventMessage``);
- each invocation gets a target folder of its own under the project's (``DBT_TARGET_PATH``, or
  ``target``), seeded with the project's partial-parse file so that dbt skips parsing; dbt's
  JSON log goes there too.

dbt keeps process-wide state (flags, adapters, its event manager), so one process runs one dbt
invocation at a time; the next waits for the worker thread, not only for the events. A step
that stops (the run is terminated) stops dbt: its running queries are interrupted, each node
yet to start fails as it starts, and the step waits for dbt to return before it lets go of the
writer lock. dbt-duckdb
keeps its database open after dbt returns: it is closed at the end of every invocation, so the
build file is free for publishing and for the next writer. A SIGKILL takes dbt down with the
process that holds the writer lock: no orphaned dbt can hold the build file.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

PARTIAL_PARSE = "partial_parse.msgpack"
# dbt's events for a finished node, the ones dagster-dbt turns into Dagster events
RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})

# The event dbt fires when a node starts, inside the node's own error handling: raised there, an
# exception fails that node only, and dbt goes on (skipping what depends on it). Raised from most
# other events it would stop a thread of dbt's pool that dbt then waits for: a dead lock.
NODE_STARTS = "LogStartLine"

_ONE_AT_A_TIME = threading.Lock()
_END = object()


class DbtCancelled(Exception):
    """Raised inside dbt, from its event callback, to stop an invocation whose step stopped."""


class InProcessDbtResource(dg.ConfigurableResource):
    """The dbt project, run by dbt's ``dbtRunner`` in the process of the step that uses it."""

    project_dir: str
    profiles_dir: str | None = None  # the folder of profiles.yml; the project's folder if unset

    def build(self, context: dg.AssetExecutionContext, args: Sequence[str] = ()) -> DbtBuild:
        """A ``dbt build`` of the models and tests selected in ``context``; nothing runs until
        :meth:`DbtBuild.stream` is iterated."""
        return DbtBuild(context, self, ["build", *args])


class DbtBuild:
    """One dbt invocation: :meth:`stream` runs it and yields its Dagster events; afterwards
    :attr:`success`, :attr:`exception`, :attr:`errors` and :meth:`run_results` tell how it went."""

    def __init__(
        self, context: dg.AssetExecutionContext, resource: InProcessDbtResource, args: list[str]
    ) -> None:
        self.context = context
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest={},
            dagster_dbt_translator=None,  # type: ignore[arg-type]
        )
        self.manifest: Mapping[str, Any] = params.manifest
        self.translator = params.dagster_dbt_translator
        self.project = params.dbt_project
        project_dir = Path(self.project.project_dir if self.project else resource.project_dir)
        profiles_dir = Path(resource.profiles_dir or project_dir)
        target_root = project_dir / os.environ.get("DBT_TARGET_PATH", "target")
        self.target_path = target_root / (
            f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
        )
        self.target_path.mkdir(parents=True, exist_ok=True)
        if (target_root / PARTIAL_PARSE).is_file():
            shutil.copyfile(target_root / PARTIAL_PARSE, self.target_path / PARTIAL_PARSE)
        self.args = [
            *args,
            *params.selection_args,
            *(["--indirect-selection", params.indirect_selection]
              if params.indirect_selection else []),
            "--project-dir", str(project_dir),
            "--profiles-dir", str(profiles_dir),
            "--target-path", str(self.target_path),
            "--log-path", str(self.target_path),
            "--log-format-file", "json",
            "--no-send-anonymous-usage-stats",
            "--no-use-colors",  # its output goes to logs and run metadata, not a terminal
        ]  # fmt: skip
        self.success = False
        self.exception: BaseException | None = None
        self.errors: list[str] = []
        self._cancelled = threading.Event()

    def stream(self) -> Iterator[Any]:
        """Run dbt, then yield an ``Output`` per model built and an ``AssetCheckResult`` per
        test.

        The events are converted once dbt has returned: converting them while dbt runs would
        take Python's global lock from dbt's threads (about a second of a nightly's dbt step,
        BENCHMARKS.md), and the step shows its results a few seconds later instead."""
        events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        _ONE_AT_A_TIME.acquire()  # released by the worker when dbt has returned
        try:
            worker = threading.Thread(
                target=self._invoke, args=(events,), name="tpw-dbt", daemon=True
            )
            worker.start()
        except BaseException:
            _ONE_AT_A_TIME.release()
            raise
        try:
            while worker.is_alive():
                worker.join(0.5)  # in short waits, so that a signal (a stopped run) gets through
        finally:
            if worker.is_alive():  # interrupted (the run was stopped), or the caller gave up
                self._cancel()
            # Until dbt has returned, it may be writing: the caller's writer lock must wait.
            worker.join()
        while (raw := events.get()) is not _END:
            message = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
            yield from message.to_default_asset_events(
                manifest=self.manifest,
                dagster_dbt_translator=self.translator,
                context=self.context,
                target_path=self.target_path,
                project=self.project,
            )

    def _cancel(self) -> None:
        """Stop dbt: interrupt its running queries, and fail each node that has yet to start."""
        from dbt.adapters.factory import get_adapter_by_type

        self._cancelled.set()
        with contextlib.suppress(Exception):  # no adapter yet: dbt stops at its first event
            get_adapter_by_type("duckdb").cancel_open_connections()

    def _invoke(self, events: queue.SimpleQueue[Any]) -> None:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_dict

        def on_event(message: Any) -> None:
            info = message.info
            if info.name == NODE_STARTS and self._cancelled.is_set():
                raise DbtCancelled("the dbt step was stopped")
            if info.level == "error":
                self.errors.append(info.msg)
            if info.name in RESULT_EVENTS:
                events.put(msg_to_dict(message))

        try:
            result = dbtRunner(callbacks=[on_event]).invoke(self.args)
            self.success, self.exception = result.success, result.exception
        except BaseException as error:  # dbt raised instead of returning its result
            self.exception = error
        finally:
            # dbt-duckdb keeps the database open for the next invocation; close it now.
            DuckDBConnectionManager.close_all_connections()
            _ONE_AT_A_TIME.release()
            events.put(_END)

    def run_results(self) -> list[dict[str, Any]]:
        """The ``results`` of dbt's ``run_results.json``; empty if dbt wrote none."""
        import json

        path = self.target_path / "run_results.json"
        if not path.is_file():
            return []
        return json.loads(path.read_text(encoding="utf-8")).get("results", [])
