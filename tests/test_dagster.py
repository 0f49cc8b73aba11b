"""The Dagster definitions: they load, the graph is wired, the schedule targets the right day,
and a real in-process materialization of a partition plus dbt builds a warehouse."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from extract.cbr_replay import CbrReplayServer
from orchestration.dbt_runner import InProcessDbtResource
from orchestration.definitions import defs as load_defs
from orchestration.defs.cbr import cbr_metal_prices, cbr_rates
from orchestration.defs.dbt import dbt_warehouse
from orchestration.defs.project import dbt_project
from orchestration.defs.publish import published_warehouse
from orchestration.defs.resources import CbrResource, WarehouseResource
from tests.conftest import PROJECT_ROOT

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return load_defs()


def test_asset_graph_runs_from_raw_loads_to_the_published_file(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "raw/cbr_rates",
        "raw/cbr_metal_prices",
        "staging/stg_cbr__rates",
        "staging/stg_cbr__metal_prices",
        "intermediate/int_calendar__days",
        "marts/fx_rates",
        "marts/metal_prices",
        "published_warehouse",
    } <= keys
    upstream = graph.get(dg.AssetKey(["staging", "stg_cbr__rates"])).parent_keys
    assert dg.AssetKey(["raw", "cbr_rates"]) in upstream
    assert (
        dg.AssetKey(["marts", "fx_rates"])
        in graph.get(dg.AssetKey("published_warehouse")).parent_keys
    )
    assert graph.get(dg.AssetKey(["raw", "cbr_rates"])).partitions_def is not None


def test_dbt_tests_are_asset_checks(definitions: dg.Definitions) -> None:
    checks = {
        (c.asset_key.to_user_string(), c.name)
        for c in definitions.resolve_asset_graph().asset_check_keys
    }
    assert (
        "marts/fx_rates",
        "unique_combination_of_columns_fx_rates_rate_date__currency_code",
    ) in checks
    assert any(
        asset == "marts/metal_prices" and name.startswith("positive_") for asset, name in checks
    )
    assert any(asset == "raw/cbr_rates" for asset, _ in checks)  # source tests check the raw table
    assert len(checks) >= 60


def test_nightly_schedule_runs_todays_partition_in_moscow(definitions: dg.Definitions) -> None:
    schedule = definitions.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "30 1 * * *"
    assert schedule.execution_timezone == "Europe/Moscow"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "nightly_job"
    tick = datetime(2026, 3, 18, 1, 30, tzinfo=MOSCOW)
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-03-18"]
    job = definitions.resolve_job_def("nightly_job")
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} >= {
        "raw/cbr_rates",
        "marts/fx_rates",
        "published_warehouse",
    }


def test_writers_share_one_pool(definitions: dg.Definitions) -> None:
    for key in (
        ["raw", "cbr_rates"],
        ["raw", "cbr_metal_prices"],
        ["marts", "fx_rates"],
        ["published_warehouse"],
    ):
        assets_def = definitions.resolve_assets_def(dg.AssetKey(key))
        assert assets_def.op.pool == "duckdb_writer", key


def test_materializing_a_partition_and_dbt_in_process(tmp_path: Path) -> None:
    build, published = tmp_path / "build.duckdb", tmp_path / "warehouse.duckdb"
    with CbrReplayServer() as bank:
        result = dg.materialize(
            [cbr_rates, cbr_metal_prices, dbt_warehouse, published_warehouse],
            partition_key="2025-12-05",
            resources={
                "cbr": CbrResource(base_url=bank.url, min_interval_seconds=0, currencies="USD,EUR"),
                "warehouse": WarehouseResource(path=str(published), build_path=str(build)),
                "dbt": InProcessDbtResource(project_dir=str(dbt_project.project_dir)),
            },
            instance=dg.DagsterInstance.ephemeral(),
        )
        requested = list(bank.requests)
    assert result.success
    assert sorted(path.split("?")[0] for path in requested) == [
        "/scripts/XML_daily.asp",
        "/scripts/xml_metall.asp",
    ]
    rates = result.asset_materializations_for_node("raw__cbr_rates")
    assert rates[0].metadata["rows"].value == 2
    conn = duckdb.connect(str(published), read_only=True)
    try:
        fx = conn.execute(
            "select currency_code, value_rub, set_on_date from marts.fx_rates order by 1"
        ).fetchall()
        gold = conn.execute(
            "select rub_per_gram, usd_per_troy_ounce from marts.metal_prices where metal = 'gold'"
        ).fetchall()
    finally:
        conn.close()
    assert fx == [("EUR", Decimal("89.9011"), True), ("USD", Decimal("76.9708"), True)]
    expected_usd = Decimal("10419.09") * Decimal("31.1034768") / Decimal("76.9708")
    assert gold == [(Decimal("10419.09"), expected_usd.quantize(Decimal("0.01")))]  # to the cent
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)


def test_dg_check_defs_loads_the_project() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr
