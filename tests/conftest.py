"""Shared fixtures. The suite never touches the network: sockets may connect to loopback only."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, start_server

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT_ROOT = Path(__file__).resolve().parents[1]

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise ConnectionRefusedError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    # A developer's team-mode Dagster database is never the tests' (tests that want one set it).
    os.environ.pop("TPW_DAGSTER_PG_URL", None)


def cbr_fixture(name: str) -> bytes:
    """Real Bank of Russia response bytes from tests/fixtures/cbr."""
    return (FIXTURES / "cbr" / name).read_bytes()


@pytest.fixture
def warehouse_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A private warehouse and Dagster home under tmp_path, set in the environment."""
    paths = {
        "warehouse": tmp_path / "warehouse.duckdb",
        "build": tmp_path / "build" / "warehouse.duckdb",
        "dagster_home": tmp_path / "dagster_home",
    }
    paths["dagster_home"].mkdir()
    (paths["dagster_home"] / "dagster.yaml").write_text(
        (PROJECT_ROOT / "orchestration" / "dagster.yaml").read_text()
    )
    monkeypatch.setenv("TPW_WAREHOUSE", str(paths["warehouse"]))
    monkeypatch.setenv("TPW_BUILD_WAREHOUSE", str(paths["build"]))
    monkeypatch.setenv("DAGSTER_HOME", str(paths["dagster_home"]))
    monkeypatch.setenv("TPW_CURRENCIES", "USD,EUR,CNY")
    return paths


def archive_with_usd_jump(day: str = "2020-06-10", factor: str = "1.4") -> object:
    """The bundled samples with the USD record of ``day`` multiplied by ``factor``: a jump the
    Bank could print but should not (dbt's day-over-day test must catch it)."""
    import dataclasses
    from datetime import date
    from decimal import Decimal

    from extract.cbr_replay import CbrArchive

    archive = CbrArchive.load()
    usd = list(archive.rates["R01235"])
    at = next(i for i, r in enumerate(usd) if r.record_date == date.fromisoformat(day))
    usd[at] = dataclasses.replace(
        usd[at],
        value=usd[at].value * Decimal(factor),
        vunit_rate=usd[at].vunit_rate * Decimal(factor),
    )
    return dataclasses.replace(archive, rates={**archive.rates, "R01235": tuple(usd)})


def count_event_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch of events our Dagster storage is given to store from now on."""
    from orchestration.storage import TpwSqliteEventLogStorage

    batches: list[int] = []
    store_batch = TpwSqliteEventLogStorage.store_event_batch

    def counting(self: TpwSqliteEventLogStorage, events: list) -> None:
        batches.append(len(events))
        store_batch(self, events)

    monkeypatch.setattr(TpwSqliteEventLogStorage, "store_event_batch", counting)
    return batches


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL cluster on a free loopback port, for this test process (tests/postgres.py).

    Skipped with the install command where the binaries are missing; CI sets
    ``TPW_REQUIRE_POSTGRES=1`` so that there a missing server fails instead.
    """
    try:
        server = start_server()
    except FileNotFoundError as exc:
        if os.environ.get("TPW_REQUIRE_POSTGRES") == "1":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()
