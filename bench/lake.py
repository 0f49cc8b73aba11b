"""Benchmark 6 (issue 14): team mode, the warehouse in a DuckLake on a real PostgreSQL.

A throwaway PostgreSQL cluster (``start_server()`` of ``bench/postgres.py``, the tests' too:
``initdb`` + ``pg_ctl`` on a free loopback port) holds the lakes' catalogs, one database per
lake, and a folder under the scratch folder holds their data files. The Bank is the loopback
replay server with 50 ms per answer, as in benchmark 1.

- ``backfill``: the full history through ``tpw run`` as shipped, into an empty file (the run of
  :func:`bench.backfill.product_run`) and then into an empty lake; the lake's wall time over the
  file's, both measured in the same run so the machine's load weighs on both alike.
- ``writers``: the history cut in two halves, each half one ``tpw run`` with its own Dagster
  home; the two at once into one lake, then the two one after the other into another lake.
  Figures: the wall time of each case and their ratio, the rows in each lake afterwards (the
  concurrent lake must hold exactly the sequential one's rows, and the same data), and the
  conflicts the Bank loads rolled back and retried (the raw assets' ``conflicts_retried``
  metadata, and the "conflict with another writer" lines of the runs' event logs).

``python -m bench.lake [--start D] [--end D] [--runs N]`` runs both on a shorter range (a year
takes 2-3 minutes on a quiet machine) and prints the raw figures as JSON; ``make bench`` runs them
on the full history through ``bench.run_all``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bench import backfill
from bench.common import TPW, Measured, check, dagster_steps, measure, open_instance
from extract.lake import Lake, connect

if TYPE_CHECKING:
    from bench.postgres import PostgresServer
    from extract.cbr_replay import CbrReplayServer

CONFLICT_LINE = "conflict with another writer"
RAW_KEYS = {
    "raw.cbr_rates": ("rate_date", "currency_code", "record_date", "nominal", "value",
                      "vunit_rate"),
    "raw.cbr_metal_prices": ("price_date", "metal", "metal_code", "record_date", "buy", "sell"),
}  # fmt: skip


@dataclass
class LakeRun:
    """One ``tpw run`` into a lake: its measurement and what its event log says."""

    measured: Measured
    start: date
    end: date
    conflicts_retried: int  # the raw assets' conflicts_retried metadata, summed
    conflict_lines: int  # log lines "conflict with another writer"
    steps: dict[str, float] = field(default_factory=dict)


def lake_env(root: Path, url: str, lake: Lake) -> dict[str, str]:
    """:func:`bench.backfill.pipeline_env` (its own Dagster home and dbt target under ``root``)
    with the lake's two settings."""
    env = backfill.pipeline_env(root, url)
    env["TPW_LAKE_CATALOG"] = lake.catalog
    env["TPW_LAKE_DATA_PATH"] = lake.data_path
    return env


def new_lake(server: PostgresServer, root: Path, name: str) -> Lake:
    """An empty lake: a new catalog database on ``server``, a new data folder under ``root``."""
    data = root / f"{name}_data"
    data.mkdir(parents=True)
    return Lake("postgres:" + server.create_database(name), str(data))


def conflicts_in(dagster_home: Path) -> tuple[int, int]:
    """The latest run's retried conflicts: the sum of the ``conflicts_retried`` metadata of its
    materializations, and the number of its "conflict with another writer" log lines. A run
    whose raw assets carry no such metadata at all is an error (the figure would read 0)."""
    with open_instance(dagster_home) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            raise RuntimeError(f"no run in {dagster_home}")
        events = instance.all_logs(runs[0].run_id)
    metadata, lines, carriers = 0, 0, 0
    for event in events:
        if CONFLICT_LINE in (event.user_message or ""):
            lines += 1
        dagster_event = event.dagster_event
        if dagster_event is None or dagster_event.event_type_value != "ASSET_MATERIALIZATION":
            continue
        value = dagster_event.event_specific_data.materialization.metadata.get("conflicts_retried")
        if value is not None:
            metadata += int(value.value)
            carriers += 1
    if carriers < 2:  # one materialization per raw asset (the range's last day) carries it
        raise RuntimeError(f"the run in {dagster_home} reported no conflicts_retried metadata")
    return metadata, lines


def lake_run(server_url: str, root: Path, lake: Lake, start: date, end: date) -> LakeRun:
    """``tpw run --start START --end END`` into ``lake``, with everything else under ``root``."""
    env = lake_env(root, server_url, lake)
    backfill.warm_partial_parse(env)
    return lake_run_prepared(env, lake, start, end)


def lake_contents(lake: Lake) -> dict[str, object]:
    """Rows per raw and marts table, and for the raw tables the distinct (day, series) keys and
    an order-free checksum of their figures (source URLs and load times left out: they differ
    with the request's range and the moment)."""
    from extract.warehouse import row_counts

    counts = row_counts(Path(), lake=lake)  # no file is read for a lake
    conn = connect(lake, read_only=True)
    try:
        keys, sums = {}, {}
        for table, columns in RAW_KEYS.items():
            day, series = columns[0], columns[1]
            distinct, checksum = conn.execute(
                f"select count(distinct ({day}, {series})), "
                f"coalesce(sum(hash({', '.join(columns)})), 0)::varchar from {table}"
            ).fetchone()
            keys[table], sums[table] = distinct, checksum
    finally:
        conn.close()
    return {"rows": counts, "distinct_keys": keys, "checksums": sums}


def halves(start: date, end: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """``start..end`` cut in two adjacent halves."""
    middle = start + timedelta(days=(end - start).days // 2)
    return (start, middle), (middle + timedelta(days=1), end)


def concurrent(
    server_url: str, root: Path, lake: Lake, ranges: tuple[tuple[date, date], ...]
) -> tuple[float, list[LakeRun]]:
    """One ``tpw run`` per range, all started at once (threads, each waiting on its process);
    the wall time from the first start to the last end."""
    results: list[LakeRun | BaseException | None] = [None] * len(ranges)
    gate = threading.Barrier(len(ranges))

    def work(index: int, first: date, last: date) -> None:
        folder = root / f"writer_{index}"
        env = lake_env(folder, server_url, lake)
        backfill.warm_partial_parse(env)  # untimed, before the barrier
        gate.wait()
        try:
            results[index] = lake_run_prepared(env, lake, first, last)
        except BaseException as exc:  # reported below, in the caller's thread
            results[index] = exc

    threads = [
        threading.Thread(target=work, args=(i, a, b), daemon=True)
        for i, (a, b) in enumerate(ranges)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs: list[LakeRun] = []
    for result in results:
        if not isinstance(result, LakeRun):
            raise RuntimeError(f"a concurrent writer failed: {result}")
        runs.append(result)
    began = min(r.measured.started for r in runs)
    ended = max(r.measured.started + r.measured.wall for r in runs)
    return ended - began, runs


def lake_run_prepared(env: dict[str, str], lake: Lake, start: date, end: date) -> LakeRun:
    """:func:`lake_run` with ``env`` (and dbt's partial parse) already prepared."""
    measured = check(
        measure([TPW, "run", "--quiet", "--start", start.isoformat(), "--end", end.isoformat()],
                env=env, timeout=1800),
        f"tpw run {start}..{end} into {lake.catalog}",
    )  # fmt: skip
    home = Path(env["DAGSTER_HOME"])
    metadata, lines = conflicts_in(home)
    return LakeRun(measured, start, end, metadata, lines, dagster_steps(home))


def run_once(
    server: CbrReplayServer,
    pg: PostgresServer,
    root: Path,
    start: date,
    end: date,
    index: int,
    log: Callable[[str], None],
) -> dict:
    """One round of both benchmarks; the raw figures as a dict."""
    from extract.warehouse import row_counts

    report: dict = {"start": str(start), "end": str(end)}
    # 1. the backfill, file then lake
    log(f"lake {index}: {start}..{end} into a file, tpw run as shipped")
    file_run = backfill.product_run(server, root / f"file_{index}", start, end)
    log(f"lake {index}: {start}..{end} into an empty lake, tpw run as shipped")
    lake = new_lake(pg, root, f"lake_full_{index}")
    full = lake_run(server.url, root / f"lake_full_{index}", lake, start, end)
    full_rows = row_counts(Path(), lake=lake)  # no file is read for a lake
    report["backfill"] = {
        "file_wall": file_run.measured.wall,
        "file_rows": file_run.rows,
        "file_peak_rss": file_run.measured.peak_rss,
        "lake_wall": full.measured.wall,
        "lake_rows": full_rows,
        "lake_peak_rss": full.measured.peak_rss,
        "lake_steps": full.steps,
        "ratio": full.measured.wall / file_run.measured.wall,
        "same_rows": {k: v for k, v in file_run.rows.items()} == full_rows,
    }
    shutil.rmtree(root / f"file_{index}", ignore_errors=True)
    # 2. two writers at once, then the same two one after the other
    ranges = halves(start, end)
    log(f"lake {index}: two writers at once, {ranges[0][0]}..{ranges[0][1]} and "
        f"{ranges[1][0]}..{ranges[1][1]}")  # fmt: skip
    together = new_lake(pg, root, f"lake_together_{index}")
    wall_together, runs_together = concurrent(
        server.url, root / f"together_{index}", together, ranges
    )
    log(f"lake {index}: the same two writers one after the other")
    apart = new_lake(pg, root, f"lake_apart_{index}")
    runs_apart = [
        lake_run(server.url, root / f"apart_{index}_{i}", apart, a, b)
        for i, (a, b) in enumerate(ranges)
    ]
    wall_apart = sum(r.measured.wall for r in runs_apart)
    contents_together, contents_apart = lake_contents(together), lake_contents(apart)
    report["writers"] = {
        "ranges": [[str(a), str(b)] for a, b in ranges],
        "together_wall": wall_together,
        "together_walls": [r.measured.wall for r in runs_together],
        "apart_wall": wall_apart,
        "apart_walls": [r.measured.wall for r in runs_apart],
        "ratio": wall_together / wall_apart,
        "together": contents_together,
        "apart": contents_apart,
        "same_contents": contents_together == contents_apart,
        "same_rows_as_full_backfill": contents_together["rows"] == full_rows,
        "conflicts_retried": sum(r.conflicts_retried for r in runs_together),
        "conflict_lines": sum(r.conflict_lines for r in runs_together),
        "conflicts_retried_apart": sum(r.conflicts_retried for r in runs_apart),
    }
    for folder in ("lake_full", "together", "apart"):
        for path in root.glob(f"{folder}_{index}*"):
            shutil.rmtree(path, ignore_errors=True)
    return report


def run(root: Path, start: date, end: date, runs: int, log: Callable[[str], None]) -> list[dict]:
    """``runs`` rounds against one PostgreSQL server and one replay server."""
    from bench.postgres import start_server
    from bench.synthetic import synthetic_archive
    from extract.cbr_replay import CbrReplayServer

    log("lake: starting a throwaway PostgreSQL server")
    pg = start_server()
    try:
        log("lake: building the synthetic Bank of Russia archive")
        with CbrReplayServer(synthetic_archive(), latency=backfill.LATENCY) as server:
            return [run_once(server, pg, root, start, end, i, log) for i in range(runs)]
    finally:
        pg.stop()


def main(argv: list[str] | None = None) -> int:
    from bench.common import scratch
    from bench.synthetic import HISTORY_END, HISTORY_START

    parser = argparse.ArgumentParser(prog="python -m bench.lake", description=__doc__)
    parser.add_argument("--start", type=date.fromisoformat, default=HISTORY_START)
    parser.add_argument("--end", type=date.fromisoformat, default=HISTORY_END)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    with scratch("lake") as root:
        reports = run(root, args.start, args.end, args.runs, log)
    print(json.dumps(reports, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
