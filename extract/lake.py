"""Team mode: the warehouse as a DuckLake, its catalog in PostgreSQL and its data files in a
folder or object storage (docs/scaling.md).

DuckLake gives every writer ACID transactions across processes and machines, and every reader a
consistent snapshot. What it does not do for us:

- retry a *logical* conflict: two transactions that delete and insert different days of one table
  conflict at table level, and the loser must roll back and run again (:func:`run_retrying`);
- serialize ``dbt build``: two builds of the same models at once fail, so dbt and the article
  writes hold one writer lock, a PostgreSQL advisory lock on the catalog's database
  (:func:`writer_lock`), which a killed process releases with its connection.

The DuckLake and PostgreSQL extensions come from PyPI wheels pinned to the exact DuckDB version
(``duckdb-extension-ducklake``, ``duckdb-extension-postgres``) and are installed from those files
into a folder of the environment, so nothing is downloaded. Where a wheel is missing DuckDB's
ordinary ``INSTALL`` is used (it needs the internet).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

LAKE_ALIAS = "lake"
# The DuckDB extensions the lake needs: (name DuckDB loads it by, PyPI wheel's module).
EXTENSIONS = (
    ("ducklake", "duckdb_extension_ducklake"),
    ("postgres_scanner", "duckdb_extension_postgres"),
)
S3_EXTENSION = ("httpfs", "duckdb_extension_httpfs")  # only for s3:// data paths
DEFAULT_LOCK_TIMEOUT = 600.0
LOCK_POLL_SECONDS = 0.1
# pg_advisory_lock takes a 64-bit key; ours is derived from a fixed name
WRITER_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"tpw lake writer").digest()[:8], "big", signed=True
)

T = TypeVar("T")


class LakeError(RuntimeError):
    """The lake's settings are wrong or it cannot be reached."""


class LakeBusy(LakeError):
    """Another writer held the lake's writer lock for longer than we were willing to wait."""


@dataclass(frozen=True)
class Lake:
    """Where the lake is: ``catalog`` a DuckLake catalog connection
    (``postgres:dbname=lake host=db user=tpw``), ``data_path`` its files' folder or ``s3://``
    prefix."""

    catalog: str
    data_path: str

    def __post_init__(self) -> None:
        if not self.catalog.startswith("postgres:"):
            raise LakeError(
                f"TPW_LAKE_CATALOG must be a PostgreSQL catalog, 'postgres:dbname=... host=... "
                f"user=...', not {self.catalog!r}"
            )
        if not self.data_path:
            raise LakeError(
                "TPW_LAKE_DATA_PATH is empty: name the folder (or s3:// prefix) for the lake's "
                "files"
            )

    @property
    def postgres_dsn(self) -> str:
        """The catalog's libpq connection string (``dbname=lake host=... user=...``)."""
        return self.catalog.removeprefix("postgres:")

    @property
    def data_url(self) -> str:
        """The data path as DuckLake wants it: absolute, ending in a slash."""
        if "://" in self.data_path:
            return self.data_path.rstrip("/") + "/"
        return str(Path(self.data_path).expanduser().resolve()) + "/"

    @property
    def is_remote(self) -> bool:
        return "://" in self.data_path


def lake_from_env(environ: Mapping[str, str] | None = None) -> Lake | None:
    """The lake named by ``TPW_LAKE_CATALOG`` and ``TPW_LAKE_DATA_PATH``; None when both are
    unset."""
    environ = os.environ if environ is None else environ
    catalog = (environ.get("TPW_LAKE_CATALOG") or "").strip()
    data_path = (environ.get("TPW_LAKE_DATA_PATH") or "").strip()
    if not catalog and not data_path:
        return None
    if not catalog:
        raise LakeError(
            "TPW_LAKE_DATA_PATH is set but TPW_LAKE_CATALOG is not: set both, or neither"
        )
    return Lake(catalog, data_path)


def extension_directory() -> Path:
    """The folder DuckDB installs the lake's extensions into: inside this environment, not
    ``~/.duckdb``."""
    return Path(sys.prefix) / "share" / "tpw" / "duckdb_extensions"


def _bundled_file(module_name: str) -> Path | None:
    """The ``.duckdb_extension`` file of a PyPI extension wheel, for this DuckDB version."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    folder = Path(module.__file__ or "").parent / "extensions" / f"v{duckdb.__version__}"
    files = sorted(folder.glob("*.duckdb_extension"))
    return files[0] if files else None


def install_extensions(conn: duckdb.DuckDBPyConnection, *, remote: bool = False) -> None:
    """Install (once) and load the lake's extensions, from the bundled wheels where present."""
    wanted = list(EXTENSIONS) + ([S3_EXTENSION] if remote else [])
    installed = {
        name
        for name, done in conn.execute(
            "select extension_name, installed from duckdb_extensions()"
        ).fetchall()
        if done
    }
    for name, module_name in wanted:
        if name not in installed:
            bundled = _bundled_file(module_name)
            try:
                if bundled is not None:
                    conn.execute(f"install '{_sql_text(str(bundled))}'")
                else:
                    conn.execute(f"install {name.removesuffix('_scanner')}")
            except duckdb.Error as exc:
                raise LakeError(
                    f"cannot install DuckDB's {name} extension ({exc}); install the "
                    f"{module_name.replace('_', '-')}=={duckdb.__version__} wheel, or run "
                    f"`INSTALL {name.removesuffix('_scanner')}` once with internet access"
                ) from None
        conn.execute(f"load {name}")


SECRET_NAME = "tpw_lake"


def define_secret(conn: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """Name the lake in this session: ``ATTACH 'ducklake:tpw_lake'`` then opens it (how the dbt
    profile's ``lake`` target attaches it, see orchestration/dbt_lake.py)."""
    conn.execute(
        f"create or replace temporary secret {SECRET_NAME} (type ducklake, "
        f"metadata_path '{_sql_text(lake.catalog)}', data_path '{_sql_text(lake.data_url)}')"
    )


def connect(
    lake: Lake, *, read_only: bool = False, config: dict[str, object] | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB session with the lake attached as ``lake`` and in use (``USE lake``)."""
    folder = extension_directory()
    folder.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(
        ":memory:",
        config={
            "extension_directory": str(folder),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            **(config or {}),
        },
    )
    try:
        install_extensions(conn, remote=lake.is_remote)
        options = f"data_path '{_sql_text(lake.data_url)}'"
        if read_only:
            options += ", read_only"
        conn.execute(
            f"attach '{_sql_text('ducklake:' + lake.catalog)}' as {LAKE_ALIAS} ({options})"
        )
        conn.execute(f"use {LAKE_ALIAS}")
    except duckdb.Error as exc:
        conn.close()
        raise LakeError(f"cannot open the lake {lake.catalog!r}: {_first_line(exc)}") from None
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def advisory_lock(
    dsn: str,
    key: int,
    *,
    timeout: float,
    busy: Callable[[], Exception],
    unreachable: Callable[[str], Exception],
    name: str,
) -> Iterator[None]:
    """Hold PostgreSQL's session-level advisory lock ``key`` on the database of ``dsn`` (a libpq
    connection string or URL), on a connection of its own; a killed holder's lock goes with its
    connection. Tries every 0.1 s for ``timeout`` seconds, then raises ``busy()``; a server it
    cannot reach raises ``unreachable(first line of the error)``."""
    import psycopg2

    try:
        conn = psycopg2.connect(dsn, application_name=name, connect_timeout=30)
    except psycopg2.Error as exc:
        raise unreachable(_first_line(exc)) from None
    try:
        conn.autocommit = True
        deadline = time.monotonic() + timeout
        with conn.cursor() as cursor:
            while True:
                cursor.execute("select pg_try_advisory_lock(%s)", (key,))
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    raise busy()
                time.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            with contextlib.suppress(psycopg2.Error), conn.cursor() as cursor:
                cursor.execute("select pg_advisory_unlock(%s)", (key,))
    finally:
        conn.close()


def writer_lock(
    lake: Lake, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> contextlib.AbstractContextManager[None]:
    """Be the lake's only dbt/article writer: an advisory lock on the catalog's database. Waits
    up to ``timeout`` seconds for another holder."""
    return advisory_lock(
        lake.postgres_dsn,
        WRITER_LOCK_KEY,
        timeout=timeout,
        busy=lambda: LakeBusy(
            f"another run is writing the lake {lake.catalog!r} (its writer lock was held for "
            f"more than {timeout:.0f} s); try again when it has finished"
        ),
        unreachable=lambda error: LakeError(f"cannot reach the lake's catalog: {error}"),
        name="tpw writer lock",
    )


def is_conflict(exc: BaseException) -> bool:
    """A transaction DuckLake refused because another one changed the same table first."""
    return isinstance(exc, duckdb.TransactionException) or (
        isinstance(exc, duckdb.Error) and "conflict" in str(exc).lower()
    )


@dataclass
class Retries:
    """How many times a transaction was rolled back for a conflict and run again."""

    count: int = 0


def run_retrying(
    work: Callable[[], T],
    *,
    retries: Retries | None = None,
    attempts: int = 12,
    first_wait: float = 0.05,
    on_conflict: Callable[[BaseException, int], None] | None = None,
) -> T:
    """Run ``work`` (one whole transaction, rolled back by itself on error) until it commits
    without a conflict: up to ``attempts`` times, waiting a random, growing while between."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == attempts:
                raise
            if retries is not None:
                retries.count += 1
            if on_conflict is not None:
                on_conflict(exc, attempt)
            time.sleep(first_wait * (1.6**attempt) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def without_keys(ddl: str) -> str:
    """The raw tables' DDL without PRIMARY KEY constraints, which DuckLake does not have (the
    writers keep the keys unique: they replace whole days and delete before they insert)."""
    ddl = re.sub(r",\s*primary key \([^)]*\)", "", ddl)
    return ddl.replace(" primary key,", ",")


def snapshot_id(conn: duckdb.DuckDBPyConnection) -> int:
    """The lake's newest snapshot: what a reader that starts now sees."""
    return int(conn.execute(f"select max(snapshot_id) from {LAKE_ALIAS}.snapshots()").fetchone()[0])


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextlib.contextmanager
def connect_writer(
    lake: Lake, *, locked: bool = True, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write session on the lake with the raw tables in place; with ``locked``, under
    the writer lock (the article writes). The Bank's loads take no lock: they replace whole days
    in one transaction each and retry on a conflict (:func:`run_retrying`)."""
    from extract.warehouse import ARTICLES_SCHEMA_SQL, RAW_SCHEMA_SQL, transaction

    def create_tables() -> None:  # two first writers at once may conflict here too
        with transaction(conn):
            conn.execute(without_keys(RAW_SCHEMA_SQL + ARTICLES_SCHEMA_SQL))

    with writer_lock(lake, timeout) if locked else contextlib.nullcontext():
        conn = connect(lake)
        try:
            run_retrying(create_tables)
            yield conn
        finally:
            conn.close()
