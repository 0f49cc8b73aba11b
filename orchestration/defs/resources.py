"""Resources: the Bank of Russia client, the warehouse files and dbt, configured from the
environment (TPW_CBR_URL, TPW_CURRENCIES, TPW_WAREHOUSE, TPW_BUILD_WAREHOUSE) when not set here."""

import sys
from pathlib import Path

import dagster as dg

from extract.cbr import CbrClient
from extract.settings import default_build_path, load_settings, parse_currencies
from orchestration.dbt_cli import WarehouseDbtCliResource
from orchestration.defs.project import dbt_project


class CbrResource(dg.ConfigurableResource):
    """The Bank of Russia's XML service. Empty fields fall back to the environment."""

    base_url: str = ""
    currencies: str = ""
    min_interval_seconds: float = 0.5
    max_retries: int = 4
    backoff_factor: float = 0.5
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 30.0

    def client(self) -> CbrClient:
        settings = load_settings()
        return CbrClient(
            self.base_url or settings.cbr_url,
            min_interval=self.min_interval_seconds,
            max_retries=self.max_retries,
            backoff_factor=self.backoff_factor,
            timeout=(self.connect_timeout_seconds, self.read_timeout_seconds),
        )

    def currency_codes(self) -> tuple[str, ...]:
        return parse_currencies(self.currencies) if self.currencies else load_settings().currencies


class WarehouseResource(dg.ConfigurableResource):
    """The private build file the pipeline writes and the analysts' file it publishes."""

    path: str = ""
    build_path: str = ""

    def published(self) -> Path:
        return Path(self.path).resolve() if self.path else load_settings().warehouse

    def build(self) -> Path:
        if self.build_path:
            return Path(self.build_path).resolve()
        if self.path:
            return default_build_path(self.published())
        return load_settings().build_warehouse


class ArticlesResource(dg.ConfigurableResource):
    """The article inbox: a folder of .txt/.html/.jsonl files and an optional sources.txt."""

    folder_path: str = ""
    allow_private_urls: bool = False  # let sources.txt name loopback or private-network hosts

    def folder(self) -> Path:
        return (
            Path(self.folder_path).resolve() if self.folder_path else load_settings().articles_dir
        )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "cbr": CbrResource(),
            "warehouse": WarehouseResource(),
            "articles": ArticlesResource(),
            "dbt": WarehouseDbtCliResource(
                project_dir=dbt_project,
                # The dbt installed beside this Python, whether or not the venv is on PATH.
                dbt_executable=str(Path(sys.executable).parent / "dbt"),
            ),
        }
    )
