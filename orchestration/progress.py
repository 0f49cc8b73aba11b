"""What `tpw run` shows while a Dagster run goes and what it did: progress lines read from the
run's own event log, and a summary of every step.

A watcher thread polls the run's step events (cheap: filtered by type in SQL) and the dbt test
results; the figures of a step (days, requests, rows) come from the latest materialization of
its assets, so a run over 10,000 days never reads 10,000 events back.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from extract.safe_text import printable


def printable_lines(text: object) -> str:
    """:func:`printable` line by line: the line breaks stay, nothing else does."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def json_line(value: object, **kwargs: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)`` with the control characters JSON leaves raw
    (C1 controls such as U+009B CSI, format and private-use characters) escaped as ``\\uXXXX``:
    still the same JSON value, and safe on a terminal."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    if all(unicodedata.category(c)[0] != "C" for c in text):
        return text
    return "".join(_json_escape(c) if unicodedata.category(c)[0] == "C" else c for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


# What each step of the project's jobs is called for people, and the assets that carry its figures.
STEP_LABELS = {
    "raw__cbr_rates": "Bank of Russia rates",
    "raw__cbr_metal_prices": "Bank of Russia metal prices",
    "articles": "articles and facts",
    "dbt_warehouse": "dbt build",
    "published_warehouse": "publish",
    "reports__charts": "charts",
}


@dataclass
class StepSummary:
    """One step of a run: how long it took and what it did."""

    step: str
    label: str
    seconds: float | None = None
    status: str = "running"
    partitions: int | None = None
    requests: int | None = None
    rows: int | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "label": self.label,
            "status": self.status,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "partitions": self.partitions,
            "requests": self.requests,
            "rows": self.rows,
            "detail": self.detail,
        }


# What a raw step whose days were left missing shows; the run's log says the same at length.
NOTHING_PUBLISHED = "nothing published yet: left missing, a later run fills it"


@dataclass
class RunSummary:
    """Every step of the runs a `tpw` command made, in the order they finished."""

    steps: list[StepSummary] = field(default_factory=list)
    # Asset checks of severity ERROR that failed, as "asset_key:check_name (description)".
    failed_checks: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """What `tpw` warns about after a run: days the Bank has not published yet."""
        return [
            f"{step.label}: {step.detail}"
            for step in self.steps
            if step.detail == NOTHING_PUBLISHED
        ]

    def totals(self) -> dict[str, int]:
        return {
            "partitions": max((s.partitions or 0 for s in self.steps), default=0),
            "requests": sum(s.requests or 0 for s in self.steps),
            "rows_loaded": sum(
                s.rows or 0 for s in self.steps if s.step.startswith(("raw__", "articles"))
            ),
        }


def _metadata_value(metadata: dict[str, Any], name: str) -> Any:
    entry = metadata.get(name)
    return getattr(entry, "value", entry)


class RunProgress:
    """Follows one Dagster run in a background thread; ``summary`` holds its steps when done.

    ``emit`` receives one line per event worth showing (``None`` to stay silent).
    """

    def __init__(
        self,
        instance: Any,
        run_id: str,
        *,
        partitions: int,
        emit: Callable[[str], None] | None,
        interval: float = 0.5,
    ) -> None:
        self.instance = instance
        self.run_id = run_id
        self.partitions = partitions
        self.emit = emit
        self.interval = interval
        self.started = time.monotonic()
        self.steps: dict[str, StepSummary] = {}
        self._cursor: str | None = None
        self._tests_seen = 0
        self._tests_failed = 0
        self._tests_warned = 0
        self._tests_shown = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="tpw-progress", daemon=True)

    def __enter__(self) -> RunProgress:
        if self.emit is not None:  # silent: the events are read once, at the end
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._poll()  # whatever happened after the last poll

    # ---------------------------------------------------------------- reading the event log

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._poll()
            except Exception:  # a progress line is never worth failing a run for
                continue

    def _poll(self) -> None:
        from dagster import DagsterEventType

        kinds = {
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_SUCCESS,
            DagsterEventType.STEP_FAILURE,
            DagsterEventType.ASSET_CHECK_EVALUATION,
        }
        while True:
            connection = self.instance.event_log_storage.get_records_for_run(
                self.run_id, cursor=self._cursor, of_type=kinds, limit=500
            )
            for record in connection.records:
                self._handle(record.event_log_entry)
            self._cursor = connection.cursor
            if not connection.has_more:
                break

    def _handle(self, entry: Any) -> None:
        event = entry.dagster_event
        if event is None:
            return
        kind = event.event_type_value
        if kind == "ASSET_CHECK_EVALUATION":
            passed = event.event_specific_data.passed
            if not (event.step_key or "").startswith("dbt_warehouse"):
                self._step(event.step_key).detail = "passed" if passed else "FAILED (see the UI)"
                return
            self._tests_seen += 1
            if not passed:
                warned = str(event.event_specific_data.severity).endswith("WARN")
                self._tests_warned += 1 if warned else 0
                self._tests_failed += 0 if warned else 1
            now = time.monotonic()
            if now - self._tests_shown >= 2.0:
                self._tests_shown = now
                self._say(f"dbt build: {self._tests_seen} tests done")
            return
        step = self._step(event.step_key)
        if kind == "STEP_START" and not step.label.startswith("check "):
            self._say(f"{step.label}: started")
        elif kind == "STEP_SUCCESS":
            step.status = "success"
            step.seconds = event.event_specific_data.duration_ms / 1000
            self._fill(step)
            if not step.label.startswith("check "):
                self._say(self.line(step))
        elif kind == "STEP_FAILURE":
            step.status = "failed"
            self._say(f"{step.label}: FAILED")

    def _step(self, key: str) -> StepSummary:
        if key not in self.steps:
            base = key.rsplit("_", 1)[0] if key.startswith("dbt_warehouse_") else key
            label = STEP_LABELS.get(base) or key.replace("__", "/")
            self.steps[key] = StepSummary(step=key, label=label)
        return self.steps[key]

    def _say(self, text: str) -> None:
        if self.emit is not None:
            self.emit(f"[{time.monotonic() - self.started:6.1f} s] {text}")

    # ---------------------------------------------------------------- what a step did

    def _latest(self, *path: str) -> dict[str, Any]:
        """Metadata of the asset's latest materialization, if this run made it."""
        from dagster import AssetKey, AssetRecordsFilter

        key = AssetKey(list(path))
        event = self.instance.get_latest_materialization_event(key)
        if event is None:
            return {}
        if event.run_id != self.run_id:
            # Another run on the same instance (another machine, with TPW_DAGSTER_PG_URL)
            # materialized the asset since: this run's figures are on its own last day.
            run = self.instance.get_run_by_id(self.run_id)
            tags = run.tags if run is not None else {}
            last = tags.get("dagster/asset_partition_range_end") or tags.get("dagster/partition")
            found = self.instance.fetch_materializations(
                AssetRecordsFilter(asset_key=key, asset_partitions=[last] if last else None),
                limit=20,
            )
            mine = [r.event_log_entry for r in found.records if r.run_id == self.run_id]
            if not mine:
                return {}
            event = mine[0]
        return dict(event.asset_materialization.metadata)

    def _fill(self, step: StepSummary) -> None:
        if step.step in ("raw__cbr_rates", "raw__cbr_metal_prices"):
            metadata = self._latest("raw", step.step.split("__", 1)[1])
            step.partitions = self.partitions
            step.requests = _metadata_value(metadata, "requests")
            step.rows = _metadata_value(metadata, "rows")
            first, last = (
                _metadata_value(metadata, "first_day"),
                _metadata_value(metadata, "last_day"),
            )
            step.detail = f"in force {first}..{last}" if first else NOTHING_PUBLISHED
        elif step.step == "articles":
            inbox = self._latest("raw", "articles")
            facts = self._latest("raw", "article_facts")
            step.rows = _metadata_value(facts, "facts_extracted")
            parts = [
                f"{_metadata_value(inbox, name)} {name}"
                for name in ("new", "changed", "removed", "quarantined")
                if _metadata_value(inbox, name)
            ]
            extracted = _metadata_value(facts, "articles_extracted")
            if extracted:
                parts.append(f"facts from {extracted} articles")
            step.detail = ", ".join(parts) or "inbox unchanged"
        elif step.step.startswith("dbt_warehouse"):
            seen, failed, warned = self._tests_seen, self._tests_failed, self._tests_warned
            step.detail = f"{seen} tests, {failed} failed, {warned} warned"
        elif step.step == "published_warehouse":
            metadata = self._latest("published_warehouse")
            path = _metadata_value(metadata, "path")
            size = _metadata_value(metadata, "size_bytes") or 0
            step.detail = f"{path} ({size / 1e6:.1f} MB)" if path else ""
        elif step.step == "reports__charts":
            metadata = self._latest("reports", "charts")
            step.detail = str(_metadata_value(metadata, "report") or "")

    @staticmethod
    def line(step: StepSummary) -> str:
        figures = []
        if step.partitions is not None:
            figures.append(f"{step.partitions:,} day{'s' if step.partitions != 1 else ''}")
        if step.requests is not None:
            figures.append(f"{step.requests} request{'s' if step.requests != 1 else ''}")
        if step.rows is not None and step.step.startswith("raw__"):
            figures.append(f"{step.rows:,} rows")
        text = ", ".join(figures + ([step.detail] if step.detail else []))
        return f"{step.label}: done in {step.seconds or 0:.1f} s" + (f" ({text})" if text else "")


def summary_rows(steps: Iterable[StepSummary]) -> list[list[object]]:
    """Rows for the summary table: step, seconds, days, requests, rows, what it did."""
    return [
        [
            s.label,
            "" if s.seconds is None else f"{s.seconds:.1f}",
            "" if s.partitions is None else f"{s.partitions:,}",
            "" if s.requests is None else s.requests,
            "" if s.rows is None else f"{s.rows:,}",
            s.detail if s.status == "success" else s.status.upper(),
        ]
        for s in steps
    ]


SUMMARY_COLUMNS = ["step", "seconds", "days", "requests", "rows", "result"]


def printer(stream: TextIO = sys.stdout) -> Callable[[str], None]:
    def emit(text: str) -> None:
        print(printable(text), file=stream, flush=True)

    return emit
