"""Where the time of a ``tpw run`` goes: the product in-process under cProfile (not part of
``make bench``; cProfile roughly doubles Python-heavy parts, so read shares, not seconds).

    python -m bench.profile_run nightly             # the nightly of benchmark 2
    python -m bench.profile_run range 2025-12-01 2025-12-31   # a backfill range, empty warehouse
    ... [--stats FILE]                              # keep the pstats file

Prints the time in the parts that matter (imports, Dagster's run creation and event storage,
dagster-dbt, the dbt subprocess, each asset's own code) and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from bench.common import scratch

# (label, pstats function key pattern: "file:line(function)" suffix or function name)
PARTS = (
    ("imports (all modules, whole run)", "<frozen importlib._bootstrap>", "_find_and_load"),
    ("Dagster: create the run (planned events)", "run_domain.py", "create_run_for_job"),
    ("Dagster: store events in SQLite (all)", "sqlite_event_log.py", "store_event"),
    ("  of which asset-check events", "sql_event_log.py", "store_asset_check_event"),
    ("dbt in-process (the step, waiting for dbt's results)", "dbt_runner.py", "stream"),
    ("asset raw/cbr_rates (fetch + load)", "defs/cbr.py", "cbr_rates"),
    ("asset raw/cbr_metal_prices", "defs/cbr.py", "cbr_metal_prices"),
    ("asset articles: inbox", "defs/articles.py", "read_inbox"),
    ("asset articles: extraction", "defs/articles.py", "extract_facts"),
    ("asset published_warehouse", "defs/publish.py", "published_warehouse"),
)


def _cumulative(stats: pstats.Stats, filename: str, function: str) -> float:
    total = 0.0
    for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if (name == function and file.endswith(filename)) or (
            filename.startswith("<") and file == filename and name == function
        ):
            total = max(total, ct)
    return total


def profile(window: tuple[date, date], env: dict[str, str], stats_path: Path) -> float:
    os.environ.update(env)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    from orchestration.runner import LoadWindow, run_pipeline

    run_pipeline([LoadWindow(*window)])
    profiler.disable()
    wall = time.perf_counter() - began
    profiler.dump_stats(str(stats_path))
    return wall


def report(stats_path: Path, wall: float) -> None:
    stats = pstats.Stats(str(stats_path))
    print(f"wall {wall:.1f} s under cProfile")
    for label, filename, function in PARTS:
        print(f"  {label:<50} {_cumulative(stats, filename, function):7.1f} s")
    print()
    stats.sort_stats("cumulative").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    from bench.backfill import HISTORY_END, HISTORY_START, LATENCY, direct_run, pipeline_env
    from bench.nightly import NIGHT, new_articles, prepare
    from bench.synthetic import synthetic_archive
    from extract.cbr_replay import CbrReplayServer

    parser = argparse.ArgumentParser(prog="python -m bench.profile_run")
    parser.add_argument("mode", choices=("nightly", "range"))
    parser.add_argument("dates", nargs="*", type=date.fromisoformat)
    parser.add_argument("--stats", type=Path, help="keep the pstats file here")
    args = parser.parse_args(argv)
    with scratch("profile") as root, CbrReplayServer(synthetic_archive(), latency=LATENCY) as bank:
        stats_path = args.stats or root / "run.pstats"
        if args.mode == "range":
            if len(args.dates) != 2:
                parser.error("range needs START END")
            wall = profile((args.dates[0], args.dates[1]), pipeline_env(root, bank.url), stats_path)
        else:
            base = root / "base"
            direct_run(bank, base, HISTORY_START, HISTORY_END)
            prepare(base)
            run = root / "night"
            shutil.copytree(base, run)
            new_articles(run / "inbox" / "new")
            wall = profile((NIGHT, NIGHT), pipeline_env(run, bank.url), stats_path)
        report(stats_path, wall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
