"""Crashes and concurrency, end to end: `tpw run` as a real subprocess against the replay server
(the Bank of Russia protocol on loopback), real Dagster runs, real dbt, real DuckDB files.

1. SIGKILL of the whole process group (a) during the raw loads and (b) while dbt has the build
   file open: the published file is absent or a complete, openable warehouse (never half
   written), and running the same command again completes and equals a clean run.
2. Two `tpw run` at once over overlapping ranges, same files: both succeed (serialized) or one
   refuses with one line; the raw tables then hold exactly the union, as a clean run would.
3. 2020-06-01..2020-07-31 in one run and in three: identical rows and values.
4. An analyst's `duckdb -readonly` shell open on the published file during a run: the run
   succeeds, the shell keeps answering from its snapshot, a new connection sees the new data.

Every run takes Dagster's start-up plus two dbt invocations, so the scenarios that do not depend
on each other run side by side in background threads (see `_background`), each in its own folder
with its own replay server and Dagster home.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest

from extract.cbr_replay import CbrArchive, CbrReplayServer
from tests.conftest import PROJECT_ROOT

BIN = Path(sys.executable).parent
TPW = BIN / "tpw"
DUCKDB_SHELL = BIN / "duckdb"

START, END = date(2020, 6, 1), date(2020, 7, 31)
SPLITS = (
    (date(2020, 6, 1), date(2020, 6, 20)),
    (date(2020, 6, 21), date(2020, 7, 10)),
    (date(2020, 7, 11), date(2020, 7, 31)),
)
OVERLAPPING = ((date(2020, 6, 1), date(2020, 6, 30)), (date(2020, 6, 15), date(2020, 7, 15)))
CURRENCIES, METALS = 3, 4

# Tables compared between runs, with their keys; loaded_at and source_url differ by design.
TABLES = {
    "raw.cbr_rates": ("rate_date", "currency_code"),
    "raw.cbr_metal_prices": ("price_date", "metal"),
    "marts.fx_rates": ("rate_date", "currency_code"),
    "marts.metal_prices": ("price_date", "metal"),
}
IGNORED_COLUMNS = {"loaded_at", "source_url"}

RUN_TIMEOUT = 600.0  # one `tpw run`, generous for a busy machine
STUCK_AFTER = 20.0  # a rerun's step waiting this long on a slot a killed run holds is stuck
KILL_LATENCY = 1.0  # replay latency while waiting to kill: a request is always in flight

TIMINGS: dict[str, float] = {}


# --------------------------------------------------------------------------- running tpw


def make_env(root: Path, bank_url: str) -> dict[str, str]:
    """Private files for one scenario; an empty article inbox keeps runs short."""
    (root / "articles").mkdir(parents=True, exist_ok=True)
    env = {key: val for key, val in os.environ.items() if not key.startswith(("TPW_", "DAGSTER_"))}
    env.update(
        TPW_WAREHOUSE=str(root / "warehouse.duckdb"),
        TPW_BUILD_WAREHOUSE=str(root / "build" / "warehouse.duckdb"),
        TPW_CBR_URL=bank_url,
        TPW_CURRENCIES="USD,EUR,CNY",
        TPW_ARTICLES_DIR=str(root / "articles"),
        DAGSTER_HOME=str(root / "dagster_home"),
    )
    return env


_RUNNING: list[Run] = []


@dataclass
class Run:
    """One `tpw run` in its own session (process group), output kept in files beside it."""

    env: dict[str, str]
    first: date
    last: date
    log: Path
    proc: subprocess.Popen[bytes] = field(init=False)
    started: float = field(init=False)
    ended: float | None = None

    def __post_init__(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with (
            open(self.log.with_suffix(".out"), "wb") as out,
            open(self.log.with_suffix(".err"), "wb") as err,
        ):
            self.started = time.monotonic()
            self.proc = subprocess.Popen(
                [str(TPW), "run", "--start", str(self.first), "--end", str(self.last)],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: dbt and Dagster's helpers too
            )
        _RUNNING.append(self)

    @property
    def alive(self) -> bool:
        if self.proc.poll() is None:
            return True
        if self.ended is None:
            self.ended = time.monotonic()
        return False

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def stdout(self) -> str:
        return self.log.with_suffix(".out").read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.log.with_suffix(".err").read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group, as the OOM killer or a power cut would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.alive  # noqa: B018 - records the end time

    def describe(self) -> str:
        return (
            f"tpw run --start {self.first} --end {self.last} (exit {self.proc.returncode}, "
            f"{self.seconds:.0f} s)\n--- stdout\n{self.stdout[-2000:]}\n--- stderr\n"
            f"{self.stderr[-4000:]}"
        )

    def wait(self, watch: Callable[[], str | None] | None = None) -> int:
        """Wait for the end; ``watch`` may return a reason to give up (the run is then killed)."""
        while self.alive:
            reason = watch() if watch is not None else None
            if reason is None and self.seconds > RUN_TIMEOUT:
                reason = f"still running after {RUN_TIMEOUT:.0f} s"
            if reason is not None:
                self.kill()
                raise AssertionError(f"{reason}\n{self.describe()}")
            time.sleep(0.5)
        return self.proc.returncode

    def succeed(self, watch: Callable[[], str | None] | None = None) -> Run:
        if self.wait(watch) != 0:
            raise AssertionError(f"the run failed\n{self.describe()}")
        return self


def run_tpw(env: dict[str, str], first: date, last: date, log: Path) -> Run:
    return Run(env, first, last, log).succeed()


def group_processes(pgid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live process in a process group (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if cmdline:  # zombies have none
            found.append((int(entry), cmdline))
    return found


def wait_for_dbt_writing(run: Run, build: Path) -> int | None:
    """The pid of the process of ``run`` that runs dbt (dbt runs in-process: its log file is
    open) once it holds ``build`` open; None if the run ended first."""
    targets = {str(build.resolve()), f"{build.resolve()}.wal"}
    while run.alive:
        for pid, _ in group_processes(run.proc.pid):
            files = open_files(pid)
            if files & targets and any(name.endswith("/dbt.log") for name in files):
                return pid
        time.sleep(0.05)
    return None


def open_files(pid: int) -> set[str]:
    """The paths process ``pid`` holds open."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    found = set()
    for fd in fds:
        with contextlib.suppress(OSError):
            found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return found


# --------------------------------------------------------------------------- Dagster's pool slots


def _read_sqlite(path: Path, sql: str) -> list[tuple]:
    if not path.is_file():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def dagster_run_ids(dagster_home: Path) -> set[str]:
    return {
        row[0]
        for row in _read_sqlite(dagster_home / "history" / "runs.db", "select run_id from runs")
    }


def stuck_on_a_dead_run(dagster_home: Path, dead_runs: set[str]) -> Callable[[], str | None]:
    """A watch for a rerun: gives up when one of its steps has waited STUCK_AFTER seconds for
    Dagster's `duckdb_writer` pool while a killed run still holds the pool's slot."""
    index = dagster_home / "history" / "runs" / "index.db"
    since: list[float] = []

    def watch() -> str | None:
        held = _read_sqlite(
            index, "select run_id, step_key from concurrency_slots where run_id is not null"
        )
        held_by_dead = [(run, step) for run, step in held if run in dead_runs]
        waiting = [
            (run, step)
            for run, step in _read_sqlite(
                index,
                "select run_id, step_key from pending_steps where assigned_timestamp is null",
            )
            if run not in dead_runs
        ]
        if not (held_by_dead and waiting):
            since.clear()
            return None
        since.append(time.monotonic())
        if since[-1] - since[0] < STUCK_AFTER:
            return None
        pools = _read_sqlite(index, "select concurrency_key from concurrency_slots")
        return (
            f"the rerun is stuck: the killed run {held_by_dead[0][0]} still holds the Dagster pool "
            f"slot of {sorted({p[0] for p in pools})} (step {held_by_dead[0][1]}), so the "
            f"rerun's steps {sorted({w[1] for w in waiting})} wait for it forever "
            "('Step blocked by limit for pool duckdb_writer'); nothing says so on the terminal"
        )

    return watch


# --------------------------------------------------------------------------- reading warehouses


def snapshot(path: Path, first: date | None = None, last: date | None = None) -> dict:
    """Every compared table's rows (without loaded_at/source_url), ordered by key; optionally
    only the days first..last."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        tables = {}
        for table, key in TABLES.items():
            schema, name = table.split(".")
            columns = [
                row[0]
                for row in conn.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
                if row[0] not in IGNORED_COLUMNS
            ]
            where, params = "", []
            if first is not None:
                where, params = f"where {key[0]} between ? and ?", [first, last]
            tables[table] = conn.execute(
                f"select {', '.join(columns)} from {table} {where} order by {', '.join(key)}",
                params,
            ).fetchall()
        return tables
    finally:
        conn.close()


def counts(path: Path, tables: tuple[str, ...] = tuple(TABLES)) -> dict[str, int]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def expected_counts(first: date, last: date) -> dict[str, int]:
    days = (last - first).days + 1
    return {
        "raw.cbr_rates": days * CURRENCIES,
        "raw.cbr_metal_prices": days * METALS,
        "marts.fx_rates": days * CURRENCIES,
        "marts.metal_prices": days * METALS,
    }


def assert_same(actual: dict, expected: dict, what: str) -> None:
    for table in TABLES:
        got, want = actual[table], expected[table]
        if got != want:
            extra = sorted(set(got) - set(want))[:3]
            missing = sorted(set(want) - set(got))[:3]
            raise AssertionError(
                f"{what}: {table} differs ({len(got)} rows, expected {len(want)}); "
                f"unexpected {extra}, missing {missing}"
            )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_absent_or_complete(published: Path) -> str:
    """The analysts' file after a crash: absent, or a warehouse that opens and answers."""
    if not published.exists():
        return "absent"
    conn = duckdb.connect(str(published), read_only=True)
    try:
        for table in TABLES:
            conn.execute(f"select * from {table}").fetchall()
        found = conn.execute("select count(*) from marts.fx_rates").fetchone()[0]
    finally:
        conn.close()
    return f"complete ({found} rows in marts.fx_rates)"


# --------------------------------------------------------------------------- the analyst's shell


class DuckdbShell:
    """The `duckdb` shell the project installs, read-only, kept open on a pipe."""

    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [str(DUCKDB_SHELL), "-readonly", "-noheader", "-list", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._queries = 0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))

    def query(self, sql: str, timeout: float = 30.0) -> list[str]:
        """The output lines of one statement (a marker statement tells where it ends)."""
        assert self.proc.stdin is not None
        self._queries += 1
        marker = f"-- end of answer {self._queries} --"
        self.proc.stdin.write(f"{sql.rstrip(';')};\nselect '{marker}';\n")
        self.proc.stdin.flush()
        lines = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the duckdb shell did not answer {sql!r}: {lines}") from None
            if line == marker:
                return lines
            lines.append(line)

    def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------- the background lanes


@dataclass
class SplitBackfill:
    runs: list[Run]
    published: Path
    shell_before: list[str]  # the open shell's answer before the third run
    shell_after: list[str]  # the same shell's answer after it
    shell_alive: bool
    fresh_after: int  # a new connection's count after it


@dataclass
class TwoAtOnce:
    runs: list[Run]
    published: Path
    build: Path


SHELL_QUERY = "select count(*) from raw.cbr_rates"


def _reference(root: Path) -> Path:
    """A clean run over START..END; returns its folder (published and build files)."""
    with CbrReplayServer() as bank:
        env = make_env(root, bank.url)
        run = run_tpw(env, START, END, root / "logs" / "run")
    TIMINGS["reference run (61 days)"] = run.seconds
    return root


def _split_backfill(root: Path) -> SplitBackfill:
    """START..END in three runs; an analyst's shell is open on the published file during the
    third."""
    runs = []
    with CbrReplayServer() as bank:
        env = make_env(root, bank.url)
        published = Path(env["TPW_WAREHOUSE"])
        for number, (first, last) in enumerate(SPLITS[:2], 1):
            runs.append(run_tpw(env, first, last, root / "logs" / f"split{number}"))
        shell = DuckdbShell(published)
        try:
            before = shell.query(SHELL_QUERY)
            runs.append(run_tpw(env, *SPLITS[2], root / "logs" / "split3"))
            after = shell.query(SHELL_QUERY)
            alive = shell.proc.poll() is None
        finally:
            shell.close()
    conn = duckdb.connect(str(published), read_only=True)
    try:
        fresh = conn.execute(SHELL_QUERY).fetchone()[0]
    finally:
        conn.close()
    for number, run in enumerate(runs, 1):
        TIMINGS[f"split run {number} ({run.first}..{run.last})"] = run.seconds
    return SplitBackfill(runs, published, before, after, alive, fresh)


def _two_at_once(root: Path) -> TwoAtOnce:
    """Two `tpw run` started together over overlapping ranges, same files and Dagster home."""
    with CbrReplayServer(latency=0.2) as bank:
        env = make_env(root, bank.url)
        runs = [
            Run(env, first, last, root / "logs" / f"run{n}")
            for n, (first, last) in enumerate(OVERLAPPING, 1)
        ]
        for run in runs:
            run.wait()
    TIMINGS["two runs at once (until both ended)"] = max(run.seconds for run in runs)
    return TwoAtOnce(runs, Path(env["TPW_WAREHOUSE"]), Path(env["TPW_BUILD_WAREHOUSE"]))


@pytest.fixture(scope="module")
def lanes() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tpw-scenario")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)
    for run in _RUNNING:  # a failed test may leave one behind
        if run.alive:
            run.kill()
    if TIMINGS:
        print("\n".join(["", "timings:", *(f"  {k}: {v:.1f} s" for k, v in TIMINGS.items())]))


@pytest.fixture(scope="module")
def archive() -> CbrArchive:
    return CbrArchive.load()


@pytest.fixture(scope="module")
def reference(lanes: ThreadPoolExecutor, tmp_path_factory: pytest.TempPathFactory) -> Future:
    return lanes.submit(_reference, tmp_path_factory.mktemp("reference"))


@pytest.fixture(scope="module")
def two_at_once(lanes: ThreadPoolExecutor, tmp_path_factory: pytest.TempPathFactory) -> Future:
    return lanes.submit(_two_at_once, tmp_path_factory.mktemp("two_at_once"))


@pytest.fixture(scope="module")
def split_backfill(lanes: ThreadPoolExecutor, tmp_path_factory: pytest.TempPathFactory) -> Future:
    return lanes.submit(_split_backfill, tmp_path_factory.mktemp("split_backfill"))


@pytest.fixture(scope="module", autouse=True)
def _background(request: pytest.FixtureRequest) -> None:
    """Start, before the first test, the background runs that the selected tests will need."""
    needed = {
        name
        for item in request.session.items
        if item.module is request.module
        for name in item.fixturenames
    }
    for name in ("reference", "two_at_once", "split_backfill"):
        if name in needed:
            request.getfixturevalue(name)


def reference_snapshot(reference: Future) -> tuple[Path, dict]:
    root: Path = reference.result()
    published = root / "warehouse.duckdb"
    return published, snapshot(published)


# --------------------------------------------------------------------------- 1. SIGKILL


def test_sigkill_during_the_raw_loads_then_the_same_command_completes(
    tmp_path: Path, reference: Future
) -> None:
    with CbrReplayServer(latency=KILL_LATENCY) as bank:
        env = make_env(tmp_path, bank.url)
        published, build = Path(env["TPW_WAREHOUSE"]), Path(env["TPW_BUILD_WAREHOUSE"])
        run = Run(env, START, END, tmp_path / "logs" / "killed")
        # Kill once the first raw asset is fetched and written and the second one's requests
        # are on the wire (whichever order Dagster picks): both the metals request and a
        # rates request have arrived, and every answer takes KILL_LATENCY seconds.
        while run.alive:
            paths = {request.split("?")[0].lower() for request in list(bank.requests)}
            if {"/scripts/xml_metall.asp", "/scripts/xml_dynamic.asp"} <= paths:
                break
            time.sleep(0.02)
        assert run.alive, f"the run ended before the kill\n{run.describe()}"
        run.kill()
        TIMINGS["(a) killed during the raw loads after"] = run.seconds
        requests_at_kill = len(bank.requests)

        assert assert_absent_or_complete(published) == "absent"  # nothing was published yet
        assert not list(published.parent.glob(f".{published.name}.*.tmp*"))
        # The kill landed between the two raw loads: one raw table is in the build file.
        raw = ("raw.cbr_rates", "raw.cbr_metal_prices")
        loaded = {table for table, rows in counts(build, raw).items() if rows}
        assert loaded in ({"raw.cbr_rates"}, {"raw.cbr_metal_prices"}), loaded

        bank.latency = 0.0
        dead = dagster_run_ids(Path(env["DAGSTER_HOME"]))
        rerun = Run(env, START, END, tmp_path / "logs" / "rerun")
        rerun.succeed(stuck_on_a_dead_run(Path(env["DAGSTER_HOME"]), dead))
        TIMINGS["(a) rerun after the kill"] = rerun.seconds
        assert len(bank.requests) > requests_at_kill

    assert counts(published) == expected_counts(START, END)
    _, expected = reference_snapshot(reference)
    assert_same(snapshot(published), expected, "the rerun after a kill during the raw loads")
    assert_same(snapshot(build), expected, "the build file after the rerun")


def test_sigkill_while_dbt_writes_then_the_same_command_completes(
    tmp_path: Path, reference: Future
) -> None:
    # Start from the warehouse a clean run left (published file and build file), as a nightly
    # run over existing data would, with a Dagster home of its own.
    source: Path = reference.result()
    shutil.copy2(source / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    (tmp_path / "build").mkdir()
    shutil.copy2(source / "build" / "warehouse.duckdb", tmp_path / "build" / "warehouse.duckdb")
    with CbrReplayServer() as bank:
        env = make_env(tmp_path, bank.url)
        published, build = Path(env["TPW_WAREHOUSE"]), Path(env["TPW_BUILD_WAREHOUSE"])
        before = sha256(published)
        run = Run(env, START, END, tmp_path / "logs" / "killed")
        wait_for_dbt_writing(run, build)
        assert run.alive, f"the run ended before dbt was seen writing\n{run.describe()}"
        time.sleep(0.5)  # let it get into the models
        run.kill()
        TIMINGS["(b) killed while dbt writes after"] = run.seconds

        # The published file is the previous one, whole: publishing never started.
        assert assert_absent_or_complete(published).startswith("complete")
        assert sha256(published) == before
        assert not list(published.parent.glob(f".{published.name}.*.tmp*"))

        dead = dagster_run_ids(Path(env["DAGSTER_HOME"]))
        rerun = Run(env, START, END, tmp_path / "logs" / "rerun")
        rerun.succeed(stuck_on_a_dead_run(Path(env["DAGSTER_HOME"]), dead))
        TIMINGS["(b) rerun after the kill"] = rerun.seconds

    _, expected = reference_snapshot(reference)
    assert counts(published) == expected_counts(START, END)
    assert_same(snapshot(published), expected, "the rerun after a kill during dbt")
    assert_same(snapshot(build), expected, "the build file after the rerun")


# --------------------------------------------------------------------------- 2. two runs at once


def test_two_runs_at_once_are_serialized_or_one_refuses(
    two_at_once: Future, reference: Future
) -> None:
    result: TwoAtOnce = two_at_once.result()
    succeeded = [run for run in result.runs if run.proc.returncode == 0]
    refused = [run for run in result.runs if run.proc.returncode != 0]
    details = "\n\n".join(run.describe() for run in result.runs)
    assert succeeded, f"neither run succeeded\n{details}"
    for run in refused:  # allowed: a clear one-line refusal, nothing else
        lines = run.stderr.strip().splitlines()
        assert run.proc.returncode == 1 and lines, details
        assert lines[-1].startswith("tpw: error:") and "another run" in lines[-1], details
    print(
        "two runs at once: "
        + ", ".join(
            f"{run.first}..{run.last} "
            + ("succeeded" if run.proc.returncode == 0 else f"refused: {run.stderr.strip()}")
            + f" in {run.seconds:.0f} s"
            for run in result.runs
        )
    )

    # The raw tables hold every day of the runs that succeeded, once, with the values a clean
    # run gives those days (a day's row never depends on the range it was loaded with).
    first = min(run.first for run in succeeded)
    last = max(run.last for run in succeeded)
    published, _ = reference_snapshot(reference)
    expected = snapshot(published, first, last)
    assert counts(result.published) == expected_counts(first, last)
    assert_same(snapshot(result.published), expected, "after two runs at once")
    assert_same(snapshot(result.build), expected, "the build file after two runs at once")


# --------------------------------------------------------------------------- 3. partition splits


def test_one_run_and_three_runs_over_the_same_range_are_identical(
    split_backfill: Future, reference: Future
) -> None:
    result: SplitBackfill = split_backfill.result()
    _, expected = reference_snapshot(reference)
    assert counts(result.published) == expected_counts(START, END)
    assert_same(snapshot(result.published), expected, "three runs versus one")


# --------------------------------------------------------------------------- 4. analyst's shell


def test_an_open_duckdb_shell_keeps_its_snapshot_during_a_run(split_backfill: Future) -> None:
    result: SplitBackfill = split_backfill.result()
    first, last = SPLITS[0][0], SPLITS[1][1]
    old = expected_counts(first, last)["raw.cbr_rates"]
    new = expected_counts(START, END)["raw.cbr_rates"]
    assert result.runs[-1].proc.returncode == 0  # the run was not blocked by the open shell
    assert result.shell_before == [str(old)]
    assert result.shell_alive
    assert result.shell_after == [str(old)]  # the shell still answers, from its snapshot
    assert result.fresh_after == new  # a new connection sees the new data
