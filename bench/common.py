"""Measuring helpers shared by the benchmarks: subprocesses with wall time and peak RSS, medians,
the machine, the Dagster event log of a run."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TPW = str(BIN / "tpw")
DBT = str(BIN / "dbt")
DBT_PROJECT = PROJECT_ROOT / "dbt_project"
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024
# Single-threaded numeric libraries, so "one core" means one core.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
}


@dataclass
class Measured:
    """One subprocess: wall seconds, exit code, output, and two peak-memory figures."""

    wall: float
    returncode: int
    stdout: str
    stderr: str
    max_rss: int  # bytes: the largest single process of the tree (kernel rusage, exact)
    tree_rss: int  # bytes: the whole tree's RSS summed, sampled every 50 ms
    started: float = 0.0  # time.time() when the process was started
    extra: dict = field(default_factory=dict)

    @property
    def peak_rss(self) -> int:
        return max(self.max_rss, self.tree_rss)


def _tree_rss(root: int, *, include_root: bool = True) -> int:
    """RSS of ``root`` (unless ``include_root`` is false) and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        if pid == root and not include_root:
            continue
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:
            continue
    return total


def measure(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | str = PROJECT_ROOT,
    timeout: float = 900,
    sample_every: float = 0.05,
) -> Measured:
    """Run ``cmd`` to completion; wall time, exit code, output, peak RSS (see :class:`Measured`).

    The command runs under ``bench/_launch.py``, which reports its wall time and kernel max RSS
    uninflated by this (large) process; the tree's RSS is sampled below the launcher.
    """
    with tempfile.TemporaryDirectory(prefix="tpw-bench-measure-") as folder:
        report = Path(folder) / "report.json"
        launcher = [sys.executable, "-I", str(Path(__file__).with_name("_launch.py")), str(report)]
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        with out.open("wb") as out_handle, err.open("wb") as err_handle:
            started = time.perf_counter()
            proc = subprocess.Popen(
                [*launcher, *cmd], env=env, cwd=cwd, stdout=out_handle, stderr=err_handle
            )
            peak = 0
            done = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.wait(sample_every):
                    with contextlib.suppress(Exception):
                        peak = max(peak, _tree_rss(proc.pid, include_root=False))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait()
            finally:
                done.set()
                sampler.join()
            wall = time.perf_counter() - started
        launched = json.loads(report.read_text()) if report.is_file() else {}
        return Measured(
            wall=launched.get("wall", wall),
            returncode=proc.returncode,
            stdout=out.read_text(encoding="utf-8", errors="replace"),
            stderr=err.read_text(encoding="utf-8", errors="replace"),
            max_rss=launched.get("max_rss", 0),
            tree_rss=peak,
            started=launched.get("started", time.time() - wall),
        )


def check(result: Measured, what: str) -> Measured:
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n"
            f"{result.stderr[-3000:]}"
        )
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without any TPW_* or DAGSTER_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    env["DO_NOT_TRACK"] = "1"
    env.update(extra)
    return env


@contextlib.contextmanager
def scratch(name: str) -> Iterator[Path]:
    """A temporary folder, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"tpw-bench-{name}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def summary(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, min, max."""
    return statistics.median(values), min(values), max(values)


def machine() -> dict[str, str]:
    """What BENCHMARKS.md records about the machine and the versions."""
    import dagster
    import duckdb
    import polars

    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError), open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    from importlib.metadata import version

    core, duck = version("dbt-core"), version("dbt-duckdb")  # no `dbt --version`: it goes online
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": f"dbt-core {core}, dbt-duckdb {duck}",
        "dagster": dagster.__version__,
        "polars": polars.__version__,
    }


def open_instance(dagster_home: Path) -> DagsterInstance:
    """The Dagster instance of ``dagster_home`` (its storage finds its files via DAGSTER_HOME)."""
    from dagster import DagsterInstance

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return DagsterInstance.from_config(str(dagster_home))


def dagster_steps(dagster_home: Path) -> dict[str, float]:
    """Seconds per step of the latest run in ``dagster_home``, plus the run's own bounds.

    Keys: each step key's duration, ``run_start`` / ``run_end`` (epoch seconds of the run's
    first and last event) and ``first_step_start``.
    """
    with open_instance(dagster_home) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return {}
        events = instance.all_logs(runs[0].run_id)
    starts: dict[str, float] = {}
    result: dict[str, float] = {}
    for event in events:
        kind = event.dagster_event.event_type_value if event.dagster_event else None
        if kind == "STEP_START":
            starts[event.step_key] = event.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            result[event.step_key] = event.timestamp - starts[event.step_key]
    if events:
        result["run_start"] = events[0].timestamp
        result["run_end"] = events[-1].timestamp
    if starts:
        result["first_step_start"] = min(starts.values())
    return result
