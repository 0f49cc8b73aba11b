"""A day the Bank has published nothing for must not look loaded: its partition stays missing,
the run says why, and a later run fills it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from extract.cbr_replay import CbrReplayServer
from extract.settings import Settings
from orchestration.definitions import defs as load_defs
from orchestration.runner import resource_config
from tests.conftest import PROJECT_ROOT

RATES = dg.AssetKey(["raw", "cbr_rates"])
METALS = dg.AssetKey(["raw", "cbr_metal_prices"])
# The bundled samples: rates from 2020-04-07, metal prices from 2020-04-30; nothing in 2019.


@pytest.fixture(scope="module")
def bank() -> CbrReplayServer:
    with CbrReplayServer() as server:
        yield server


def load(
    instance: dg.DagsterInstance, tmp_path: Path, url: str, start: str, end: str
) -> dg.ExecuteInProcessResult:
    settings = Settings(
        warehouse=tmp_path / "warehouse.duckdb",
        build_warehouse=tmp_path / "build" / "warehouse.duckdb",
        cbr_url=url,
        articles_dir=tmp_path / "inbox",
        currencies=("USD", "EUR"),
    )
    job = load_defs().resolve_job_def("cbr_load_job")
    return job.execute_in_process(
        instance=instance,
        run_config={"resources": resource_config(settings, min_interval=0.0)},
        tags={
            "dagster/asset_partition_range_start": start,
            "dagster/asset_partition_range_end": end,
        },
    )


def warnings_of(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [
        str(entry.user_message)
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is None and entry.level >= 30
    ]


def test_a_day_with_nothing_published_stays_missing_until_a_later_run(
    tmp_path: Path, bank: CbrReplayServer
) -> None:
    with dg.instance_for_test() as instance:
        result = load(instance, tmp_path, bank.url, "2019-01-10", "2019-01-10")
        assert result.success  # not a failure: the Bank simply has not published yet
        assert instance.get_materialized_partitions(RATES) == set()
        assert instance.get_materialized_partitions(METALS) == set()
        said = " ".join(warnings_of(instance, result.run_id))
        assert "published no rates in force for 2019-01-10 yet" in said
        assert "published no metal prices in force for 2019-01-10 yet" in said
        assert "left missing" in said

        later = load(instance, tmp_path, bank.url, "2020-06-01", "2020-06-01")
        assert later.success
        assert instance.get_materialized_partitions(RATES) == {"2020-06-01"}
        assert instance.get_materialized_partitions(METALS) == {"2020-06-01"}


def test_days_before_a_series_began_are_loaded_with_the_rest(
    tmp_path: Path, bank: CbrReplayServer
) -> None:
    """Nothing was ever in force before the first record: that is history, not "not yet"."""
    with dg.instance_for_test() as instance:
        result = load(instance, tmp_path, bank.url, "2020-04-27", "2020-05-02")
        assert result.success
        days = {f"2020-04-{d}" for d in (27, 28, 29, 30)} | {"2020-05-01", "2020-05-02"}
        assert instance.get_materialized_partitions(RATES) == days
        # The first metal prices of the samples are dated 2020-04-30.
        assert instance.get_materialized_partitions(METALS) == days
        assert "left missing" not in " ".join(warnings_of(instance, result.run_id))
        # The run's figures sit on its last day, the asset's latest materialization.
        event = instance.get_latest_materialization_event(METALS)
        assert event.asset_materialization.partition == "2020-05-02"
        metadata = event.asset_materialization.metadata
        assert metadata["rows"].value == 12  # four metals on three days
        assert metadata["first_day"].value == "2020-04-30"


def test_tpw_run_builds_the_marts_and_says_which_days_wait(
    tmp_path: Path, bank: CbrReplayServer
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    (tmp_path / "inbox").mkdir()
    env.update(
        TPW_WAREHOUSE=str(tmp_path / "warehouse.duckdb"),
        TPW_ARTICLES_DIR=str(tmp_path / "inbox"),
        TPW_CBR_URL=bank.url,
        TPW_CURRENCIES="USD",
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "tpw"), "run", "--start", "2019-01-10"],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "Bank of Russia rates: done" in out and "nothing published yet" in out
    assert "warning: Bank of Russia rates: nothing published yet: left missing" in out
    assert (tmp_path / "warehouse.duckdb").is_file()  # the marts were built and published
    assert "marts.fx_rates 0 rows" in out
