"""The throwaway PostgreSQL server of the team-mode tests: ``bench/postgres.py``, which the
benchmark of team mode (``bench/lake.py``) starts too."""

from bench.postgres import INSTALL_HINT, PostgresServer, find_bin_dir, start_server

__all__ = ["INSTALL_HINT", "PostgresServer", "find_bin_dir", "start_server"]
