"""One settings path: `tpw` reads the settings once and hands them to the run as resource config;
the UI's resources read the same variables through dg.EnvVar, with the same defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from extract.cbr_replay import CbrReplayServer
from extract.settings import DEFAULT_CBR_URL, DEFAULT_CURRENCIES, load_settings
from orchestration.defs.resources import resources
from orchestration.runner import resource_config
from tests.conftest import PROJECT_ROOT

VARIABLES = ("TPW_CBR_URL", "TPW_CURRENCIES", "TPW_WAREHOUSE", "TPW_ARTICLES_DIR")


def configured(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, dg.ConfigurableResource]:
    for name in (*VARIABLES, "TPW_BUILD_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return resources().resources  # type: ignore[return-value]


def test_the_ui_resources_name_the_variables_that_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = configured(monkeypatch, TPW_CBR_URL="http://127.0.0.1:8765", TPW_CURRENCIES="USD")
    cbr = found["cbr"]
    assert cbr.base_url == dg.EnvVar("TPW_CBR_URL")
    assert cbr.currencies == dg.EnvVar("TPW_CURRENCIES")
    # Unset: the same defaults as extract.settings, shown as values, never empty.
    assert found["warehouse"].path == "data/warehouse.duckdb"
    assert found["articles"].folder_path == "data/articles"


def test_unset_variables_show_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    cbr = configured(monkeypatch)["cbr"]
    assert (cbr.base_url, cbr.currencies) == (DEFAULT_CBR_URL, DEFAULT_CURRENCIES)
    assert DEFAULT_CBR_URL == "https://www.cbr.ru"  # one default URL, in extract.cbr


def test_the_resources_and_tpw_agree_on_every_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {
        "TPW_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "TPW_ARTICLES_DIR": str(tmp_path / "inbox"),
        "TPW_CBR_URL": "http://127.0.0.1:9",
        "TPW_CURRENCIES": "usd,cny",
    }
    found = configured(monkeypatch, **env)
    settings = load_settings(None)
    given = resource_config(settings)
    with dg.build_resources(
        {name: found[name] for name in ("cbr", "warehouse", "articles")}
    ) as built:
        assert built.warehouse.published() == settings.warehouse
        assert built.warehouse.build() == settings.build_warehouse
        assert built.articles.folder() == settings.articles_dir
        assert built.cbr.client().base_url == settings.cbr_url
        assert built.cbr.currency_codes() == settings.currencies == ("USD", "CNY")
    assert given["warehouse"]["config"]["build_path"] == str(settings.build_warehouse)
    assert given["cbr"]["config"]["currencies"] == "USD,CNY"


def test_a_run_of_tpw_shows_its_settings_in_the_ui(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    (tmp_path / "inbox").mkdir()
    env.update(
        TPW_WAREHOUSE=str(tmp_path / "warehouse.duckdb"),
        TPW_ARTICLES_DIR=str(tmp_path / "inbox"),
        TPW_CURRENCIES="USD",
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    with CbrReplayServer() as bank:
        env["TPW_CBR_URL"] = bank.url
        result = subprocess.run(
            [str(Path(sys.executable).parent / "tpw"), "run", "--quiet", "--start", "2020-06-01"],
            env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    instance = dg.DagsterInstance.get()
    try:
        (run,) = instance.get_runs(limit=1)
        config = run.run_config["resources"]
    finally:
        instance.dispose()
    assert config["cbr"]["config"]["base_url"] == env["TPW_CBR_URL"]
    assert config["cbr"]["config"]["currencies"] == "USD"
    assert config["warehouse"]["config"]["path"] == str(tmp_path / "warehouse.duckdb")
    assert config["articles"]["config"]["folder_path"] == str(tmp_path / "inbox")
