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
import contextlib
import csv
import io
import logging
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from extract.formatting import grouped_number, json_value, plain_value, text_table
from orchestration.progress import (
    SUMMARY_COLUMNS,
    RunProgress,
    RunSummary,
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


@dataclass(frozen=True)
class LoadWindow:
    """Days to load and which raw assets to load them for."""

    start: date
    end: date
    assets: tuple[str, ...] = ("cbr_rates", "cbr_metal_prices")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


# The bundled samples hold real figures only in these windows (see data/samples/cbr/README.md).
DEMO_WINDOWS = (
    LoadWindow(date(2020, 5, 1), date(2020, 10, 31)),
    LoadWindow(date(2025, 12, 5), date(2025, 12, 5)),
    LoadWindow(date(2026, 3, 3), date(2026, 3, 5)),
    LoadWindow(date(2026, 3, 6), date(2026, 3, 19), assets=("cbr_rates",)),
)


def today_in_moscow() -> date:
    return datetime.now(MOSCOW).date()


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2020-06-01") from None


# --------------------------------------------------------------------------- running the pipeline


def _prepare_environment() -> None:
    """Persistent Dagster home (runs show in `make ui`) and settings from `.env`."""
    from extract.settings import export_build_path, load_settings

    settings = load_settings(PROJECT_ROOT / ".env")
    export_build_path(settings)
    if not os.environ.get("DAGSTER_HOME"):
        home = PROJECT_ROOT / "data" / "dagster_home"
        os.environ["DAGSTER_HOME"] = str(home)
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    install_instance_config(home)


def install_instance_config(home: Path) -> None:
    """Put the project's dagster.yaml in a Dagster home, or bring an older copy of it up to date
    (a dagster.yaml someone wrote by hand is left alone)."""
    template = (PROJECT_ROOT / "orchestration" / "dagster.yaml").read_text(encoding="utf-8")
    config = home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (
        current != template and current.splitlines()[:1] == template.splitlines()[:1]
    ):
        config.write_text(template, encoding="utf-8")


def run_pipeline(
    windows: Sequence[LoadWindow],
    *,
    min_interval: float | None = None,
    emit: Callable[[str], None] | None = None,
    counts: bool = True,
) -> tuple[dict[str, int], RunSummary]:
    """Materialize the raw assets for each window, then dbt, then publish.

    Returns the row count of every warehouse table (unless ``counts`` is false) and what each
    step did; ``emit`` gets a progress line whenever a step starts or ends (and every few
    seconds of dbt tests).
    """
    import dagster as dg

    from orchestration.definitions import defs as load_defs

    _prepare_environment()
    definitions = load_defs()
    # Dagster's console log shows warnings and errors only; dbt's own output is kept aside and
    # shown when something fails (the Dagster UI keeps all of it for runs it shows).
    run_config: dict = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    build_config: dict = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if min_interval is not None:
        run_config["resources"] = {"cbr": {"config": {"min_interval_seconds": min_interval}}}
    owner = {"tpw/host": socket.gethostname(), "tpw/pid": str(os.getpid())}
    summary = RunSummary()

    def execute(
        job_name: str, config: dict, tags: dict, doing: str, days: int, assets: Sequence[str] = ()
    ) -> None:
        run_id = str(uuid.uuid4())
        job = definitions.resolve_job_def(job_name)
        if assets:  # these raw assets only, without the dbt source tests checking them
            selection = {dg.AssetKey(["raw", name]) for name in assets}
            job = job.get_subset(asset_selection=selection, asset_check_selection=set())
        with (
            captured_output(),
            RunProgress(instance, run_id, partitions=days, emit=emit) as progress,
        ):
            result = job.execute_in_process(
                instance=instance,
                run_config=config,
                tags={**tags, **owner},
                raise_on_error=False,
                run_id=run_id,
            )
        summary.steps.extend(progress.steps.values())
        _raise_on_failure(result, doing)
        summary.failed_checks.extend(failed_error_checks(result))

    def range_tags(window: LoadWindow) -> dict[str, str]:
        return {
            "dagster/asset_partition_range_start": window.start.isoformat(),
            "dagster/asset_partition_range_end": window.end.isoformat(),
        }

    with open_instance() as instance:
        release_dead_runs(instance)
        if len(windows) == 1 and set(windows[0].assets) == set(LoadWindow.assets):
            # One run: every asset of the nightly job over the whole range.
            window = windows[0]
            execute(
                "nightly_job", run_config, range_tags(window),
                f"the run for {window.start}..{window.end}", window.days,
            )  # fmt: skip
            return (table_counts() if counts else {}), summary
        for window in windows:
            execute(
                "cbr_load_job", run_config, range_tags(window),
                f"loading {window.start}..{window.end}", window.days, window.assets,
            )  # fmt: skip
        execute("warehouse_build_job", build_config, {}, "building the marts", 0)
    return (table_counts() if counts else {}), summary


def open_instance() -> Any:
    """The Dagster instance of DAGSTER_HOME, created under a lock: two processes creating the
    same new home at once can trip over each other's SQLite migrations (seen with Dagster's own
    storage too: "table alembic_version already exists")."""
    import dagster as dg
    from filelock import FileLock

    home = Path(os.environ["DAGSTER_HOME"])
    with FileLock(str(home / ".tpw-instance.lock")):
        instance = dg.DagsterInstance.get()
        instance.get_runs(limit=1)  # the run, event and schedule databases exist from here on
    return instance


_CAPTURED = io.StringIO()


@contextlib.contextmanager
def captured_output() -> Iterator[None]:
    """Keep dbt's streamed output off the terminal; it is shown if the run fails."""
    _CAPTURED.seek(0)
    _CAPTURED.truncate()
    with contextlib.redirect_stdout(_CAPTURED):
        yield


def release_dead_runs(instance: object) -> list[str]:
    """Fail the runs a killed `tpw` left STARTED on this host and free their writer slots.

    A SIGKILLed run cannot release its claim on the `duckdb_writer` pool; without this the next
    run would wait for it forever. Runs started by `dg dev` carry no `tpw/pid` tag and are left
    to Dagster's own run monitoring.
    """
    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRunStatus

    released = []
    runs = instance.get_runs(  # type: ignore[attr-defined]
        filters=dg.RunsFilter(
            statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING],
            tags={"tpw/host": socket.gethostname()},
        )
    )
    for run in runs:
        pid = int(run.tags.get("tpw/pid", "0") or 0)
        if pid and not _process_alive(pid):
            instance.report_run_failed(run, message=f"the tpw process {pid} is gone (killed)")  # type: ignore[attr-defined]
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)  # type: ignore[attr-defined]
            released.append(run.run_id)
    if released:
        print(f"tpw: released {len(released)} run(s) left behind by a killed tpw", file=sys.stderr)
    return released


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _raise_on_failure(result: object, doing: str) -> None:
    if getattr(result, "success", False):
        return
    messages = []
    for event in result.all_events:  # type: ignore[attr-defined]
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            cause = error
            while cause is not None and cause.cause is not None:
                cause = cause.cause
            text = (cause or error).message.strip().splitlines()[0] if error else "failed"
            messages.append(f"{event.step_key}: {text}")
    tail = [line for line in _CAPTURED.getvalue().splitlines() if line.strip()][-15:]
    if tail:
        print("\n".join(printable(line) for line in tail), file=sys.stderr)
    raise CliError(f"{doing} failed: " + ("; ".join(messages) or "see the Dagster logs"))


def failed_error_checks(result: object) -> list[str]:
    """The asset checks of severity ERROR that failed in a run, as ``asset:check (why)``.

    Such a check does not fail its Dagster run (the rest is still published), so `tpw` has to
    look for them itself: cron hears of them only through the exit status.
    """
    import dagster as dg

    failed = []
    for event in result.all_events:  # type: ignore[attr-defined]
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        why = (evaluation.description or "").strip().splitlines()
        failed.append(f"{name} ({why[0]})" if why else name)
    return failed


def raise_on_failed_checks(summary: RunSummary) -> None:
    if summary.failed_checks:
        count = len(summary.failed_checks)
        raise CliError(
            f"{count} ERROR asset check{'s' if count != 1 else ''} failed: "
            + "; ".join(summary.failed_checks)
        )


def table_counts() -> dict[str, int]:
    from extract.settings import load_settings
    from extract.warehouse import row_counts

    return row_counts(load_settings(PROJECT_ROOT / ".env").warehouse)


# --------------------------------------------------------------------------- commands


def cmd_demo(args: argparse.Namespace) -> int:
    from extract.cbr_replay import CbrReplayServer

    os.environ.setdefault("TPW_CURRENCIES", "USD,EUR,CNY")
    with CbrReplayServer() as server:
        os.environ["TPW_CBR_URL"] = server.url
        print(f"replaying the bundled Bank of Russia samples at {server.url}")
        counts, summary = run_pipeline(
            DEMO_WINDOWS, min_interval=0.0, emit=None if args.quiet else printer()
        )
        requests = len(server.requests)
    from extract.settings import load_settings

    warehouse = load_settings(PROJECT_ROOT / ".env").warehouse
    print(f"\nwarehouse: {printable(warehouse)} ({requests} requests to the replay server)")
    print(_format_table(["table", "rows"], [[name, count] for name, count in counts.items()]))
    query = (
        "select rate_date, currency_code, nominal, value_rub, rub_per_unit, set_on_date "
        "from marts.fx_rates where currency_code = 'USD' order by rate_date desc limit 5"
    )
    queries = [
        query,
        "select region, product, share, countries, total_export_rub, export_growth "
        "from marts.exports_by_region where period_start = '2020-01-01' order by region",
        "select quote_date, instrument, value, official_value, matches from marts.ticker_quotes "
        "order by instrument",
    ]
    for sql in queries:
        print(f'\n$ tpw sql "{sql}"')
        columns, rows = run_query(sql)
        print(_format_table(columns, rows))
    raise_on_failed_checks(summary)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    today = today_in_moscow()
    end = args.end or args.start or today
    start = args.start or end
    if end < start:
        raise CliError(f"--end {end} is before --start {start}")
    if end > today:
        raise CliError(f"--end {end} is in the future (today in Moscow is {today})")
    if start < date(1998, 1, 1):
        raise CliError("history starts on 1998-01-01 (after the rouble's redenomination)")
    began = time.monotonic()
    talk = not (args.quiet or args.json)
    if talk:
        print(f"tpw run {start}..{end}: {(end - start).days + 1:,} days", flush=True)
    counts, summary = run_pipeline(
        [LoadWindow(start, end)], emit=printer() if talk else None, counts=not args.quiet
    )
    seconds = time.monotonic() - began
    if args.json:
        report = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "success": not summary.failed_checks,
            "failed_checks": summary.failed_checks,
            "seconds": round(seconds, 2),
            **summary.totals(),
            "steps": [step.as_dict() for step in summary.steps],
            "tables": counts,
        }
        print(json_line(report))
    elif talk:
        totals = summary.totals()
        print()
        print(_format_table(SUMMARY_COLUMNS, summary_rows(summary.steps)))
        print(
            f"\n{totals['partitions']:,} days, {totals['requests']} requests to the Bank of "
            f"Russia, {totals['rows_loaded']:,} rows loaded, in {seconds:.1f} s; "
            f"marts.fx_rates {counts.get('marts.fx_rates', 0):,} rows, "
            f"marts.metal_prices {counts.get('marts.metal_prices', 0):,} rows"
        )
    raise_on_failed_checks(summary)
    return 0


# What an analyst's connection may do: read the warehouse file it opens and nothing else. Without
# these a "read-only" connection still COPYs over any file (the published warehouse itself),
# ATTACHes others read-write (the pipeline's build file), reads any file (read_text, read_csv)
# and INSTALLs extensions from the network. The configuration is locked so no query can undo it.
ANALYST_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


def connect_analyst(path: Path, attempts: int = 5) -> Any:
    """A read-only connection to the published warehouse that can touch no other file, load no
    extension and reach no network."""
    import duckdb

    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run `tpw demo` or `tpw run` first")
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=True, config=dict(ANALYST_CONFIG))
        except duckdb.IOException:  # the publisher is swapping the file in
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def run_query(query: str) -> tuple[list[str], list[tuple]]:
    import duckdb

    from extract.settings import load_settings

    if not query.strip():
        raise CliError('no query given: tpw sql "select * from marts.fx_rates limit 5"')
    conn = connect_analyst(load_settings(PROJECT_ROOT / ".env").warehouse)
    try:
        cursor = conn.execute(query)
        if cursor is None or cursor.description is None:  # a comment, or no statement
            return [], []
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()
    except duckdb.Error as exc:
        # DuckDB's own message, whole: "Permission Error: Cannot access file ... - file system
        # operations are disabled by configuration" says what was refused and why.
        # The pointer into the query ("LINE 1: ...", "^") is left out to keep one line.
        lines = [line.strip() for line in str(exc).splitlines()]
        lines = [line for line in lines if line and line != "^" and not line.startswith("LINE ")]
        raise CliError(" ".join(lines) or type(exc).__name__) from None
    finally:
        conn.close()


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
        print(_format_table(columns, rows))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return 0


def _format_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The project's one text table (extract/formatting.py)."""
    return text_table(columns, rows)


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
    except Exception as exc:  # one line for every failure, as the contract says
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"tpw: error: {printable(message)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
