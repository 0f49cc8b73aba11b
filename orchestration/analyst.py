"""The analysts' side of the warehouse: a locked-down read-only connection and one query.

What an analyst's connection may do: read the warehouse file it opens and nothing else. Without
these settings a "read-only" connection still COPYs over any file (the published warehouse
itself), ATTACHes others read-write (the pipeline's build file), reads any file (read_text,
read_csv) and INSTALLs extensions from the network. The configuration is locked so no query can
undo it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extract.lake import Lake

ANALYST_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


class QueryError(Exception):
    """A query DuckDB refused, with DuckDB's whole message."""


def connect_analyst(path: Path, attempts: int = 5, lake: Lake | None = None) -> Any:
    """A read-only connection to the published warehouse that can touch no other file, load no
    extension and reach no network.

    In team mode the lake is attached read-only first (its catalog connection open, its
    extensions loaded); then the same settings apply, with the lake's data folder as the one
    place files may still be read from."""
    import duckdb

    if lake is not None:
        from extract.lake import connect

        conn = connect(lake, read_only=True)
        try:
            folder = lake.data_url.replace("'", "''")
            conn.execute(f"set allowed_directories = ['{folder}']")
            for name, value in ANALYST_CONFIG.items():
                conn.execute(f"set {name} = {str(value).lower()}")
        except BaseException:
            conn.close()
            raise
        return conn
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run `tpw demo` or `tpw run` first")
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=True, config=dict(ANALYST_CONFIG))
        except duckdb.IOException:  # the publisher is swapping the file in
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def run_query(
    warehouse: Path, query: str, lake: Lake | None = None
) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one query on the published warehouse (or the lake)."""
    import duckdb

    if not query.strip():
        raise QueryError('no query given: tpw sql "select * from marts.fx_rates limit 5"')
    conn = connect_analyst(warehouse, lake=lake)
    try:
        cursor = conn.execute(query)
        if cursor is None or cursor.description is None:  # a comment, or no statement
            return [], []
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()
    except duckdb.Error as exc:
        # DuckDB's own message, whole: its hints ("Did you mean ...", "Candidate bindings") and
        # the pointer into the query ("LINE 1: ...", "^") included.
        raise QueryError(str(exc).strip() or type(exc).__name__) from None
    finally:
        conn.close()
