"""The product's settings: environment variables (and a ``.env`` file) with sane defaults.

Contract names (see README): ``TPW_WAREHOUSE``, ``TPW_CBR_URL``, ``TPW_ARTICLES_DIR``,
``TPW_CURRENCIES``. ``TPW_BUILD_WAREHOUSE`` is optional: the private file the pipeline writes
before publishing ``TPW_WAREHOUSE``; by default it sits in a ``.build`` folder beside it.
Team mode: ``TPW_LAKE_CATALOG`` and ``TPW_LAKE_DATA_PATH`` put the warehouse in a DuckLake
instead of the files (extract/lake.py, docs/scaling.md).

One path: `tpw` calls :func:`load_settings` once per command and hands the result to the
Dagster run as its resources' config; in the Dagster UI the resources read the same variables
through ``dg.EnvVar`` (orchestration/defs/resources.py), with the defaults below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

from extract.cbr import DEFAULT_BASE_URL
from extract.lake import Lake, lake_from_env

DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_CBR_URL = DEFAULT_BASE_URL
DEFAULT_ARTICLES_DIR = "data/articles"
DEFAULT_CURRENCIES = "USD,EUR,CNY"


@dataclass(frozen=True)
class Settings:
    """Resolved settings; paths are absolute."""

    warehouse: Path
    build_warehouse: Path
    cbr_url: str
    articles_dir: Path
    currencies: tuple[str, ...]
    reports_dir: Path | None = None  # None: ``reports/`` beside the warehouse
    lake: Lake | None = None  # team mode: the DuckLake the pipeline reads and writes

    @property
    def reports(self) -> Path:
        """Where the charts and report.html go (``TPW_REPORTS_DIR``)."""
        return self.reports_dir or default_reports_path(self.warehouse)


def parse_currencies(text: str) -> tuple[str, ...]:
    """``"usd, EUR,,cny"`` -> ``("USD", "EUR", "CNY")``; order kept, duplicates dropped."""
    codes: list[str] = []
    for part in text.split(","):
        code = part.strip().upper()
        if not code:
            continue
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"TPW_CURRENCIES: {part.strip()!r} is not a three-letter ISO code")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValueError("TPW_CURRENCIES names no currency")
    return tuple(codes)


def default_build_path(warehouse: Path) -> Path:
    """Where the pipeline builds before publishing ``warehouse``."""
    return warehouse.parent / ".build" / warehouse.name


def default_reports_path(warehouse: Path) -> Path:
    """Where the charts go when ``TPW_REPORTS_DIR`` is not set: beside ``warehouse``."""
    return warehouse.parent / "reports"


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read the environment (a ``.env`` file fills only variables that are not set)."""
    if env_file is not None and Path(env_file).is_file():
        load_dotenv(env_file, override=False)
    warehouse = Path(os.environ.get("TPW_WAREHOUSE") or DEFAULT_WAREHOUSE).expanduser().resolve()
    build = os.environ.get("TPW_BUILD_WAREHOUSE")
    reports = os.environ.get("TPW_REPORTS_DIR")
    build_path = Path(build).expanduser().resolve() if build else default_build_path(warehouse)
    if build_path == warehouse:
        raise ValueError("TPW_BUILD_WAREHOUSE must differ from TPW_WAREHOUSE")
    return Settings(
        warehouse=warehouse,
        build_warehouse=build_path,
        cbr_url=(os.environ.get("TPW_CBR_URL") or DEFAULT_CBR_URL).rstrip("/"),
        articles_dir=Path(os.environ.get("TPW_ARTICLES_DIR") or DEFAULT_ARTICLES_DIR).resolve(),
        currencies=parse_currencies(os.environ.get("TPW_CURRENCIES") or DEFAULT_CURRENCIES),
        reports_dir=Path(reports).expanduser().resolve() if reports else None,
        lake=lake_from_env(),
    )
