"""Resources: the Bank of Russia client, the warehouse files, the article inbox and dbt.

Their settings are the product's ``TPW_*`` variables (docs/operations.md), passed in with
``dg.EnvVar`` where one is set (so the UI's resource page names the variable) and the defaults of
``extract.settings`` where not. ``tpw`` reads the settings once and passes them as the run's
resource config, so every run shows in the UI exactly what it ran with.
"""

import contextlib
import os
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from extract import lake as lakes
from extract import warehouse as files
from extract.cbr import CbrClient
from extract.settings import (
    DEFAULT_ARTICLES_DIR,
    DEFAULT_CBR_URL,
    DEFAULT_CURRENCIES,
    DEFAULT_WAREHOUSE,
    default_build_path,
    default_reports_path,
    parse_currencies,
)
from orchestration.dbt_runner import InProcessDbtResource
from orchestration.defs.project import dbt_project


class CbrResource(dg.ConfigurableResource):
    """The Bank of Russia's XML service (``TPW_CBR_URL``) and the currencies to load
    (``TPW_CURRENCIES``)."""

    base_url: str = DEFAULT_CBR_URL
    currencies: str = DEFAULT_CURRENCIES
    min_interval_seconds: float = 0.5
    max_retries: int = 4
    backoff_factor: float = 0.5
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 30.0

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        parse_currencies(self.currencies)  # a misspelt code stops the run before any asset

    def client(self) -> CbrClient:
        return CbrClient(
            self.base_url,
            min_interval=self.min_interval_seconds,
            max_retries=self.max_retries,
            backoff_factor=self.backoff_factor,
            timeout=(self.connect_timeout_seconds, self.read_timeout_seconds),
        )

    def currency_codes(self) -> tuple[str, ...]:
        return parse_currencies(self.currencies)


class WarehouseResource(dg.ConfigurableResource):
    """The analysts' file (``TPW_WAREHOUSE``), the private build file the pipeline writes
    before publishing it (``TPW_BUILD_WAREHOUSE``; empty: a ``.build`` folder beside it) and
    the folder of the charts drawn from it (``TPW_REPORTS_DIR``).

    In team mode (``TPW_LAKE_CATALOG`` and ``TPW_LAKE_DATA_PATH`` set) the pipeline reads and
    writes a DuckLake instead of the two files (extract/lake.py, docs/scaling.md)."""

    path: str = DEFAULT_WAREHOUSE
    build_path: str = ""
    reports_path: str = ""  # TPW_REPORTS_DIR; empty: reports/ beside the published file
    lake_catalog: str = ""  # TPW_LAKE_CATALOG; empty: the file
    lake_data_path: str = ""  # TPW_LAKE_DATA_PATH

    def lake(self) -> lakes.Lake | None:
        """The team's lake, or None for the file."""
        return lakes.lake_from_env(
            {"TPW_LAKE_CATALOG": self.lake_catalog, "TPW_LAKE_DATA_PATH": self.lake_data_path}
        )

    def loader(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection for the Bank's loads: the build file under its writer lock, or the lake
        without one (each load is one transaction, retried on a conflict)."""
        lake = self.lake()
        return (
            lakes.connect_writer(lake, locked=False) if lake else files.connect_writer(self.build())
        )

    def writer(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection for the article writes, under the writer lock of the file or the lake."""
        lake = self.lake()
        return lakes.connect_writer(lake) if lake else files.connect_writer(self.build())

    def writer_lock(self) -> contextlib.AbstractContextManager[None]:
        """The lock dbt builds under: the build file's, or the lake's advisory lock."""
        lake = self.lake()
        return lakes.writer_lock(lake) if lake else files.writer_lock(self.build())

    def published(self) -> Path:
        return Path(self.path).expanduser().resolve()

    def build(self) -> Path:
        if self.build_path:
            return Path(self.build_path).expanduser().resolve()
        return default_build_path(self.published())

    def reports(self) -> Path:
        if self.reports_path:
            return Path(self.reports_path).expanduser().resolve()
        return default_reports_path(self.published())


class ArticlesResource(dg.ConfigurableResource):
    """The article inbox (``TPW_ARTICLES_DIR``): .txt/.html/.jsonl files and an optional
    sources.txt of URLs."""

    folder_path: str = DEFAULT_ARTICLES_DIR
    allow_private_urls: bool = False  # let sources.txt name loopback or private-network hosts

    def folder(self) -> Path:
        return Path(self.folder_path).expanduser().resolve()


def _setting(name: str, default: str) -> Any:
    """``dg.EnvVar(name)`` when the variable is set (read when a run starts), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "cbr": CbrResource(
                base_url=_setting("TPW_CBR_URL", DEFAULT_CBR_URL),
                currencies=_setting("TPW_CURRENCIES", DEFAULT_CURRENCIES),
            ),
            "warehouse": WarehouseResource(
                path=_setting("TPW_WAREHOUSE", DEFAULT_WAREHOUSE),
                build_path=_setting("TPW_BUILD_WAREHOUSE", ""),
                reports_path=_setting("TPW_REPORTS_DIR", ""),
                lake_catalog=_setting("TPW_LAKE_CATALOG", ""),
                lake_data_path=_setting("TPW_LAKE_DATA_PATH", ""),
            ),
            "articles": ArticlesResource(
                folder_path=_setting("TPW_ARTICLES_DIR", DEFAULT_ARTICLES_DIR)
            ),
            "dbt": InProcessDbtResource(project_dir=str(dbt_project.project_dir)),
        }
    )
