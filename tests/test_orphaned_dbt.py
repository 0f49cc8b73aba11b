"""A SIGKILL of the `tpw` process alone (as the OOM killer sends it, not to the process group)
must not leave its dbt running without the writer lock.

dbt is a subprocess of the process that holds the writer lock. A small watchdog that shares the
lock's open file (an flock) is bound to it: when the process that ran dbt dies, the watchdog kills
dbt, waits until it is gone, then exits, and only then is the lock free. So the next writer can
never open the build file while an orphaned dbt still holds DuckDB's own file lock.

1. The mechanism on its own, with real processes and a stand-in for dbt (fast).
2. End to end: `tpw run`, SIGKILL of the `tpw` process only while dbt writes; no dbt of that run
   survives, and the same command run again completes by itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from extract.cbr_replay import CbrReplayServer
from extract.warehouse import lock_path, writer_lock
from tests.conftest import PROJECT_ROOT
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

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"),
    reason="binding dbt to the writer lock needs Linux (flock and pidfd_open, kernel 5.3+)",
)

ORPHAN_GRACE = 10.0  # seconds an orphan may take to be killed (milliseconds in practice)


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


# A writer like the dbt asset: it takes the lock, starts a long child (the stand-in for dbt),
# binds the child to the lock, prints the child's pid and waits to be killed.
WRITER = textwrap.dedent(
    """
    import subprocess, sys, time
    from pathlib import Path
    from extract.warehouse import writer_lock

    with writer_lock(Path(sys.argv[1])) as lock:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        with lock.bound_to(child):
            print(child.pid, flush=True)
            time.sleep(120)
    """
)


def test_a_child_bound_to_the_writer_lock_dies_before_the_lock_is_free(tmp_path: Path) -> None:
    build = tmp_path / "build" / "warehouse.duckdb"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(build)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert writer.stdout is not None
        child = int(writer.stdout.readline())
        assert _alive(child)
        os.kill(writer.pid, signal.SIGKILL)  # the writer alone, not its process group
        writer.wait(10)
        # The next writer gets the lock only once the orphan is gone.
        with writer_lock(build, timeout=ORPHAN_GRACE):
            assert not _alive(child), "the lock was free while the killed writer's child lived"
        assert lock_path(build).exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(writer.pid, signal.SIGKILL)


def test_a_child_that_ends_by_itself_is_left_alone_and_the_lock_released(tmp_path: Path) -> None:
    build = tmp_path / "warehouse.duckdb"
    with writer_lock(build) as lock:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        with lock.bound_to(child):
            assert child.wait(30) == 0
    assert child.returncode == 0
    with writer_lock(build, timeout=1):  # released
        pass


def test_a_child_still_running_when_the_writer_gives_up_is_killed(tmp_path: Path) -> None:
    build = tmp_path / "warehouse.duckdb"
    with writer_lock(build) as lock:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        with pytest.raises(RuntimeError, match="gave up"), lock.bound_to(child):
            raise RuntimeError("gave up")  # e.g. an error while streaming dbt's events
        assert child.wait(ORPHAN_GRACE) == -signal.SIGKILL


def test_sigkill_of_tpw_alone_while_dbt_writes_leaves_no_dbt_and_the_rerun_completes(
    tmp_path: Path,
) -> None:
    with CbrReplayServer() as bank:
        env = make_env(tmp_path, bank.url)
        build = Path(env["TPW_BUILD_WAREHOUSE"])
        run = Run(env, START, END, tmp_path / "logs" / "killed")
        rerun = None
        try:
            dbt_pid = wait_for_dbt_writing(run, build)
            assert run.alive, f"the run ended before dbt was seen writing\n{run.describe()}"
            time.sleep(0.5)  # let it get into the models
            os.kill(run.proc.pid, signal.SIGKILL)  # tpw alone: its children are not signalled
            run.proc.wait(timeout=30)

            def dbt_of_the_killed_run() -> list[tuple[int, str]]:
                return [(p, c) for p, c in group_processes(run.proc.pid) if "dbt" in c]

            assert _wait_until(lambda: not dbt_of_the_killed_run(), ORPHAN_GRACE), (
                f"dbt outlived the killed tpw: {dbt_of_the_killed_run()}"
            )
            # a process on its way out has no command line left before it is a zombie
            assert _wait_until(lambda: not _alive(dbt_pid), ORPHAN_GRACE), f"dbt {dbt_pid} lives"
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
