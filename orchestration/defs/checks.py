"""Which failed dbt tests show red in Dagster.

dagster-dbt turns every dbt data test into an asset check, with the severity dbt gave it. The
tests on the Bank's figures (a rate or price that is not positive, a day-over-day jump over
``var('max_daily_change_pct')``) warn in dbt, so that one bad figure does not stop the models
downstream from building nor the nightly run from publishing the rest; dbt keeps their offending
rows in the build file's ``dbt_test__audit`` schema. Such a test carries
``meta: {dagster_severity: ERROR}`` in the dbt project: :func:`with_dbt_severities` reports its
failure to Dagster as a failed ERROR check (red in the UI; `tpw run` exits 1 on it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg

from orchestration.defs.project import dbt_project

SEVERITY_META = "dagster_severity"
AUDIT_SCHEMA = "dbt_test__audit"

Event = TypeVar("Event")


def error_tests(manifest: Mapping[str, Any]) -> dict[str, str]:
    """The dbt tests that Dagster shows as ERROR checks: check name -> the table of their rows."""
    return {
        node["name"]: node.get("alias") or node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "test"
        and str(node.get("config", {}).get("meta", {}).get(SEVERITY_META, "")).upper() == "ERROR"
    }


@functools.cache
def _project_error_tests(manifest_path: Path) -> dict[str, str]:
    return error_tests(json.loads(manifest_path.read_text(encoding="utf-8")))


def with_dbt_severities(
    events: Iterable[Event], manifest: Mapping[str, Any] | None = None
) -> Iterator[Event]:
    """``events`` of a dbt invocation, with the failed checks of the tests marked
    ``dagster_severity: ERROR`` raised from WARN to ERROR and described in one line."""
    tests = (
        error_tests(manifest)
        if manifest is not None
        else _project_error_tests(Path(dbt_project.manifest_path))
    )
    for event in events:
        if (
            isinstance(event, dg.AssetCheckResult)
            and not event.passed
            and event.check_name in tests
            and event.severity != dg.AssetCheckSeverity.ERROR
        ):
            failed = event.metadata.get("dagster_dbt/failed_row_count")
            count = getattr(failed, "value", failed)
            rows = f"{count} row{'s' if count != 1 else ''}" if count is not None else "rows"
            event = dg.AssetCheckResult(  # type: ignore[assignment]
                passed=False,
                asset_key=event.asset_key,
                check_name=event.check_name,
                metadata=event.metadata,
                severity=dg.AssetCheckSeverity.ERROR,
                description=(
                    f"{rows} the Bank would not publish: dbt test {event.check_name} "
                    f"(rows in {AUDIT_SCHEMA}.{tests[event.check_name]} of the build file)"
                ),
            )
        yield event
