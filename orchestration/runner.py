"""Running the project's Dagster jobs in this process, for ``tpw run`` and ``tpw demo``.

The settings are read once (by the caller) and handed to the run as its resource config, so a
run started here shows in the UI with exactly the values it used. A run that fails leaves a
full log (every error with its stack trace, and dbt's output) in the Dagster home; the error
raised here names the step and the cause in one line and points at that log.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import socket
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from extract.safe_text import printable
from extract.settings import Settings, load_settings
from orchestration.progress import RunProgress, RunSummary

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class RunFailed(Exception):
    """A run, or the check before it, failed; ``log`` is the file with the whole story."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class LoadWindow:
    """Days to load and which raw assets to load them for."""

    start: date
    end: date
    assets: tuple[str, ...] = ("cbr_rates", "cbr_metal_prices")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


# --------------------------------------------------------------------------- before a run


def prepare_dagster_home() -> Path:
    """The persistent Dagster home (runs show in `make ui`), with the project's dagster.yaml."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(PROJECT_ROOT / "data" / "dagster_home")
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    install_instance_config(home)
    return home


# The project's instance settings: SQLite under DAGSTER_HOME (the default), or PostgreSQL when
# TPW_DAGSTER_PG_URL is set (team mode, orchestration/postgres_storage.py).
INSTANCE_TEMPLATES = {
    "sqlite": PROJECT_ROOT / "orchestration" / "dagster.yaml",
    "postgres": PROJECT_ROOT / "orchestration" / "dagster_postgres.yaml",
}


def dagster_pg_url() -> str | None:
    """``TPW_DAGSTER_PG_URL`` (checked to be a PostgreSQL URL), or None when it is not set."""
    url = os.environ.get("TPW_DAGSTER_PG_URL", "").strip()
    if not url:
        return None
    from orchestration.postgres_storage import sqlalchemy_url

    sqlalchemy_url(url)  # a malformed URL stops here, with the variable's name
    return url


def instance_template() -> Path:
    """The dagster.yaml to install: PostgreSQL with ``TPW_DAGSTER_PG_URL``, else SQLite."""
    return INSTANCE_TEMPLATES["postgres" if dagster_pg_url() else "sqlite"]


def install_instance_config(home: Path) -> None:
    """Put the project's dagster.yaml (:func:`instance_template`) in a Dagster home, or bring an
    older copy of it, or of the other template, up to date; a dagster.yaml someone wrote by hand
    (one that does not start with a template's first line) is left alone."""
    template = instance_template().read_text(encoding="utf-8")
    ours = {
        path.read_text(encoding="utf-8").splitlines()[0] for path in INSTANCE_TEMPLATES.values()
    }
    config = home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    first_line = current.splitlines()[:1] if current is not None else []
    if current is None or (current != template and first_line and first_line[0] in ours):
        config.write_text(template, encoding="utf-8")


def check_bank(settings: Settings) -> None:
    """Ask the Bank for its currency catalogue before anything runs: an unreachable Bank (offline
    with the default ``TPW_CBR_URL``) or a currency it does not quote stops here, in a second,
    before any asset has loaded anything."""
    from extract.cbr import CbrClient, CbrError

    try:
        with CbrClient(settings.cbr_url, max_retries=1, min_interval=0.0) as client:
            client.currency_ids(settings.currencies)
    except CbrError as exc:
        message = str(exc)
        if "catalogue has no currency" in message:
            message = f"TPW_CURRENCIES: {message}"
        raise RunFailed(message) from None


def resource_config(settings: Settings, min_interval: float | None = None) -> dict[str, Any]:
    """The run config that hands ``settings`` to the project's resources."""
    cbr: dict[str, Any] = {
        "base_url": settings.cbr_url,
        "currencies": ",".join(settings.currencies),
    }
    if min_interval is not None:
        cbr["min_interval_seconds"] = min_interval
    return {
        "cbr": {"config": cbr},
        "warehouse": {
            "config": {
                "path": str(settings.warehouse),
                "build_path": str(settings.build_warehouse),
                "reports_path": str(settings.reports),
                "lake_catalog": settings.lake.catalog if settings.lake else "",
                "lake_data_path": settings.lake.data_path if settings.lake else "",
            }
        },
        "articles": {"config": {"folder_path": str(settings.articles_dir)}},
    }


# --------------------------------------------------------------------------- running


def run_pipeline(
    windows: Sequence[LoadWindow],
    *,
    settings: Settings | None = None,
    min_interval: float | None = None,
    emit: Callable[[str], None] | None = None,
    counts: bool = True,
) -> tuple[dict[str, int], RunSummary]:
    """Materialize the raw assets for each window, then dbt, then publish.

    Returns the row count of every warehouse table (unless ``counts`` is false) and what each
    step did; ``emit`` gets a progress line whenever a step starts or ends (and every few
    seconds of dbt tests). Raises :class:`RunFailed` when a run fails.
    """
    with start_up_objects_frozen():
        import dagster as dg

        from orchestration.definitions import defs as load_defs

        settings = settings or load_settings(PROJECT_ROOT / ".env")
        home = prepare_dagster_home()
        check_bank(settings)
        definitions = load_defs()
    # Dagster's console log stays quiet (errors come back as one line, warnings in the summary);
    # the run's whole log is in the Dagster UI and, for a failed run, in a file.
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    resources = resource_config(settings, min_interval)
    owner = {"tpw/host": socket.gethostname(), "tpw/pid": str(os.getpid())}
    summary = RunSummary()

    def execute(
        job_name: str, tags: dict, doing: str, days: int, assets: Sequence[str] = ()
    ) -> Any:
        run_id = str(uuid.uuid4())
        job = definitions.resolve_job_def(job_name)
        if assets:  # these raw assets only, without the dbt source tests checking them
            selection = {dg.AssetKey(["raw", name]) for name in assets}
            job = job.get_subset(asset_selection=selection, asset_check_selection=set())
        with (
            captured_output() as dbt_output,
            RunProgress(instance, run_id, partitions=days, emit=emit) as progress,
        ):
            result = job.execute_in_process(
                instance=instance,
                run_config={**quiet, "resources": resources},
                tags={**tags, **owner},
                raise_on_error=False,
                run_id=run_id,
            )
        summary.steps.extend(progress.steps.values())
        if not result.success:
            log = write_failure_log(home, result, dbt_output.getvalue())
            raise RunFailed(f"{doing} failed: {failure_reason(result)}", log)
        summary.failed_checks.extend(failed_error_checks(result))
        return result

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
            result = execute(
                "nightly_job", range_tags(window),
                f"the run for {window.start}..{window.end}", window.days,
            )  # fmt: skip
            if not any(step.startswith("dbt_warehouse") for step in executed_steps(result)):
                # Days the Bank has not published yet were left missing and the steps after
                # the loads skipped: the marts are still built from everything loaded.
                execute("warehouse_build_job", {}, "building the marts", 0)
        else:
            for window in windows:
                execute(
                    "cbr_load_job", range_tags(window),
                    f"loading {window.start}..{window.end}", window.days, window.assets,
                )  # fmt: skip
            execute("warehouse_build_job", {}, "building the marts", 0)
    return (table_counts(settings) if counts else {}), summary


@contextlib.contextmanager
def open_instance() -> Iterator[Any]:
    """The Dagster instance of DAGSTER_HOME, created under a lock: two processes creating the
    same new home at once can trip over each other's SQLite migrations (seen with Dagster's own
    storage too: "table alembic_version already exists"). With ``TPW_DAGSTER_PG_URL`` the lock
    is also taken in that database, for processes on other machines."""
    import dagster as dg
    from filelock import FileLock

    home = Path(os.environ["DAGSTER_HOME"])
    url = dagster_pg_url()
    with FileLock(str(home / ".tpw-instance.lock")), shared_creation_lock(url):
        instance = dg.DagsterInstance.get()
        instance.get_runs(limit=1)  # the run, event and schedule databases exist from here on
    with instance:
        yield instance


def shared_creation_lock(url: str | None) -> contextlib.AbstractContextManager[None]:
    """The advisory lock of the instance's PostgreSQL database (nothing without one)."""
    if url is None:
        return contextlib.nullcontext()
    from orchestration.postgres_storage import creation_lock

    return creation_lock(url)


@contextlib.contextmanager
def start_up_objects_frozen() -> Iterator[None]:
    """In a process that has not imported Dagster yet (``tpw run``), pause Python's cyclic
    garbage collector while Dagster, dagster-dbt, dbt and the definitions are imported and built,
    then freeze what they made (``gc.freeze``).

    Those 400,000 objects live as long as the process: the collector walks them again and again
    as they pile up (about 0.4 s of the start-up) and in every full collection of the run after
    it, and finds almost nothing to free (a few thousand objects, left in place). A process that
    has Dagster already (a test, a second run) is left as it is.
    """
    if "dagster" in sys.modules or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@contextlib.contextmanager
def captured_output() -> Iterator[io.StringIO]:
    """Keep dbt's streamed output and Dagster's own warnings off the terminal; they go to the
    log of a failed run."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


def release_dead_runs(instance: Any) -> list[str]:
    """Fail the runs a killed `tpw` left STARTED on this host and free their writer slots.

    A SIGKILLed run cannot release its claim on the `duckdb_writer` pool; without this the next
    run would wait for it forever. Runs started by `dg dev` carry no `tpw/pid` tag and are left
    to Dagster's own run monitoring.
    """
    import dagster as dg

    released = []
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            tags={"tpw/host": socket.gethostname()},
        )
    )
    for run in runs:
        pid = int(run.tags.get("tpw/pid", "0") or 0)
        if pid and not _process_alive(pid):
            instance.report_run_failed(run, message=f"the tpw process {pid} is gone (killed)")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
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


# --------------------------------------------------------------------------- after a run


def executed_steps(result: Any) -> set[str]:
    """The steps of a run that ran to success."""
    return {event.step_key for event in result.all_events if event.is_step_success}


def _errors(result: Any) -> Iterator[tuple[str, Any]]:
    """``(where, SerializableErrorInfo)`` for each failure of a run: failed steps, resources that
    could not start, and the run's own failure."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            yield event.step_key or "step", event.step_failure_data.error
        elif event.event_type_value in ("RESOURCE_INIT_FAILURE", "RUN_FAILURE"):
            error = getattr(event.event_specific_data, "error", None)
            if error is not None:
                yield event.step_key or "run", error


def _root_message(error: Any) -> str:
    """The innermost cause's message, without the exception's module path."""
    cause = error
    while cause.cause is not None:
        cause = cause.cause
    text = (cause.message or "").strip()
    head, sep, rest = text.partition(": ")
    if sep and head.replace(".", "").replace("_", "").isalnum() and "." in head:
        text = rest  # "extract.cbr.CbrUnavailable: cannot reach ..." -> "cannot reach ..."
    return " ".join(text.split()) or cause.cls_name or "failed"


def failure_reason(result: Any) -> str:
    """Why a run failed, in one line: each failed step (or resource) and its cause."""
    reasons: dict[str, str] = {}
    for where, error in _errors(result):
        reasons.setdefault(f"{where}: {_root_message(error)}", where)
    if not reasons:
        return "see the Dagster UI"
    return "; ".join(reasons)


def write_failure_log(home: Path, result: Any, dbt_output: str) -> Path:
    """Every error of a failed run with its stack traces, and dbt's output, in one file."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.run_id}.log"
    lines = [f"run {result.run_id} of {result.job_def.name} failed", ""]
    for where, error in _errors(result):
        lines += [f"== {where}", error.to_string(), ""]
    if dbt_output.strip():
        lines += ["== dbt output", dbt_output]
    path.write_text(printable_text("\n".join(lines)), encoding="utf-8")
    return path


def printable_text(text: str) -> str:
    return "\n".join(printable(line) for line in text.split("\n"))


def failed_error_checks(result: Any) -> list[str]:
    """The asset checks of severity ERROR that failed in a run, as ``asset:check (why)``.

    Such a check does not fail its Dagster run (the rest is still published), so `tpw` has to
    look for them itself: cron hears of them only through the exit status.
    """
    import dagster as dg

    failed = []
    for event in result.all_events:
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
        raise RunFailed(
            f"{count} ERROR asset check{'s' if count != 1 else ''} failed: "
            + "; ".join(summary.failed_checks)
        )


def table_counts(settings: Settings) -> dict[str, int]:
    from extract.warehouse import row_counts

    return row_counts(settings.warehouse, lake=settings.lake)
