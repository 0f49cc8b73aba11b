"""Benchmark 2: the nightly run on a warehouse that already holds the full history.

Setup (not timed): the full history loaded by the ``direct`` backfill (:mod:`bench.backfill`),
the 48 hand-made articles of ``data/eval`` read from the inbox and extracted with the product's
own library calls (so the nightly sees them as unchanged), a Dagster home that already exists.
Each timed run starts from a copy of that state with 20 new articles in the inbox (variants of
the eval texts, :func:`bench.extraction.corpus`) and runs ``tpw run --start D --end D`` for the
day after the history, as the schedule would: one ``XML_daily`` and one ``xml_metall`` request,
the inbox, fact extraction, dbt, publishing.

The breakdown comes from the run's Dagster event log: start-up (process start to the run's
first step), fetch + load (the two raw Bank of Russia steps), extraction (the articles step),
dbt (one dbt invocation), publish (publishing and the two sanity checks) and charts; "other" is
the rest of the wall time (Dagster between steps, the row counts ``tpw run`` reads, exit).
dbt's partial-parse file is prepared for the run's build path first, untimed, as
``make install`` does for a user's own path.

The comparison is a bare ``dbt build`` of the same project on a copy of the warehouse the
nightly run left, with dbt's partial parsing warm (an untimed ``dbt parse`` first).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.backfill import (
    bare_dbt_build,
    dbt_target,
    pipeline_env,
    run_breakdown,
    warm_partial_parse,
)
from bench.common import (
    DBT,
    DBT_PROJECT,
    PROJECT_ROOT,
    TPW,
    Measured,
    check,
    dagster_steps,
    measure,
)
from bench.extraction import CORPORA, corpus
from bench.synthetic import HISTORY_END

NIGHT = date(2026, 1, 1)  # the day after the history: rates and metals of 31 December in force
NEW_ARTICLES = 20


def prepare(base: Path) -> None:
    """Turn a ``direct`` backfill folder into the warehouse as last night left it."""
    from extract.article_store import ingest, pending_extraction, store_extraction
    from extract.articles import parse_ticker, read_path
    from extract.facts import facts_in
    from extract.warehouse import connect_writer, publish

    inbox = base / "inbox"
    for folder, name in zip(CORPORA, ("dev", "heldout"), strict=True):
        shutil.copytree(folder, inbox / name, dirs_exist_ok=True)
    build, published = base / "build" / "warehouse.duckdb", base / "warehouse.duckdb"
    articles, quarantined = read_path(inbox)
    with connect_writer(build) as conn:
        ingest(conn, articles, quarantined, complete=True)
        pending = pending_extraction(conn)
    extracted = [
        (
            stored.article_id,
            facts_in(stored.text, article=stored.source,
                     published=stored.published_date or stored.view_date,
                     title=stored.title, language=stored.language),
            parse_ticker(stored.header) if stored.header else [],
        )
        for stored in pending
    ]  # fmt: skip
    with connect_writer(build) as conn:
        for article_id, facts, quotes in extracted:
            store_extraction(conn, article_id, facts, quotes)
    publish(build, published)
    home = base / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    from bench.common import open_instance

    with open_instance(home) as instance:
        instance.get_runs(limit=1)  # creates the run, event and schedule storage


def new_articles(folder: Path, seed: int = 11) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    items = [i for i in corpus(NEW_ARTICLES * 2, seed=seed) if i["language"] == "ru"]
    for index, item in enumerate(items[:NEW_ARTICLES]):
        day = date.fromisoformat(item["published"]) if item["published"] else HISTORY_END
        text = f"{item['title']}\n\nДата публикации: {day:%d.%m.%Y}\n\n{item['text'].strip()}\n"
        (folder / f"night_{index:02d}.txt").write_text(text, encoding="utf-8")


@dataclass
class NightlyRun:
    measured: Measured
    requests: int
    breakdown: dict[str, float]
    steps: dict[str, float]
    dbt: list[dict]


def dbt_invocations(target_root: Path) -> list[dict]:
    """What each dbt invocation of a run did, from the JSON logs dagster-dbt leaves: its wall
    time, how long parsing took, and whether dbt could use its partial-parse file."""
    import json
    from datetime import datetime

    found = []
    for log in sorted(target_root.glob("*/dbt.log")):
        first = parsed = wall = None
        full_parse = False
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            info = event.get("info", {})
            stamp = datetime.fromisoformat(info.get("ts", "").rstrip("Z"))
            first = first or stamp
            message = info.get("msg", "")
            full_parse |= message.startswith("Unable to do partial parsing")
            if parsed is None and message.startswith("Found "):
                parsed = (stamp - first).total_seconds()
            if info.get("code") == "Z051":
                wall = event["data"].get("command_wall_clock_time")
        found.append(
            {"invocation": log.parent.name, "wall": wall, "parse_seconds": parsed,
             "full_parse": full_parse}
        )  # fmt: skip
    return found


def nightly_run(server, base: Path, root: Path) -> NightlyRun:
    shutil.copytree(base, root, dirs_exist_ok=False)
    new_articles(root / "inbox" / "new")
    env = pipeline_env(root, server.url)
    dbt_target(root)
    warm_partial_parse(env)
    before = len(server.requests)
    measured = check(
        measure([TPW, "run", "--quiet", "--start", NIGHT.isoformat()], env=env), "nightly run"
    )
    steps = dagster_steps(Path(env["DAGSTER_HOME"]))
    return NightlyRun(
        measured, len(server.requests) - before, run_breakdown(measured, steps), steps,
        dbt_invocations(Path(env["DBT_TARGET_PATH"])),
    )  # fmt: skip


def bare_dbt_runs(build: Path, root: Path, runs: int) -> list[Measured]:
    """``runs`` bare dbt builds on copies of ``build``, partial parsing warmed up first."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / "bare_target"
    copy = root / "bare.duckdb"
    shutil.copy(build, copy)
    env = {"TPW_BUILD_WAREHOUSE": str(copy)}
    subprocess.run(
        [DBT, "parse", "--quiet", "--profiles-dir", ".", "--target-path", str(target),
         "--log-path", str(target)],
        cwd=DBT_PROJECT, check=True, env={**pipeline_env(root, "http://127.0.0.1:9"), **env},
    )  # fmt: skip
    results = []
    for _ in range(runs):
        shutil.copy(build, copy)
        results.append(bare_dbt_build(copy, target))
    return results
