"""`tpw sql` reads the published warehouse and nothing else.

An auditor showed that a read-only DuckDB connection still writes and reads other files:
`COPY ... TO` the published file destroyed it, `ATTACH ... (READ_WRITE)` opened the pipeline's
build file for writing, `read_text('/etc/passwd')` read any file and `INSTALL httpfs` went to
the network. Each attack is replayed here through the real `tpw sql` on a real DuckDB file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.analyst import connect_analyst
from tests.conftest import PROJECT_ROOT

TPW = str(Path(sys.executable).parent / "tpw")
REFUSED = "file system operations are disabled by configuration"


@pytest.fixture
def warehouse(tmp_path: Path) -> dict[str, Path]:
    """A published warehouse with one mart, the build file beside it, and a private file."""
    published = tmp_path / "warehouse.duckdb"
    build = tmp_path / ".build" / "warehouse.duckdb"
    build.parent.mkdir()
    for path in (published, build):
        conn = duckdb.connect(str(path))
        conn.execute(
            "create schema marts; create table marts.fx_rates as "
            "select date '2020-06-05' as rate_date, 'USD' as currency_code, 68.6 as value_rub"
        )
        conn.close()
    secret = tmp_path / "secret.txt"
    secret.write_text("the password is swordfish\n")
    return {"published": published, "build": build, "secret": secret, "home": tmp_path}


def tpw_sql(query: str, paths: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    env.update(
        TPW_WAREHOUSE=str(paths["published"]),
        TPW_BUILD_WAREHOUSE=str(paths["build"]),
        DAGSTER_HOME=str(paths["home"] / "dagster_home"),
        HOME=str(paths["home"]),  # DuckDB's extension and secret folders, if it ever looked
    )
    return subprocess.run(
        [TPW, "sql", query], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    # DuckDB's whole message: the refusal, then the pointer into the query.
    assert result.stderr.startswith("tpw: error: ") and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_queries_of_the_warehouse_still_work(warehouse: dict[str, Path]) -> None:
    result = tpw_sql(
        "select currency_code, value_rub from marts.fx_rates where rate_date = '2020-06-05'",
        warehouse,
    )
    assert result.returncode == 0, result.stderr
    assert "USD" in result.stdout and "68.6" in result.stdout and "(1 row)" in result.stdout


def test_copy_cannot_overwrite_the_published_file(warehouse: dict[str, Path]) -> None:
    before = digest(warehouse["published"])
    result = tpw_sql(f"COPY (select 1) TO '{warehouse['published']}'", warehouse)
    assert_refused(result, "Permission Error", REFUSED)
    assert digest(warehouse["published"]) == before
    # ...and the file still is the warehouse.
    assert tpw_sql("select count(*) from marts.fx_rates", warehouse).returncode == 0


def test_copy_cannot_create_a_file(warehouse: dict[str, Path]) -> None:
    target = warehouse["home"] / "out.csv"
    result = tpw_sql(f"COPY (select * from marts.fx_rates) TO '{target}'", warehouse)
    assert_refused(result, "Permission Error", str(target), REFUSED)
    assert not target.exists()
    export = warehouse["home"] / "export"
    assert_refused(tpw_sql(f"EXPORT DATABASE '{export}'", warehouse), REFUSED)
    assert not export.exists() or not any(export.iterdir())


@pytest.mark.parametrize("mode", ["(READ_WRITE)", "(READ_ONLY)", ""])
def test_attach_of_another_file_is_refused(warehouse: dict[str, Path], mode: str) -> None:
    before = digest(warehouse["build"])
    result = tpw_sql(f"ATTACH '{warehouse['build']}' AS build {mode}", warehouse)
    assert_refused(result, "Permission Error", str(warehouse["build"]), REFUSED)
    assert digest(warehouse["build"]) == before
    new = warehouse["home"] / "new.duckdb"
    assert_refused(tpw_sql(f"ATTACH '{new}' AS fresh {mode}", warehouse), REFUSED)
    assert not new.exists()


@pytest.mark.parametrize("reader", ["read_text", "read_csv", "read_blob", "glob"])
def test_other_files_cannot_be_read(warehouse: dict[str, Path], reader: str) -> None:
    result = tpw_sql(f"select * from {reader}('{warehouse['secret']}')", warehouse)
    assert_refused(result, "Permission Error", REFUSED)
    assert "swordfish" not in result.stdout + result.stderr
    assert_refused(tpw_sql("select * from read_text('/etc/hostname')", warehouse), REFUSED)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("INSTALL httpfs", REFUSED),
        ("LOAD httpfs", "Loading external extensions is disabled through configuration"),
        ("FORCE INSTALL httpfs FROM core", REFUSED),
        ("select * from 'https://example.invalid/rates.csv'", REFUSED),
    ],
)
def test_extensions_and_the_network_are_refused(
    warehouse: dict[str, Path], query: str, message: str
) -> None:
    result = tpw_sql(query, warehouse)
    assert_refused(result, "Permission Error", message)
    assert not (warehouse["home"] / ".duckdb").exists()  # nothing downloaded, no folder made


@pytest.mark.parametrize(
    "query",
    [
        "SET enable_external_access = true",
        "RESET enable_external_access",
        "SET lock_configuration = false",
        "SET autoinstall_known_extensions = true",
        "SET allow_unsigned_extensions = true",
    ],
)
def test_the_configuration_is_locked(warehouse: dict[str, Path], query: str) -> None:
    result = tpw_sql(query, warehouse)
    assert_refused(result, "Invalid Input Error", "the configuration has been locked")


def test_writes_to_the_warehouse_itself_stay_refused(warehouse: dict[str, Path]) -> None:
    before = digest(warehouse["published"])
    result = tpw_sql("create table marts.evil as select 1", warehouse)
    assert_refused(result, "read-only mode")
    assert digest(warehouse["published"]) == before


def test_the_analyst_connection_in_process(warehouse: dict[str, Path]) -> None:
    conn = connect_analyst(warehouse["published"])
    try:
        assert conn.execute("select count(*) from marts.fx_rates").fetchone() == (1,)
        settings = dict(
            conn.execute(
                "select name, value from duckdb_settings() where name in ('enable_external_access',"
                " 'autoinstall_known_extensions', 'autoload_known_extensions', "
                "'lock_configuration')"
            ).fetchall()
        )
        with pytest.raises(duckdb.PermissionException):
            conn.execute(f"select * from read_text('{warehouse['secret']}')")
    finally:
        conn.close()
    assert settings == {
        "enable_external_access": "false",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "lock_configuration": "true",
    }
