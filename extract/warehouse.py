"""DuckDB helpers: the one writer, the raw tables, and publishing the analysts' file.

The pipeline writes only to a private *build* file. Every writer (a raw load, dbt, publishing)
holds a cross-process file lock beside it, so two runs never write at once. Publishing copies
the build file into a temporary file next to the analysts' warehouse and renames it over the old
one: an analyst's open session keeps the previous snapshot, new sessions see the new one, and
nobody ever opens a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

if TYPE_CHECKING:
    from extract.lake import Lake

try:
    import fcntl
except ImportError:  # Windows: filelock's own lock
    fcntl = None  # type: ignore[assignment]

RAW_SCHEMA_SQL = """
create schema if not exists raw;
create table if not exists raw.cbr_rates (
    rate_date date not null,
    currency_code varchar not null,
    currency_id varchar not null,
    record_date date not null,
    nominal integer not null,
    value decimal(18, 4) not null,
    vunit_rate decimal(28, 12) not null,
    source_url varchar not null,
    loaded_at timestamp not null,
    primary key (rate_date, currency_code)
);
create table if not exists raw.cbr_metal_prices (
    price_date date not null,
    metal_code integer not null,
    metal varchar not null,
    record_date date not null,
    buy decimal(18, 2) not null,
    sell decimal(18, 2) not null,
    source_url varchar not null,
    loaded_at timestamp not null,
    primary key (price_date, metal)
);
"""

ARTICLES_SCHEMA_SQL = """
create schema if not exists raw;
create table if not exists raw.articles (
    article_id varchar primary key,      -- sha256 of the normalized text, first 16 hex digits
    source varchar not null,             -- file name, JSONL id or URL it was first read from
    url varchar,
    title varchar,
    published_date date,                 -- publication date, when the article has one
    view_date date,                      -- a page header's "today" date (ticker line), if any
    content_sha256 varchar not null,     -- sha256 of the normalized text (all 64 hex digits)
    text varchar not null,
    char_count integer not null,
    language varchar not null,           -- ru | en
    loaded_at timestamp not null,
    header varchar                       -- the page header's ticker line, if any
);
create table if not exists raw.article_sources (
    source varchar primary key,          -- every file name / JSONL id / URL seen
    article_id varchar not null,         -- several sources may share one article (same text)
    source_sha256 varchar not null,      -- sha256 of the source's bytes, to notice changes
    loaded_at timestamp not null
);
create table if not exists raw.article_facts (
    article_id varchar not null,
    fact_index integer not null,         -- order of the fact in the article
    metric varchar not null,
    value double,
    unit varchar,
    qualifier varchar not null,
    period_start date,
    period_end date,
    target_year integer,                 -- a stated target ("к 2027 году"), stocks only
    subject varchar,
    region varchar,
    region_code varchar,
    product varchar,
    evidence varchar not null,           -- the sentence
    char_start integer not null,         -- span of the quantity in the article text
    char_end integer not null,
    rule varchar not null,               -- which extraction rule produced it
    extractor_version varchar not null,
    loaded_at timestamp not null,
    primary key (article_id, fact_index)
);
create table if not exists raw.ticker_quotes (
    article_id varchar not null,
    quote_date date not null,            -- the page header's date (its view date)
    instrument varchar not null,         -- USD, EUR, ... or gold, silver, platinum, palladium
    value decimal(18, 4) not null,       -- as printed in the header
    source_text varchar not null,
    loaded_at timestamp not null,
    primary key (article_id, instrument)
);
create table if not exists raw.article_extractions (
    article_id varchar primary key,      -- which articles were extracted, by which version
    extractor_version varchar not null,
    fact_count integer not null,
    extracted_at timestamp not null
);
create table if not exists raw.quarantine (
    source varchar not null,             -- file name (with JSONL line), or URL
    reason varchar not null,             -- empty | binary | too_large | encoding | language |
                                         -- bad_json | missing_text | bad_date | fetch_failed |
                                         -- not_allowed | unsupported | not_regular_file | too_slow
    detail varchar not null,             -- a human sentence saying what was wrong
    content_sha256 varchar,
    seen_at timestamp not null,
    primary key (source, reason)
);
"""

DEFAULT_LOCK_TIMEOUT = 600.0
LOCK_POLL_SECONDS = 0.05


class WarehouseBusy(RuntimeError):
    """Another process holds the writer lock for longer than we were willing to wait."""


def lock_path(build_path: Path) -> Path:
    return build_path.with_name(build_path.name + ".lock")


@contextlib.contextmanager
def writer_lock(build_path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the cross-process lock that makes this process the warehouse's only writer.

    The lock file is never removed: a process waiting for it would then lock the removed file
    while a newcomer locked a new one, and both would write.
    """
    build_path.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(build_path)
    if fcntl is None:
        with _file_lock(build_path, timeout):
            yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _busy(build_path, timeout) from None
                time.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _file_lock(build_path: Path, timeout: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(lock_path(build_path)), timeout=timeout, is_singleton=False)
    try:
        lock.acquire()
    except Timeout:
        raise _busy(build_path, timeout) from None
    try:
        yield
    finally:
        lock.release()


def _busy(build_path: Path, timeout: float) -> WarehouseBusy:
    return WarehouseBusy(
        f"another run is writing {build_path} (lock {lock_path(build_path)} held for "
        f"more than {timeout:.0f} s); try again when it has finished"
    )


@contextlib.contextmanager
def connect_writer(
    build_path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection to the build file, under the writer lock."""
    with writer_lock(build_path, timeout):
        conn = duckdb.connect(str(build_path))
        try:
            conn.execute(RAW_SCHEMA_SQL)
            conn.execute(ARTICLES_SCHEMA_SQL)
            yield conn
        finally:
            conn.close()


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in one transaction: committed at its end, rolled back if it raises."""
    conn.execute("begin transaction")
    try:
        yield
        conn.execute("commit")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            conn.execute("rollback")
        raise


def replace_days(
    conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, day_column: str
) -> int:
    """Replace the rows of every day present in ``frame``, in one transaction.

    Days absent from ``frame`` are left untouched, so a fetch that found nothing never deletes
    rows loaded before. Returns the number of rows inserted.
    """
    if frame.is_empty():
        return 0
    loaded = frame.with_columns(
        pl.lit(datetime.now(UTC).replace(tzinfo=None), pl.Datetime("us")).alias("loaded_at")
    )
    days = loaded.select(pl.col(day_column).unique()).to_arrow()
    incoming = loaded.to_arrow()
    conn.register("incoming_days", days)
    conn.register("incoming_rows", incoming)
    try:
        with transaction(conn):
            conn.execute(
                f"delete from {table} where {day_column} in "
                f"(select {day_column} from incoming_days)"
            )
            conn.execute(f"insert into {table} by name select * from incoming_rows")
    finally:
        conn.unregister("incoming_days")
        conn.unregister("incoming_rows")
    return loaded.height


# What analysts query: the loaded records and the marts built from them (docs/warehouse.md). The
# build file's other schemas are the pipeline's own: dbt's staging and intermediate views and the
# rows its tests keep (dbt_test__audit).
PUBLISHED_SCHEMAS = ("raw", "marts")


def publish(build_path: Path, published_path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Path:
    """Copy the build file's ``PUBLISHED_SCHEMAS`` to ``published_path`` atomically (temporary
    file, then rename)."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
    with writer_lock(build_path, timeout):
        # Leftovers of a publish that was killed half way; only a writer makes them.
        for stale in published_path.parent.glob(f".{published_path.name}.*.tmp*"):
            stale.unlink(missing_ok=True)
        conn = duckdb.connect(":memory:")
        try:
            conn.execute(f"attach '{_sql_path(build_path)}' as build_db (read_only)")
            conn.execute(f"attach '{_sql_path(tmp)}' as publish_db")
            conn.execute("copy from database build_db to publish_db")
            others = conn.execute(
                "select schema_name from duckdb_schemas() where database_name = 'publish_db' "
                "and not internal and schema_name <> 'main' and list_position(?, schema_name) "
                "is null",
                [list(PUBLISHED_SCHEMAS)],
            ).fetchall()
            for (schema,) in others:
                conn.execute(f'drop schema publish_db."{schema}" cascade')
            conn.execute("detach publish_db")
            conn.execute("detach build_db")
        finally:
            conn.close()
    try:
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, published_path)
        _fsync_dir(published_path.parent)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return published_path


def connect_reader(
    path: Path, attempts: int = 5, lake: Lake | None = None
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published warehouse file, or to the lake in team mode."""
    if lake is not None:
        from extract.lake import connect

        return connect(lake, read_only=True)
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run `tpw demo` or `tpw run` first")
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def row_counts(path: Path, lake: Lake | None = None) -> dict[str, int]:
    """Rows in every raw and marts table of a warehouse file (or the lake), by
    ``schema.table``."""
    conn = connect_reader(path, lake=lake)
    try:
        names = conn.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('raw', 'marts') and database_name = current_database() "
            "order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{name}": conn.execute(
                f'select count(*) from "{schema}"."{name}"'
            ).fetchone()[0]
            for schema, name in names
        }
    finally:
        conn.close()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
