"""``make bench``: every benchmark of issues 6 and 14, N runs each (default 3), one table.

    python -m bench.run_all [--runs N] [--only backfill,nightly,extraction,scale,lake] [--json FILE]

Prints the machine, then one row per figure: median, min-max over the runs, the target and
whether it is met. Figures derived from others (ratios, projections) are computed per run and
summarized the same way. Nothing is written into the repository; ``--json`` saves every raw
measurement for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import MIB, machine, scratch, summary

ALL = ("backfill", "nightly", "extraction", "scale", "lake")
GIB = 1024 * MIB


@dataclass
class Row:
    bench: str
    figure: str
    values: list[float]
    unit: str
    target: str = ""
    met: bool | None = None
    digits: int = 1

    def cells(self) -> list[str]:
        median, low, high = summary(self.values)
        fmt = f"{{:,.{self.digits}f}}"
        spread = f"{fmt.format(low)}-{fmt.format(high)}" if len(self.values) > 1 else ""
        met = "" if self.met is None else ("yes" if self.met else "NO")
        return [self.bench, self.figure, f"{fmt.format(median)} {self.unit}".strip(), spread,
                self.target, met]  # fmt: skip


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# --------------------------------------------------------------------------- the benchmarks


def bench_backfill_and_nightly(runs: int, root: Path, which: set[str], raw: dict) -> list[Row]:
    from bench import backfill, nightly
    from bench.synthetic import synthetic_archive
    from extract.cbr_replay import CbrReplayServer

    rows: list[Row] = []
    log("building the synthetic Bank of Russia archive (30 currencies, 4 metals, 1997-2026)")
    archive = synthetic_archive()
    with CbrReplayServer(archive, latency=backfill.LATENCY) as server:
        # 1. Full history without Dagster's per-day bookkeeping (also the nightly's base).
        direct = []
        for run in range(runs):
            log(f"backfill {run + 1}/{runs}: full history, product code without Dagster ({load()})")
            folder = root / f"direct_{run}"
            measured, report = backfill.direct_run(
                server, folder, backfill.HISTORY_START, backfill.HISTORY_END
            )
            direct.append((measured, report))
            if run < runs - 1:
                shutil.rmtree(folder, ignore_errors=True)
        raw["direct"] = [
            {"wall": m.wall, "max_rss": m.max_rss, "tree_rss": m.tree_rss, **r} for m, r in direct
        ]
        product: list = []
        if "backfill" in which:
            for run in range(runs):
                log(f"backfill {run + 1}/{runs}: full history, tpw run as shipped ({load()})")
                folder = root / f"product_{run}"
                product.append(
                    backfill.product_run(
                        server, folder, backfill.HISTORY_START, backfill.HISTORY_END
                    )
                )
                shutil.rmtree(folder, ignore_errors=True)
            raw["product"] = [
                {"wall": p.measured.wall, "max_rss": p.measured.max_rss,
                 "tree_rss": p.measured.tree_rss, "requests": p.requests, "rows": p.rows,
                 "breakdown": p.breakdown(), "events": p.events}
                for p in product
            ]  # fmt: skip
        baseline: list[float] = []
        if "backfill" in which:
            log(f"baseline: one request per day over {backfill.BASELINE_YEAR[0].year}, x{runs}")
            base_runs = backfill.baseline_runs(server.url, *backfill.BASELINE_YEAR, runs)
            raw["baseline"] = base_runs
            baseline = [r["wall"] for r in base_runs]

        night: list = []
        bare: list = []
        if "nightly" in which or "backfill" in which:
            base = root / f"direct_{runs - 1}"
            log("nightly: preparing the warehouse as last night left it (history + 48 articles)")
            nightly.prepare(base)
            # Each nightly run is followed by its bare dbt build on the warehouse it left, so
            # that the machine's load (it is shared) weighs on both sides of each ratio alike.
            for run in range(runs):
                log(f"nightly {run + 1}/{runs}: tpw run --start {nightly.NIGHT} ({load()})")
                result = nightly.nightly_run(server, base, root / f"night_{run}")
                counts, marks = backfill.run_events(root / f"night_{run}" / "dagster_home")
                result.steps.update(marks)
                result.counts = counts
                night.append(result)
                log(f"nightly {run + 1}/{runs}: bare dbt build on the warehouse it left ({load()})")
                bare += nightly.bare_dbt_runs(
                    root / f"night_{run}" / "build" / "warehouse.duckdb", root / f"bare_{run}", 1
                )
            raw["nightly"] = [
                {"wall": r.measured.wall, "max_rss": r.measured.max_rss,
                 "tree_rss": r.measured.tree_rss, "requests": r.requests,
                 "breakdown": r.breakdown, "steps": r.steps, "events": r.counts,
                 "dbt_invocations": r.dbt}
                for r in night
            ]  # fmt: skip
            raw["bare_dbt"] = [{"wall": m.wall, "max_rss": m.max_rss} for m in bare]

    years = backfill.HISTORY_YEARS
    if "backfill" in which:
        walls = [p.measured.wall for p in product]
        direct_walls = [m.wall for m, _ in direct]
        requests = [p.requests for p in product]
        peaks = [p.measured.peak_rss / MIB for p in product]
        loaded = [sum(v for k, v in p.rows.items() if k.startswith("raw.")) for p in product]
        marts = [sum(v for k, v in p.rows.items() if k.startswith("marts.")) for p in product]
        events = [sum(p.events.values()) for p in product]
        b = "1 backfill"
        rows += [
            Row(b, "full history, tpw run as shipped: wall", walls, "s", "< 20 s",
                summary(walls)[0] < 20),
        ]  # fmt: skip
        for part in ("start-up", "fetch + load", "dbt", "publish", "charts", "other"):
            rows.append(Row(b, f"  {part}", [p.breakdown()[part] for p in product], "s"))
        rows += [
            Row(b, "  requests (catalogue + 3 XML_dynamic + 2 xml_metall)", requests, "", "< 50",
                summary(requests)[0] < 50, 0),
            Row(b, "  peak RSS (process tree, incl. dbt)", peaks, "MiB", "< 1024 MiB",
                summary(peaks)[0] < 1024, 0),
            Row(b, "  rows loaded (raw) / built (marts)", loaded, f"/ {int(summary(marts)[0]):,}",
                "", None, 0),
            Row(b, "  Dagster events written", events, "", "", None, 0),
            Row(b, "same, product code w/o Dagster: wall", direct_walls, "s", "", None),
            Row(b, "baseline: 1 request/day, one year (2 x 365 requests)", baseline, "s", "", None),
            Row(b, "speed-up per year of history, tpw run",
                [baseline[i] / (walls[i] / years) for i in range(min(runs, len(walls)))],
                "x", ">= 50x", None),
        ]  # fmt: skip
        for row in rows:
            if row.figure.startswith("speed-up"):
                row.met = summary(row.values)[0] >= 50
    if "nightly" in which and night:
        n = "2 nightly"
        walls = [r.measured.wall for r in night]
        bare_walls = [m.wall for m in bare]
        rows.append(Row(n, "tpw run, one new day + 20 articles: wall", walls, "s"))
        for part in ("start-up", "fetch + load", "extraction", "dbt", "publish", "charts", "other"):
            rows.append(Row(n, f"  {part}", [r.breakdown[part] for r in night], "s"))
        rows += [
            Row(n, "  peak RSS (process tree)", [r.measured.peak_rss / MIB for r in night], "MiB",
                digits=0),
            Row(n, "  requests", [r.requests for r in night], "", digits=0),
            Row(n, "bare dbt build, same models, same warehouse", bare_walls, "s"),
            Row(n, "nightly / bare dbt build",
                [w / b for w, b in zip(walls, bare_walls, strict=False)], "x", "< 1.5x", None, 2),
        ]  # fmt: skip
        rows[-1].met = summary(rows[-1].values)[0] < 1.5
    return rows


def bench_extraction(runs: int, root: Path, raw: dict) -> list[Row]:
    from bench import extraction

    log("extraction: 2,000 articles from the dev and held-out corpora")
    corpus_path = extraction.write_corpus(root / "corpus.jsonl", extraction.corpus(2000))
    results: dict[str, list] = {"product": [], "natasha": []}
    for run in range(runs):
        for mode in ("product", "natasha"):
            log(f"extraction {run + 1}/{runs}: {mode} on one core ({load()})")
            results[mode].append(extraction.run_worker(mode, corpus_path))
    raw["extraction"] = {
        mode: [{"max_rss": m.max_rss, "tree_rss": m.tree_rss, **r} for m, r in items]
        for mode, items in results.items()
    }
    x = "3 facts"
    rows = []
    for mode, label in (("product", "facts_in (product)"), ("natasha", "natasha seg+morph+NER")):
        items = results[mode]
        rate = [r["articles"] / r["seconds"] for _, r in items]
        rows += [
            Row(x, f"{label}: articles/s, one core", rate, "art/s",
                ">= 30 art/s" if mode == "product" else "", summary(rate)[0] >= 30
                if mode == "product" else None),
            Row(x, "  characters/s", [r["chars"] / r["seconds"] for _, r in items], "char/s",
                digits=0),
            Row(x, "  model load", [r["load_seconds"] for _, r in items], "s"),
            Row(x, "  peak RSS", [m.peak_rss / MIB for m, _ in items], "MiB", digits=0),
        ]  # fmt: skip
    ratio = [
        (p["articles"] / p["seconds"]) / (n["articles"] / n["seconds"])
        for (_, p), (_, n) in zip(results["product"], results["natasha"], strict=True)
    ]
    rows.append(Row(x, "product / natasha throughput", ratio, "x", ">= 2x", summary(ratio)[0] >= 2,
                    2))  # fmt: skip
    facts = [r["output"] for _, r in results["product"]]
    rows.append(Row(x, "  facts found in the 2,000 articles", facts, "", digits=0))
    return rows


def bench_scale(runs: int, root: Path, raw: dict) -> list[Row]:
    from bench import scale
    from extract.warehouse import publish

    log("scale: writing 30 currencies x 28 years, metals, 20,000 articles, 200,000 facts")
    base = root / "scale_base.duckdb"
    counts = scale.write_raw(base)
    log(f"scale: dbt build x{runs}, each on a fresh copy ({load()})")
    results = scale.dbt_runs(base, root / "scale", runs)
    last = root / "scale" / "scale_build.duckdb"
    marts = scale.mart_rows(last)
    published = publish(last, root / "scale_published.duckdb")
    log("queries: the five example queries on the published scaled warehouse")
    queries = scale.time_queries(published, max(runs, 5))
    raw["scale"] = {
        "raw_rows": counts,
        "mart_rows": marts,
        "dbt": [{"wall": m.wall, "max_rss": m.max_rss, "tree_rss": m.tree_rss} for m in results],
        "queries": queries,
    }
    s = "4 scale"
    walls = [m.wall for m in results]
    rows = [
        Row(s, f"dbt build, {counts['cbr_rates']:,} rate rows + {counts['article_facts']:,} facts",
            walls, "s", "< 30 s", summary(walls)[0] < 30),
        Row(s, "  peak RSS (dbt + DuckDB)", [m.peak_rss / MIB for m in results], "MiB", digits=0),
    ]  # fmt: skip
    for name, result in queries.items():
        ms = [t * 1000 for t in result["seconds"]]
        rows.append(Row("5 queries", f"{name} ({result['rows']} rows)", ms, "ms", "< 100 ms",
                        summary(ms)[0] < 100))  # fmt: skip
    return rows


def bench_lake(runs: int, root: Path, raw: dict) -> list[Row]:
    """Benchmark 6 (:mod:`bench.lake`): the lake against the file, two writers at once."""
    from bench import lake
    from bench.synthetic import HISTORY_END, HISTORY_START

    try:
        reports = lake.run(root / "lake", HISTORY_START, HISTORY_END, runs, log)
    except FileNotFoundError as exc:  # no PostgreSQL binaries on this machine
        log(f"lake: skipped: {exc}")
        return []
    raw["lake"] = reports
    backfills = [r["backfill"] for r in reports]
    writers = [r["writers"] for r in reports]
    total = [sum(w["together"]["rows"].values()) for w in writers]
    b, w = "6 lake", "6 writers"
    return [
        Row(b, "full history into the file, tpw run: wall", [x["file_wall"] for x in backfills],
            "s"),
        Row(b, "full history into the lake, tpw run: wall", [x["lake_wall"] for x in backfills],
            "s"),
        Row(b, "  lake / file", [x["ratio"] for x in backfills], "x", digits=2),
        Row(b, "  rows in the lake (raw + marts), same as the file's",
            [sum(x["lake_rows"].values()) for x in backfills], "", "= file",
            all(x["same_rows"] for x in backfills), 0),
        Row(w, "two halves at once, two tpw runs: wall", [x["together_wall"] for x in writers],
            "s"),
        Row(w, "the same two one after the other: wall", [x["apart_wall"] for x in writers], "s"),
        Row(w, "  at once / one after the other", [x["ratio"] for x in writers], "x", digits=2),
        Row(w, "  rows in the lake after both (raw + marts)", total, "", "= sequential",
            all(x["same_contents"] for x in writers), 0),
        Row(w, "  conflicts retried (conflicts_retried metadata)",
            [x["conflicts_retried"] for x in writers], "", digits=0),
        Row(w, "  conflict lines in the runs' logs", [x["conflict_lines"] for x in writers], "",
            digits=0),
    ]  # fmt: skip


# --------------------------------------------------------------------------- the table


def print_table(rows: list[Row]) -> None:
    header = ["bench", "figure", "median", "min-max", "target", "met?"]
    cells = [header] + [row.cells() for row in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    for index, line in enumerate(cells):
        print("  ".join(value.ljust(widths[i]) for i, value in enumerate(line)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per benchmark (default 3)")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated: " + ", ".join(ALL))
    parser.add_argument("--json", type=Path, help="write every raw measurement to this file")
    args = parser.parse_args(argv)
    which = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = which - set(ALL)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    began = time.perf_counter()
    info = machine()
    raw: dict = {"machine": info, "runs": args.runs, "load_before": os.getloadavg()}
    log(f"{args.runs} runs per benchmark; {load()}")
    rows: list[Row] = []
    with scratch("all") as root:
        if which & {"backfill", "nightly"}:
            rows += bench_backfill_and_nightly(args.runs, root, which, raw)
        if "extraction" in which:
            rows += bench_extraction(args.runs, root, raw)
        if "scale" in which:
            rows += bench_scale(args.runs, root, raw)
        if "lake" in which:
            rows += bench_lake(args.runs, root, raw)
    total = time.perf_counter() - began
    raw["load_after"] = os.getloadavg()
    raw["total_seconds"] = total
    print()
    print(
        f"machine: {info['cpus']} x {info['cpu']}, {info['memory']} RAM; Python {info['python']}, "
        f"DuckDB {info['duckdb']}, {info['dbt']}, Dagster {info['dagster']}, "
        f"polars {info['polars']}"
    )
    print(f"{args.runs} runs each; median and min-max; synthetic Bank of Russia data (see "
          f"BENCHMARKS.md); {load()}; total {total / 60:.1f} min")  # fmt: skip
    print()
    print_table(rows)
    if args.json:
        raw["rows"] = [row.__dict__ for row in rows]
        args.json.write_text(json.dumps(raw, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
