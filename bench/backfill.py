"""Benchmark 1: the full-history backfill, and the one-request-per-day baseline.

Everything runs against :class:`extract.cbr_replay.CbrReplayServer` with 50 ms added latency per
request, serving a synthetic archive of realistic shape and volume (:mod:`bench.synthetic`).

- ``product``: ``tpw run --start 1998-01-01 --end 2025-12-31`` as a subprocess, as shipped
  (Dagster with the project's instance storage, the client's 0.5 s polite interval, dbt,
  publishing, the charts), on an empty warehouse. dbt's partial-parse file is prepared for the
  run's build path first, untimed, as ``make install`` does for a user's own path.
- ``direct``: the same product code without Dagster (``extract.rates`` fetching through the
  shipped ``CbrClient``, ``extract.warehouse.replace_days``, a bare ``dbt build``,
  ``extract.warehouse.publish``): what Dagster's bookkeeping adds, and the nightly's base.
- ``baseline``: one ``XML_daily`` and one ``xml_metall`` request per day for one year, through
  the shipped ``CbrClient`` with no polite interval (the fastest a one-request-per-day client
  can be against this server).

``python -m bench.backfill direct START END`` is the subprocess the ``direct`` measurement runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bench.common import (
    DBT,
    DBT_PROJECT,
    TPW,
    Measured,
    check,
    clean_env,
    dagster_steps,
    measure,
)
from bench.synthetic import HISTORY_END, HISTORY_START
from extract.warehouse import row_counts

BASELINE_YEAR = (date(2025, 1, 1), date(2025, 12, 31))
LATENCY = 0.05
FULL_DAYS = (HISTORY_END - HISTORY_START).days + 1
HISTORY_YEARS = FULL_DAYS / 365.25


def pipeline_env(root: Path, url: str, *, currencies: str = "USD,EUR,CNY") -> dict[str, str]:
    """Settings for a run writing under ``root``; dbt's artifacts go under ``root`` too."""
    inbox = root / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    return clean_env(
        TPW_WAREHOUSE=str(root / "warehouse.duckdb"),
        TPW_BUILD_WAREHOUSE=str(root / "build" / "warehouse.duckdb"),
        TPW_CBR_URL=url,
        TPW_CURRENCIES=currencies,
        TPW_ARTICLES_DIR=str(inbox),
        DAGSTER_HOME=str(root / "dagster_home"),
        DBT_TARGET_PATH=str(dbt_target(root)),
    )


def dbt_target(root: Path) -> Path:
    """A dbt target folder under ``root`` holding the project's partial-parse file, as
    dagster-dbt expects in ``dbt_project/target`` (so the repository's target stays clean)."""
    target = root / "dbt_target"
    if not target.exists():
        target.mkdir(parents=True)
        for name in ("partial_parse.msgpack", "manifest.json"):
            source = DBT_PROJECT / "target" / name
            if source.is_file():
                shutil.copy(source, target / name)
    return target


def warm_partial_parse(env: dict[str, str]) -> None:
    """``dbt parse`` into the run's target folder with the run's own settings and profile
    target (``lake`` when the run writes a lake), untimed."""
    target = ["--target", "lake"] if env.get("TPW_LAKE_CATALOG") else []
    subprocess.run(
        [DBT, "parse", "--quiet", "--profiles-dir", ".", "--target-path", env["DBT_TARGET_PATH"],
         "--log-path", env["DBT_TARGET_PATH"], *target],
        cwd=DBT_PROJECT, check=True, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


# --------------------------------------------------------------------------- the product


@dataclass
class ProductRun:
    measured: Measured
    days: int
    requests: int
    rows: dict[str, int]
    steps: dict[str, float]
    events: dict[str, int] = field(default_factory=dict)

    def breakdown(self) -> dict[str, float]:
        """Seconds in each part of the run, from its Dagster event log."""
        return run_breakdown(self.measured, self.steps)


def run_events(dagster_home: Path) -> tuple[dict[str, int], dict[str, float]]:
    """Event counts by type, and timestamps of the first event and of the run's start."""
    from collections import Counter

    from bench.common import open_instance

    with open_instance(dagster_home) as instance:
        run = instance.get_runs(limit=1)[0]
        events = instance.all_logs(run.run_id)
    counts = Counter(e.dagster_event.event_type_value if e.dagster_event else "LOG" for e in events)
    marks = {"first_event": events[0].timestamp}
    for event in events:
        if event.dagster_event and event.dagster_event.event_type_value == "PIPELINE_START":
            marks["run_started"] = event.timestamp
    return dict(counts), marks


def product_run(server, root: Path, start: date, end: date) -> ProductRun:
    env = pipeline_env(root, server.url)
    warm_partial_parse(env)
    before = len(server.requests)
    measured = check(
        measure([TPW, "run", "--quiet", "--start", start.isoformat(), "--end", end.isoformat()],
                env=env),
        f"tpw run {start}..{end}",
    )  # fmt: skip
    requests = len(server.requests) - before
    home = Path(env["DAGSTER_HOME"])
    steps = dagster_steps(home)
    counts, marks = run_events(home)
    steps.update(marks)
    return ProductRun(
        measured, (end - start).days + 1, requests, row_counts(root / "warehouse.duckdb"),
        steps, counts,
    )  # fmt: skip


def run_breakdown(measured: Measured, steps: dict[str, float]) -> dict[str, float]:
    """Start-up (process start to the first step), the steps by kind, and the rest."""
    group = {
        "fetch + load": ("raw__cbr_rates", "raw__cbr_metal_prices"),
        "extraction": ("articles",),
        "dbt": tuple(k for k in steps if k.startswith("dbt_warehouse")),
        "publish": tuple(k for k in steps if k == "published_warehouse"),
        "charts": ("reports__charts",),
    }
    parts = {"start-up": steps.get("first_step_start", measured.started) - measured.started}
    for name, keys in group.items():
        parts[name] = sum(steps.get(k, 0.0) for k in keys)
    parts["other"] = measured.wall - sum(parts.values())
    return parts


# --------------------------------------------------------------------------- without Dagster


def direct_run(server, root: Path, start: date, end: date) -> tuple[Measured, dict]:
    """``python -m bench.backfill direct``: the product's library code, then dbt, then publish."""
    env = pipeline_env(root, server.url)
    before = len(server.requests)
    measured = check(
        measure([sys.executable, "-m", "bench.backfill", "direct", str(start), str(end)], env=env),
        "direct backfill",
    )
    report = json.loads(measured.stdout.strip().splitlines()[-1])
    report["requests"] = len(server.requests) - before
    report["rows"] = row_counts(root / "warehouse.duckdb")
    return measured, report


def bare_dbt_build(
    build_path: Path, target: Path, *, env: dict[str, str] | None = None
) -> Measured:
    """``dbt build`` of every model and test, from dbt_project, on ``build_path``."""
    run_env = dict(env or clean_env())
    run_env["TPW_BUILD_WAREHOUSE"] = str(build_path)
    run_env.pop("DBT_TARGET_PATH", None)
    target.mkdir(parents=True, exist_ok=True)
    partial = DBT_PROJECT / "target" / "partial_parse.msgpack"
    if partial.is_file() and not (target / partial.name).exists():
        shutil.copy(partial, target / partial.name)
    return check(
        measure(
            [DBT, "build", "--quiet", "--profiles-dir", ".", "--target-path", str(target),
             "--log-path", str(target)],
            env=run_env,
            cwd=DBT_PROJECT,
        ),
        "dbt build",
    )  # fmt: skip


def _direct_main(start: date, end: date) -> None:
    from extract.cbr import CbrClient
    from extract.rates import fetch_metal_prices_in_force, fetch_rates_in_force
    from extract.settings import load_settings
    from extract.warehouse import connect_writer, publish, replace_days

    settings = load_settings(None)
    phases: dict[str, float] = {}
    began = time.perf_counter()
    with CbrClient(settings.cbr_url) as client:  # the shipped defaults: 0.5 s between requests
        rates = fetch_rates_in_force(client, settings.currencies, start, end)
    with CbrClient(settings.cbr_url) as client:
        metals = fetch_metal_prices_in_force(client, start, end)
    phases["fetch"] = time.perf_counter() - began
    began = time.perf_counter()
    with connect_writer(settings.build_warehouse) as conn:
        replace_days(conn, "raw.cbr_rates", rates, "rate_date")
        replace_days(conn, "raw.cbr_metal_prices", metals, "price_date")
    phases["load"] = time.perf_counter() - began
    began = time.perf_counter()
    target = Path(load_target())
    subprocess.run(
        [DBT, "build", "--quiet", "--profiles-dir", ".", "--target-path", str(target),
         "--log-path", str(target)],
        cwd=DBT_PROJECT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    phases["dbt"] = time.perf_counter() - began
    began = time.perf_counter()
    publish(settings.build_warehouse, settings.warehouse)
    phases["publish"] = time.perf_counter() - began
    print(json.dumps({"phases": phases, "rates": rates.height, "metals": metals.height}))


def load_target() -> str:
    import os

    return os.environ.get("DBT_TARGET_PATH") or str(DBT_PROJECT / "target")


# --------------------------------------------------------------------------- the baseline


def baseline_run(url: str, start: date, end: date) -> dict:
    """One XML_daily and one xml_metall request per day, ``start``..``end``, no pause."""
    from extract.cbr import CbrClient

    began = time.perf_counter()
    rows = 0
    with CbrClient(url, min_interval=0.0) as client:
        day = start
        while day <= end:
            rows += len(client.daily_rates(day).rates)
            rows += len(client.metal_prices(day, day).records)
            day += timedelta(days=1)
        requests = client.requests_made
    return {"wall": time.perf_counter() - began, "requests": requests, "records": rows}


def baseline_runs(url: str, start: date, end: date, runs: int) -> list[dict]:
    """``runs`` baseline runs side by side, each in its own process (one request at a time).

    They are latency-bound (the server sleeps 50 ms per request; a request costs the client a
    few ms of CPU), so running them together costs about one run's time and changes each run's
    wall time by a few percent at most (BENCHMARKS.md compares with a run alone).
    """
    command = [sys.executable, "-m", "bench.backfill", "baseline", url, str(start), str(end)]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=clean_env())
        for _ in range(runs)
    ]
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"baseline run failed (exit {proc.returncode})")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "direct":
        _direct_main(date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "baseline":
        args = (sys.argv[2], date.fromisoformat(sys.argv[3]), date.fromisoformat(sys.argv[4]))
        print(json.dumps(baseline_run(*args)))
    else:
        sys.exit("usage: python -m bench.backfill direct START END | baseline URL START END")
