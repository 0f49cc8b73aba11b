"""dbt runs inside the process of its Dagster step (orchestration/dbt_runner.py), and never
outlives the writer lock that process holds.

1. A step that stops while dbt runs (the run is terminated, or an error while streaming dbt's
   events) stops dbt: each remaining node fails at once, and the step lets go of the writer lock
   only after dbt has returned, with DuckDB's lock on the build file free.
2. A SIGKILL of the `tpw` process alone (as the OOM killer sends it) while dbt writes: dbt dies
   with it, nothing of the run survives, both locks are free at once, and the same command run
   again completes by itself.
3. The file dbt-duckdb keeps open after dbt returns is closed, and a second invocation in the
   same process (the next run of a long-lived process) builds again.
"""

import contextlib
import faulthandler
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from extract.cbr_replay import CbrReplayServer
from extract.warehouse import writer_lock
from orchestration.dbt_runner import InProcessDbtResource
from orchestration.defs.cbr import cbr_metal_prices, cbr_rates
from orchestration.defs.dbt import WarehouseTranslator, dbt_warehouse
from orchestration.defs.project import dbt_project
from orchestration.defs.resources import CbrResource, WarehouseResource
from tests.test_crashes_and_concurrency import (
    END,
    START,
    Run,
    counts,
    dagster_run_ids,
    expected_counts,
    group_processes,
    make_env,
    stuck_on_a_dead_run,
    wait_for_dbt_writing,
)

ORPHAN_GRACE = 10.0  # seconds a killed process may take to be gone (milliseconds in practice)
DAY = "2025-12-05"


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, already dead, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _resources(bank_url: str, build: Path, published: Path) -> dict[str, Any]:
    return {
        "cbr": CbrResource(base_url=bank_url, min_interval_seconds=0, currencies="USD,EUR"),
        "warehouse": WarehouseResource(path=str(published), build_path=str(build)),
        "dbt": InProcessDbtResource(project_dir=str(dbt_project.project_dir)),
    }


def _load_raw_day(bank_url: str, build: Path, published: Path) -> dict[str, Any]:
    """Load DAY's rates and metal prices into ``build``; the resources, for the dbt step."""
    resources = _resources(bank_url, build, published)
    loaded = dg.materialize(
        [cbr_rates, cbr_metal_prices],
        partition_key=DAY,
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert loaded.success
    return resources


class StepStopped(Exception):
    """Stands in for Dagster's interrupt of a terminated run."""


STOPPED: dict[str, Any] = {}
RESULT_LINES = ("LogModelResult", "LogTestResult")
HANG_GUARD = 600.0


def test_a_step_that_stops_stops_dbt_before_it_lets_go_of_the_lock(tmp_path: Path) -> None:
    """A signal while dbt runs (as Dagster's interrupt of a terminated run arrives) stops dbt."""
    from dagster_dbt import dbt_assets

    build, published = tmp_path / "build" / "warehouse.duckdb", tmp_path / "warehouse.duckdb"

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=WarehouseTranslator(),
        name="dbt_warehouse",
    )
    def stopping_dbt(context: dg.AssetExecutionContext, dbt: InProcessDbtResource) -> Iterator[Any]:
        os.environ["TPW_BUILD_WAREHOUSE"] = str(build)
        invocation = dbt.build(context)
        STOPPED["invocation"] = invocation
        previous = signal.signal(signal.SIGALRM, _stop_the_step)
        watcher = threading.Thread(
            target=_signal_after_first_model, args=(invocation.target_path,), daemon=True
        )
        watcher.start()
        try:
            with writer_lock(build):
                try:
                    yield from invocation.stream()
                finally:
                    # still under the writer lock: dbt has returned and the file is free
                    STOPPED["file_free"] = _opens(build)
        finally:
            signal.signal(signal.SIGALRM, previous)

    with CbrReplayServer() as bank:
        _load_raw_day(bank.url, build, published)
    # A hang guard, not a timing: stopping dbt in the wrong place would wait forever.
    faulthandler.dump_traceback_later(HANG_GUARD, exit=True)
    try:
        result = dg.materialize(
            [stopping_dbt],
            resources={"dbt": InProcessDbtResource(project_dir=str(dbt_project.project_dir))},
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert not result.success
    assert STOPPED["file_free"], "the build file was still open when the step let go of the lock"
    invocation = STOPPED["invocation"]
    assert not invocation.success
    # dbt did not go on to the end: of the project's models and tests, few finished
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "test")]
    finished = [
        event
        for event in _dbt_log(invocation.target_path)
        if event["info"]["name"] in RESULT_LINES
        and event["data"].get("status") in ("success", "pass")
    ]
    assert 1 <= len(finished) < len(nodes) / 2, (len(finished), len(nodes))


def _stop_the_step(signum: int, frame: object) -> None:
    raise StepStopped("the run was terminated")


def _dbt_log(target: Path) -> list[dict[str, Any]]:
    log = target / "dbt.log"
    if not log.is_file():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    events = []
    for line in lines:
        with contextlib.suppress(ValueError):
            events.append(json.loads(line))
    return events


def _signal_after_first_model(target: Path) -> None:
    """SIGALRM to the main thread once dbt has built its first model."""
    while not any(
        event["info"]["name"] == "LogModelResult" for event in _dbt_log(target) if "info" in event
    ):
        time.sleep(0.05)
    signal.pthread_kill(threading.main_thread().ident, signal.SIGALRM)  # type: ignore[arg-type]


def _opens(path: Path) -> bool:
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException:
        return False
    return True


def test_dbt_leaves_the_build_file_closed_and_builds_again_in_the_same_process(
    tmp_path: Path,
) -> None:
    build, published = tmp_path / "build" / "warehouse.duckdb", tmp_path / "warehouse.duckdb"
    with CbrReplayServer() as bank:
        for _ in range(2):
            result = dg.materialize(
                [cbr_rates, cbr_metal_prices, dbt_warehouse],
                partition_key=DAY,
                resources=_resources(bank.url, build, published),
                instance=dg.DagsterInstance.ephemeral(),
            )
            assert result.success
            # nothing of this process holds the file now: another process can write it
            assert _opens_in_another_process(build)
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 60 and all(check.passed for check in checks)
    outputs = result.asset_materializations_for_node("dbt_warehouse")
    assert dg.AssetKey(["marts", "fx_rates"]) in {m.asset_key for m in outputs}


def _opens_in_another_process(path: Path) -> bool:
    import subprocess

    probe = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_tpw_alone_while_dbt_writes_leaves_nothing_and_the_rerun_completes(
    tmp_path: Path,
) -> None:
    with CbrReplayServer() as bank:
        env = make_env(tmp_path, bank.url)
        build = Path(env["TPW_BUILD_WAREHOUSE"])
        run = Run(env, START, END, tmp_path / "logs" / "killed")
        rerun = None
        try:
            dbt_pid = wait_for_dbt_writing(run, build)  # the tpw process itself
            assert run.alive, f"the run ended before dbt was seen writing\n{run.describe()}"
            time.sleep(0.5)  # let it get into the models
            os.kill(run.proc.pid, signal.SIGKILL)  # tpw alone: its children are not signalled
            run.proc.wait(timeout=30)

            assert dbt_pid == run.proc.pid, "dbt ran in another process than tpw"
            assert _wait_until(lambda: not group_processes(run.proc.pid), ORPHAN_GRACE), (
                f"processes of the killed run live on: {group_processes(run.proc.pid)}"
            )
            assert not _alive(dbt_pid)
            # The writer lock and DuckDB's own lock on the build file are both free.
            with writer_lock(build, timeout=ORPHAN_GRACE):
                duckdb.connect(str(build)).close()

            dead = dagster_run_ids(Path(env["DAGSTER_HOME"]))
            rerun = Run(env, START, END, tmp_path / "logs" / "rerun")
            rerun.succeed(stuck_on_a_dead_run(Path(env["DAGSTER_HOME"]), dead))
            leftovers = group_processes(run.proc.pid) + group_processes(rerun.proc.pid)
            assert not leftovers, f"processes left behind: {leftovers}"
        finally:
            for each in (run, rerun):
                if each is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(each.proc.pid, signal.SIGKILL)
    assert counts(Path(env["TPW_WAREHOUSE"])) == expected_counts(START, END)


def test_a_subset_selected_in_dagster_is_all_dbt_builds(tmp_path: Path) -> None:
    """Materializing one dbt model (as from the UI) builds that model and runs its tests only."""
    build, published = tmp_path / "build" / "warehouse.duckdb", tmp_path / "warehouse.duckdb"
    with CbrReplayServer() as bank:
        resources = _load_raw_day(bank.url, build, published)
        result = dg.materialize(
            [dbt_warehouse],
            selection=[dg.AssetKey(["staging", "stg_cbr__rates"])],
            resources=resources,
            instance=dg.DagsterInstance.ephemeral(),
        )
    assert result.success
    built = {m.asset_key for m in result.asset_materializations_for_node("dbt_warehouse")}
    assert built == {dg.AssetKey(["staging", "stg_cbr__rates"])}
    [target] = (dbt_project.project_dir / "target").glob(f"dbt_warehouse-{result.run_id[:7]}-*")
    ran = [r["unique_id"] for r in json.loads((target / "run_results.json").read_text())["results"]]
    assert "model.technopolis_warehouse.stg_cbr__rates" in ran
    assert not [node for node in ran if node.startswith("model.") and "stg_cbr__rates" not in node]
    # the checks that ran are on the model or its source, never on the models left out
    checked = {c.asset_key for c in result.get_asset_check_evaluations()}
    assert checked <= {
        dg.AssetKey(["staging", "stg_cbr__rates"]),
        dg.AssetKey(["raw", "cbr_rates"]),
    }


def test_a_model_that_cannot_build_fails_the_step_with_dbts_error(tmp_path: Path) -> None:
    """A build file whose raw table is gone (a damaged file): dbt's tests of that table error
    (and what reads it is skipped), the step fails naming the nodes, and dbt's own error
    message is in the failure's metadata."""
    build, published = tmp_path / "build" / "warehouse.duckdb", tmp_path / "warehouse.duckdb"
    with CbrReplayServer() as bank:
        resources = _load_raw_day(bank.url, build, published)
        conn = duckdb.connect(str(build))
        conn.execute("drop table raw.cbr_rates")
        conn.close()
        result = dg.materialize(
            [dbt_warehouse],
            resources=resources,
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.step_failure_data.user_failure_data
    assert error is not None
    assert error.description.startswith("dbt could not build")
    nodes = error.metadata["nodes"].value
    assert nodes and all("cbr_rates" in node for node in nodes)  # the tests on the lost table
    messages = " ".join(error.metadata["dbt_errors"].value)
    assert "cbr_rates" in messages
    assert "\x1b[" not in messages  # plain text, without the terminal's colours
