"""Dagster's instance storage in PostgreSQL (team mode: ``TPW_DAGSTER_PG_URL``).

With ``TPW_DAGSTER_PG_URL`` set, `tpw` and `make ui` put ``orchestration/dagster_postgres.yaml``
in the Dagster home instead of ``orchestration/dagster.yaml``: runs, event logs, schedules and
the pools' slots then live in that database (dagster-postgres), so every machine pointed at it
shares one run history and one ``duckdb_writer`` slot.

The URL is an ordinary ``postgresql://user@host:port/dbname`` one. SQLAlchemy 2.1 reads that
scheme as psycopg 3, which is not installed (and trips over Dagster's ``NOTIFY``), so
:class:`TpwPostgresStorage` hands Dagster the same URL with the ``postgresql+psycopg2`` scheme;
an explicit driver (``postgresql+psycopg2://``) is kept. Leave the password out of the URL:
libpq (under psycopg2) reads it from ``~/.pgpass`` or ``PGPASSWORD``, so it never lands in a
file or a process list.

Two processes opening a new database at once would both create Dagster's tables;
:func:`creation_lock` lets `tpw` take turns on a PostgreSQL advisory lock instead.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

from extract.lake import advisory_lock
from orchestration.storage import use_dagster_switches

VARIABLE = "TPW_DAGSTER_PG_URL"
DRIVER_SCHEME = "postgresql+psycopg2"
# pg_advisory_lock's 64-bit key for creating the instance's tables, from a fixed name
CREATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"tpw dagster instance").digest()[:8], "big", signed=True
)


class DagsterUrlError(ValueError):
    """``TPW_DAGSTER_PG_URL`` is not a PostgreSQL URL, or its server cannot be reached."""


def _split(url: str) -> tuple[str, str]:
    """``(scheme, rest)`` of a PostgreSQL URL; the error never repeats the URL (a password)."""
    scheme, sep, rest = url.strip().partition("://")
    scheme = scheme.lower()
    known = scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+")
    if not (sep and rest and known):
        got = f"a {scheme}:// URL" if sep else "no URL"
        raise DagsterUrlError(
            f"{VARIABLE} must be a PostgreSQL URL such as "
            f"postgresql://user@host:5432/dagster, got {got}"
        )
    return scheme, rest


def sqlalchemy_url(url: str) -> str:
    """The URL with the driver SQLAlchemy must use: ``postgresql://`` (or ``postgres://``)
    becomes ``postgresql+psycopg2://``; an explicit ``postgresql+driver://`` is kept."""
    scheme, rest = _split(url)
    return f"{scheme if '+' in scheme else DRIVER_SCHEME}://{rest}"


def libpq_url(url: str) -> str:
    """The URL as libpq (psycopg2.connect) takes it: ``postgresql://...`` without a driver."""
    _scheme, rest = _split(url)
    return f"postgresql://{rest}"


def creation_lock(url: str, timeout_seconds: int = 300) -> contextlib.AbstractContextManager[None]:
    """Hold a PostgreSQL advisory lock on the instance's database, so that processes on any
    machine open (for a new database: create) Dagster's tables one at a time. A killed holder's
    lock goes with its connection."""
    return advisory_lock(
        libpq_url(url),
        CREATION_LOCK_KEY,
        timeout=timeout_seconds,
        busy=lambda: DagsterUrlError(
            f"Dagster's database ({VARIABLE}) was being set up by another process for more than "
            f"{timeout_seconds} s"
        ),
        unreachable=lambda error: DagsterUrlError(
            f"cannot reach Dagster's database ({VARIABLE}): {error}"
        ),
        name="tpw dagster instance",
    )


class TpwPostgresStorage(DagsterPostgresStorage):
    """dagster-postgres's storage, configured as Dagster's own (``postgres_url`` or
    ``postgres_db``), with the psycopg2 driver whatever the URL says, and the same two Dagster
    switches as the SQLite storage (:func:`orchestration.storage.use_dagster_switches`: events
    of a ranged run stored in batches, one "planned" event per asset)."""

    def __init__(self, postgres_url: str, *args: Any, **kwargs: Any) -> None:
        use_dagster_switches()
        super().__init__(sqlalchemy_url(postgres_url), *args, **kwargs)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> TpwPostgresStorage:
        return cls(
            pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            inst_data=inst_data,
            token_provider=get_token_provider_from_config(config_value),
        )
