"""The project's dbt resource: dagster-dbt's ``DbtCliResource`` without the work it does in
Dagster's own process before each invocation.

dagster-dbt 0.29 runs ``dbt --version`` (a second dbt start-up) and builds a dbt adapter in-process
before every ``dbt.cli(...)`` (together about 6 s a run, BENCHMARKS.md). The adapter serves only
``fetch_row_counts`` and ``fetch_column_metadata``, which this project does not use; dbt itself
runs as a subprocess exactly as before.

dagster-dbt has no public switch for either, so two private members are overridden:
``_cli_version`` (a ``cached_property``) and ``_initialize_dbt_core_adapter(args)``.
``tests/test_private_hooks.py`` fails the day dagster-dbt renames them, changes their shape or
stops calling them from ``cli()``, instead of the 6 s coming back unnoticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging.version import Version

# The private members of DbtCliResource this module overrides (checked by the tests).
PRIVATE_HOOKS = ("_cli_version", "_initialize_dbt_core_adapter")


class WarehouseDbtCliResource(DbtCliResource):
    """``DbtCliResource`` that reads dbt's version from the installed package and builds no
    in-process adapter."""

    @cached_property
    def _cli_version(self) -> Version:
        # The dbt executable is the one installed beside this Python (resources.py).
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None
