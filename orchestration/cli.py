"""``tpw``: the command line of Technopolis Warehouse.

    tpw demo                       build the warehouse offline from the bundled samples
    tpw run [--start D] [--end D]  load a date range (default: today, Moscow), build, publish
    tpw sql "SELECT ..."           query the published warehouse read-only
    tpw facts PATH... [--json]     print the facts extracted from article files or folders
    tpw serve-samples [--port P]   serve the bundled samples like the Bank, for offline runs

Every failure ends with one line on stderr starting with ``tpw: error:`` and a non-zero exit.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import csv
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from extract.formatting import grouped_number, json_value, plain_value, text_table
from extract.settings import Settings, load_settings
from orchestration.progress import (
    SUMMARY_COLUMNS,
    json_line,
    printable,
    printable_lines,
    printer,
    summary_rows,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MOSCOW = ZoneInfo("Europe/Moscow")


class CliError(Exception):
    """An error to report as one line."""


def today_in_moscow() -> date:
    return datetime.now(MOSCOW).date()


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2020-06-01") from None


def settings_from_environment() -> Settings:
    """The product's settings, read once per command (the environment, then ``.env``)."""
    return load_settings(PROJECT_ROOT / ".env")


# --------------------------------------------------------------------------- commands


def cmd_demo(args: argparse.Namespace) -> int:
    import dataclasses

    from extract.cbr_replay import CbrReplayServer
    from orchestration.demo import DEMO_CURRENCIES, DEMO_QUERIES, DEMO_WINDOWS
    from orchestration.runner import raise_on_failed_checks, run_pipeline

    settings = settings_from_environment()
    if not os.environ.get("TPW_CURRENCIES"):
        settings = dataclasses.replace(settings, currencies=DEMO_CURRENCIES)
    with CbrReplayServer() as server:
        print(f"replaying the bundled Bank of Russia samples at {server.url}")
        counts, summary = run_pipeline(
            DEMO_WINDOWS,
            settings=dataclasses.replace(settings, cbr_url=server.url),
            min_interval=0.0,
            emit=None if args.quiet else printer(),
        )
        requests = len(server.requests)
    where = printable(
        f"the lake {settings.lake.catalog} ({settings.lake.data_url})"
        if settings.lake
        else str(settings.warehouse)
    )
    print(f"\nwarehouse: {where} ({requests} requests to the replay server)")
    print(text_table(["table", "rows"], [[name, count] for name, count in counts.items()]))
    for sql in DEMO_QUERIES:
        print(f'\n$ tpw sql "{sql}"')
        columns, rows = run_query(sql, settings)
        print(text_table(columns, rows))
    raise_on_failed_checks(summary)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.runner import LoadWindow, raise_on_failed_checks, run_pipeline

    today = today_in_moscow()
    end = args.end or args.start or today
    start = args.start or end
    if end < start:
        raise CliError(f"--end {end} is before --start {start}")
    if end > today:
        raise CliError(f"--end {end} is in the future (today in Moscow is {today})")
    if start < date(1998, 1, 1):
        raise CliError("history starts on 1998-01-01 (after the rouble's redenomination)")
    settings = settings_from_environment()
    began = time.monotonic()
    talk = not (args.quiet or args.json)
    if talk:
        print(f"tpw run {start}..{end}: {(end - start).days + 1:,} days", flush=True)
    counts, summary = run_pipeline(
        [LoadWindow(start, end)],
        settings=settings,
        emit=printer() if talk else None,
        counts=not args.quiet,
    )
    seconds = time.monotonic() - began
    if args.json:
        report = {
            "ok": not summary.failed_checks,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "success": not summary.failed_checks,
            "error": failed_checks_message(summary.failed_checks),
            "failed_checks": summary.failed_checks,
            "warnings": summary.warnings,
            "seconds": round(seconds, 2),
            **summary.totals(),
            "steps": [step.as_dict() for step in summary.steps],
            "tables": counts,
        }
        print(json_line(report))
    elif talk:
        totals = summary.totals()
        print()
        print(text_table(SUMMARY_COLUMNS, summary_rows(summary.steps)))
        for warning in summary.warnings:
            print(printable(f"warning: {warning}"))
        print(
            f"\n{totals['partitions']:,} days, {totals['requests']} requests to the Bank of "
            f"Russia, {totals['rows_loaded']:,} rows loaded, in {seconds:.1f} s; "
            f"marts.fx_rates {counts.get('marts.fx_rates', 0):,} rows, "
            f"marts.metal_prices {counts.get('marts.metal_prices', 0):,} rows"
        )
    if args.json and summary.failed_checks:  # the JSON object says why; so does stderr
        print(f"tpw: error: {printable(report['error'])}", file=sys.stderr)
        return 1
    raise_on_failed_checks(summary)
    return 0


def failed_checks_message(failed: Sequence[str]) -> str | None:
    if not failed:
        return None
    count = len(failed)
    return f"{count} ERROR asset check{'s' if count != 1 else ''} failed: " + "; ".join(failed)


def run_query(query: str, settings: Settings | None = None) -> tuple[list[str], list[tuple]]:
    from orchestration.analyst import run_query as query_warehouse

    settings = settings or settings_from_environment()
    return query_warehouse(settings.warehouse, query, lake=settings.lake)


def cmd_sql(args: argparse.Namespace) -> int:
    columns, rows = run_query(args.query)
    if args.format == "csv":
        writer = csv.writer(sys.stdout)
        on_terminal = sys.stdout.isatty()  # on a terminal, text from articles must not drive it
        writer.writerow([printable(c) if on_terminal else c for c in columns])
        for row in rows:
            cells = ["" if v is None else plain_value(v) for v in row]
            writer.writerow([printable(c) if on_terminal else c for c in cells])
    elif args.format == "json":
        for row in rows:
            print(json_line({c: json_value(v) for c, v in zip(columns, row, strict=True)}))
    else:
        print(text_table(columns, rows))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    from extract.articles import read_path
    from extract.facts import extract_article_facts

    read_any = False
    for path in args.paths:
        if not Path(path).exists():
            raise CliError(f"no such file or folder: {printable(path)}")
        articles, quarantined = read_path(path)
        for item in quarantined:
            print(
                printable(f"tpw: skipped {item.source}: {item.reason}: {item.detail}"),
                file=sys.stderr,
            )
        for article in articles:
            read_any = True
            for fact in extract_article_facts(article):
                row = {
                    "article": fact.article,
                    "metric": fact.metric,
                    "value": fact.value,
                    "unit": fact.unit,
                    "qualifier": fact.qualifier,
                    "period_start": fact.period_start.isoformat() if fact.period_start else None,
                    "period_end": fact.period_end.isoformat() if fact.period_end else None,
                    "subject": fact.subject,
                    "region": fact.region,
                    "region_code": fact.region_code,
                    "product": fact.product,
                    "target_year": fact.target_year,
                    "evidence": fact.evidence,
                    "char_start": fact.char_start,
                    "char_end": fact.char_end,
                    "quote": article.text[fact.char_start : fact.char_end],
                }
                if args.json:
                    print(json_line(row))
                else:
                    value = "" if fact.value is None else grouped_number(fact.value)
                    where = " ".join(x for x in (fact.subject, fact.region, fact.product) if x)
                    period = (
                        f" {row['period_start']}..{row['period_end']}" if fact.period_start else ""
                    )
                    print(
                        printable(
                            f"{fact.article}: {fact.metric} {value} {fact.unit or ''} "
                            f"({fact.qualifier}){period} {where} | {row['quote']}"
                        )
                    )
    if not read_any:
        raise CliError("no article could be read")
    return 0


def cmd_serve_samples(args: argparse.Namespace) -> int:
    from extract.cbr_replay import CbrReplayServer

    with CbrReplayServer(port=args.port) as server:
        print(f"serving the bundled Bank of Russia samples at {server.url}", flush=True)
        print(f"point the pipeline at it: TPW_CBR_URL={server.url}  (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tpw",
        description="Technopolis Warehouse: Bank of Russia rates and metal prices in DuckDB.",
        epilog="Settings come from the environment or .env: TPW_WAREHOUSE, TPW_CBR_URL, "
        "TPW_CURRENCIES, TPW_ARTICLES_DIR (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="build the warehouse offline from the bundled samples",
        description="Replays the bundled Bank of Russia samples through a loopback server and "
        "the real client, builds the marts and publishes TPW_WAREHOUSE.",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    demo.set_defaults(handler=cmd_demo)

    run = sub.add_parser(
        "run",
        help="load a date range, build the marts, publish",
        description="One Dagster run of nightly_job: the Bank of Russia rates and metal prices "
        "for every day from --start to --end (ranged requests), the article inbox, dbt, "
        "publishing the analysts' file and the charts. Default: today in Moscow. Shows each step "
        "as it ends (days, requests, rows) and a summary table.",
    )
    run.add_argument("--start", type=parse_day, help="first day, YYYY-MM-DD")
    run.add_argument(
        "--end", type=parse_day, help="last day, YYYY-MM-DD (default: --start or today)"
    )
    output = run.add_mutually_exclusive_group()
    output.add_argument("--quiet", action="store_true", help="print nothing on success")
    output.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object at the end: totals, every step, table row counts",
    )
    run.set_defaults(handler=cmd_run)

    sql = sub.add_parser(
        "sql",
        help="query the warehouse read-only",
        description="Runs one SQL query against the published warehouse (read-only).",
    )
    sql.add_argument("query", help='for example "select * from marts.fx_rates limit 5"')
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sql.set_defaults(handler=cmd_sql)

    facts = sub.add_parser(
        "facts",
        help="print the facts extracted from article files or folders",
        description="Reads .txt, .html and .jsonl articles (files or folders) and prints every "
        "numeric fact found, with its evidence sentence and character span.",
    )
    facts.add_argument("paths", nargs="+", metavar="PATH", help="article file or folder")
    facts.add_argument("--json", action="store_true", help="one JSON object per fact")
    facts.set_defaults(handler=cmd_facts)

    serve = sub.add_parser(
        "serve-samples",
        help="serve the bundled samples like the Bank of Russia, on loopback",
        description="Answers XML_daily, XML_dynamic, xml_metall and XML_valFull from the bundled "
        "samples, so `tpw run` and the Dagster UI can load them offline via TPW_CBR_URL.",
    )
    serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    serve.set_defaults(handler=cmd_serve_samples)
    return parser


class PrintableFormatter(logging.Formatter):
    """Log lines name files, URLs and articles: their control characters are shown escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return printable_lines(super().format(record))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command not in ("run", "demo"):  # runs keep the library's warnings in their log
        handler = logging.StreamHandler()
        handler.setFormatter(PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger("extract").addHandler(handler)
    logging.getLogger("extract").setLevel(logging.WARNING)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("tpw: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tpw sql ... | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush
        return 128 + signal.SIGPIPE  # what a Unix tool killed by SIGPIPE reports, silently
    except Exception as exc:  # every failure: a short message on stderr and status 1
        report_error(exc, as_json=bool(getattr(args, "json", False)) and args.command == "run")
        return 1


def report_error(exc: BaseException, *, as_json: bool = False) -> None:
    """``tpw: error: ...`` on stderr: the first line of the message, or all of DuckDB's for a
    refused query (its hints are the useful part); the log of a failed run on a second line.
    With ``as_json``, one JSON object on stdout instead."""
    from orchestration.analyst import QueryError

    text = str(exc).strip() or type(exc).__name__
    lines = text.splitlines() if isinstance(exc, QueryError) else text.splitlines()[:1]
    log = getattr(exc, "log", None)
    if as_json:  # the object on stdout for programs, the line on stderr for people
        report = {"ok": False, "success": False, "error": lines[0], "log": log and str(log)}
        print(json_line(report), flush=True)
    print(f"tpw: error: {printable(lines[0])}", file=sys.stderr)
    for line in lines[1:]:
        print(printable(line), file=sys.stderr)
    if log:
        print(f"tpw: the run's full log: {printable(log)}", file=sys.stderr)


def entry_point() -> None:
    """The ``tpw`` console script: :func:`main`, then an exit without Python's tear-down.

    After a run, the interpreter would spend about a second freeing the 3,000 modules and the
    objects Dagster, dbt and polars leave behind (BENCHMARKS.md); everything that matters is
    already closed (the Dagster instance, DuckDB) or flushed here.
    """
    status = main()
    # The exit handlers still run (2 ms): logging's flush, and multiprocessing's clean-up of the
    # locks dbt creates, which Python's resource tracker would otherwise report as leaked.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # a reader gone (`| head`), or the stream already closed
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    entry_point()
