"""A dbt-duckdb plugin for the profile's ``lake`` target (dbt_project/profiles.yml).

It loads the lake's extensions and defines the lake as a DuckDB secret, ``tpw_lake``, on each of
dbt's connections, from ``TPW_LAKE_CATALOG`` and ``TPW_LAKE_DATA_PATH`` as they are when dbt
connects; the profile then attaches the constant ``ducklake:tpw_lake``.

Why not ``env_var()`` in the profile: dbt re-parses the whole project whenever a variable the
profile reads changes, so every new lake (each test, each benchmark) would pay a full parse.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from extract.lake import LakeError, define_secret, install_extensions, lake_from_env


class Plugin(BasePlugin):
    """Runs on every connection dbt-duckdb opens, before the profile's ``attach``."""

    def configure_connection(self, conn: Any) -> None:
        lake = lake_from_env()
        if lake is None:
            raise LakeError(
                "the dbt target `lake` needs TPW_LAKE_CATALOG and TPW_LAKE_DATA_PATH "
                "(docs/scaling.md)"
            )
        install_extensions(conn, remote=lake.is_remote)
        define_secret(conn, lake)
