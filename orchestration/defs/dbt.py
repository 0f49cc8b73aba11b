"""dbt models as Dagster assets; dbt tests become asset checks.

dbt runs in the step's own process (``orchestration/dbt_runner.py``) and writes only to the build
file, under the same writer lock as the raw loads; it cannot outlive that lock, since it dies with
the process that holds it.
"""

import os
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from extract.lake import extension_directory
from orchestration.dbt_runner import InProcessDbtResource
from orchestration.defs.checks import with_dbt_severities
from orchestration.defs.project import dbt_project
from orchestration.defs.resources import WarehouseResource
from reports import warm_up as charts_warm_up


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups dbt models by layer folder (staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    # dbt's source tests become asset checks on the raw Bank of Russia assets.
    dagster_dbt_translator=WarehouseTranslator(
        settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    ),
    name="dbt_warehouse",
    pool="duckdb_writer",
)
def dbt_warehouse(
    context: dg.AssetExecutionContext, dbt: InProcessDbtResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    # The dbt profile reads its DuckDB path, or the lake, from these variables.
    os.environ.update(dbt_profile_env(warehouse))
    invocation = dbt.build(context, ["--target", "lake"] if warehouse.lake() else [])
    with warehouse.writer_lock():
        # Failed tests marked dagster_severity: ERROR are red (orchestration/defs/checks.py).
        yield from with_dbt_severities(invocation.stream())
    keep_partial_parse(invocation.target_path)
    # matplotlib loads in the background while publishing copies the file (reports/warm_up.py)
    charts_warm_up.start()
    errors = {"dbt_errors": dg.MetadataValue.json(invocation.errors[:20])}
    if invocation.exception is not None:
        raise dg.Failure(description=f"dbt stopped: {invocation.exception}", metadata=errors)
    # A failing data test (a nonsense value from the Bank) must not stop publishing the rest: its
    # asset check shows red. A model that did not build is another matter: the run fails.
    results = invocation.run_results()
    broken = [r["unique_id"] for r in results if r.get("status") == "error"]
    if broken:
        raise dg.Failure(
            description=f"dbt could not build {len(broken)} node(s): {', '.join(broken[:5])}",
            metadata={"nodes": dg.MetadataValue.json(broken), **errors},
        )
    if not invocation.success:
        failed = [r["unique_id"] for r in results if r.get("status") == "fail"]
        context.log.warning(f"dbt tests failed, the marts are published anyway: {failed}")


def dbt_profile_env(warehouse: WarehouseResource) -> dict[str, str]:
    """The variables dbt reads: the build file (the profile's ``dev`` target), or the lake
    (read by the ``lake`` target's plugin, orchestration/dbt_lake.py) and the folder its
    extensions are installed in."""
    lake = warehouse.lake()
    if lake is None:
        return {"TPW_BUILD_WAREHOUSE": str(warehouse.build())}
    return {
        "TPW_LAKE_CATALOG": lake.catalog,
        "TPW_LAKE_DATA_PATH": lake.data_url,
        "TPW_DUCKDB_EXTENSIONS": str(extension_directory()),
    }


KEEP_RUN_FOLDERS = 3
IN_USE_SECONDS = 15 * 60  # a folder touched this recently may belong to a dbt still running


def keep_partial_parse(run_target: Path) -> None:
    """Keep what dbt learned in this invocation for the next one, and the target folder small.

    Each invocation has a folder of its own under the dbt target folder, seeded with
    ``partial_parse.msgpack`` (orchestration/dbt_runner.py). dbt re-parses the whole project
    when the profile's environment differs from that file's (the build path is an ``env_var``),
    and writes a new file; copying it back lets the next run skip the parse. Older run folders
    (6 MB each) are removed, but the newest few and any touched in the last 15 minutes (a dbt
    of another run may still be writing it); their results are in the Dagster UI anyway.
    """
    target_root = run_target.parent
    fresh = run_target / "partial_parse.msgpack"
    kept = target_root / "partial_parse.msgpack"
    if fresh.is_file() and (not kept.is_file() or fresh.read_bytes() != kept.read_bytes()):
        temporary = kept.with_name(f".partial_parse.{os.getpid()}.tmp")
        shutil.copyfile(fresh, temporary)
        os.replace(temporary, kept)
    runs = []
    for folder in target_root.glob("dbt_warehouse*-*"):
        try:  # another run may be removing it at this very moment
            if folder.is_dir() and folder != run_target:
                runs.append((folder.stat().st_mtime, folder))
        except FileNotFoundError:
            continue
    runs.sort()
    now = time.time()
    for modified, old in runs[: max(0, len(runs) - KEEP_RUN_FOLDERS + 1)]:
        if now - modified > IN_USE_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
