"""Faults from the Bank of Russia, against a loopback server that misbehaves on purpose.

Each test runs the real raw assets (and, where it matters, dbt and publishing) and checks what
the run reports and that nothing loaded before was changed.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from extract.cbr import RateRecord
from extract.cbr_replay import CbrArchive, CbrReplayServer
from orchestration.dbt_runner import InProcessDbtResource
from orchestration.defs.cbr import cbr_metal_prices, cbr_rates
from orchestration.defs.dbt import dbt_warehouse
from orchestration.defs.project import dbt_project
from orchestration.defs.publish import published_warehouse
from orchestration.defs.resources import CbrResource, WarehouseResource
from tests.conftest import archive_with_usd_jump

XML = "application/xml; charset=windows-1251"
ARCHIVE = CbrArchive.load()
REPLAY = CbrReplayServer(ARCHIVE)  # used for its answers only, never started
DDOS_PAGE = (
    b"<!DOCTYPE html><html><title>DDoS-Guard</title><body>Checking your browser</body></html>"
)


def bank(httpserver: HTTPServer, misbehave: Callable[[Request, int], Response | None]) -> str:
    """A loopback Bank: ``misbehave(request, n)`` may answer the n-th request; else the samples."""
    calls = {"n": 0}

    def handler(request: Request) -> Response:
        calls["n"] += 1
        answer = misbehave(request, calls["n"])
        if answer is not None:
            return answer
        status, body = REPLAY.respond(request.full_path)
        return Response(body, status=status, content_type=XML)

    httpserver.expect_request("/scripts/XML_daily.asp").respond_with_handler(handler)
    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_handler(handler)
    httpserver.expect_request("/scripts/xml_metall.asp").respond_with_handler(handler)
    httpserver.expect_request("/scripts/XML_valFull.asp").respond_with_handler(handler)
    return httpserver.url_for("").rstrip("/")


def resources(tmp_path: Path, url: str) -> dict:
    return {
        "cbr": CbrResource(
            base_url=url, min_interval_seconds=0, currencies="USD,EUR", max_retries=3,
            backoff_factor=0.01,
        ),
        "warehouse": WarehouseResource(
            path=str(tmp_path / "warehouse.duckdb"), build_path=str(tmp_path / "build.duckdb")
        ),
        "dbt": InProcessDbtResource(project_dir=str(dbt_project.project_dir)),
    }  # fmt: skip


def load(
    tmp_path: Path, url: str, key: str, assets: list | None = None
) -> dg.ExecuteInProcessResult:
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        assets or [cbr_rates, cbr_metal_prices],
        partition_key=key,
        resources=resources(tmp_path, url),
        instance=instance,
        raise_on_error=False,
    )
    result.logs = " | ".join(entry.user_message for entry in instance.all_logs(result.run_id))
    return result


def rates(tmp_path: Path) -> list[tuple]:
    conn = duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True)
    try:
        return conn.execute(
            "select rate_date, currency_code, value, loaded_at from raw.cbr_rates order by 1, 2"
        ).fetchall()
    finally:
        conn.close()


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    error = failures[0].step_failure_data.error
    while error.cause is not None:
        error = error.cause
    return error.message


@pytest.fixture
def loaded(tmp_path: Path, httpserver: HTTPServer) -> list[tuple]:
    """A build file holding 2020-06-05 already."""
    url = bank(httpserver, lambda request, n: None)
    assert load(tmp_path, url, "2020-06-05").success
    httpserver.clear()
    return rates(tmp_path)


def test_server_errors_then_success_are_retried_and_logged(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    url = bank(
        httpserver, lambda r, n: Response("busy", status=503 if n == 1 else 500) if n <= 2 else None
    )
    result = load(tmp_path, url, "2020-06-05", [cbr_rates])
    assert result.success
    materialization = result.asset_materializations_for_node("raw__cbr_rates")[0]
    assert materialization.metadata["retries"].value == 2
    assert "the Bank of Russia answered after 2 retries" in result.logs
    assert [row[1:3] for row in rates(tmp_path)] == [
        ("EUR", Decimal("77.3245")),
        ("USD", Decimal("69.0151")),
    ]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            lambda: Response("down", status=503),
            r"kept answering HTTP 503 for http://localhost:\d+/scripts/XML_daily\.asp\?date_req=05%2F06%2F2020 "
            r"after 3 retries",
        ),
        (
            lambda: Response(DDOS_PAGE, status=403, headers={"Server": "ddos-guard"}),
            r"HTTP 403 .*DDoS-Guard",
        ),
        (
            lambda: Response(DDOS_PAGE, status=200, content_type="text/html"),
            r"HTML page instead of XML for .*XML_daily\.asp\?date_req=05%2F06%2F2020 \(DDoS-Guard",
        ),
        (
            lambda: Response(
                REPLAY.respond("/scripts/XML_daily.asp?date_req=05/06/2020")[1][:300],
                content_type=XML,
            ),
            r"malformed or truncated XML for .*XML_daily",
        ),
        (
            lambda: Response(
                b'<?xml version="1.0"?><Error>Error in parameters</Error>', content_type=XML
            ),
            r"answered <Error> instead of <ValCurs>",
        ),
    ],
    ids=[
        "down-for-good",
        "ddos-guard-403",
        "ddos-guard-200-html",
        "truncated-xml",
        "another-shape",
    ],
)
def test_a_bad_answer_fails_the_partition_clearly_and_changes_nothing(
    tmp_path: Path, httpserver: HTTPServer, loaded: list[tuple], answer, message: str
) -> None:
    build_bytes = (tmp_path / "build.duckdb").read_bytes()
    url = bank(httpserver, lambda request, n: answer())
    result = load(tmp_path, url, "2020-06-05", [cbr_rates])
    assert not result.success
    assert re.search(message, failure_message(result)), failure_message(result)
    assert rates(tmp_path) == loaded  # same rows, same loaded_at: nothing was rewritten
    assert (tmp_path / "build.duckdb").read_bytes() == build_bytes


def test_a_timeout_names_the_url(tmp_path: Path, httpserver: HTTPServer) -> None:
    def slow(request: Request, n: int) -> Response:
        time.sleep(1.5)
        return Response("late", status=200)

    url = bank(httpserver, slow)
    res = resources(tmp_path, url)
    res["cbr"] = CbrResource(base_url=url, min_interval_seconds=0, currencies="USD", max_retries=1,
                             backoff_factor=0.01, read_timeout_seconds=0.5)  # fmt: skip
    result = dg.materialize([cbr_rates], partition_key="2020-06-05", resources=res,
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)  # fmt: skip
    assert not result.success
    assert "timed out" in failure_message(result) and "XML_daily.asp" in failure_message(result)


def test_no_rates_published_yet_is_a_normal_outcome(
    tmp_path: Path, httpserver: HTTPServer, loaded: list[tuple]
) -> None:
    empty = b'<?xml version="1.0" encoding="windows-1251"?><ValCurs Date="05.06.2020" name="Foreign Currency Market"></ValCurs>'
    url = bank(httpserver, lambda request, n: Response(empty, content_type=XML))
    result = load(tmp_path, url, "2020-06-05", [cbr_rates])
    assert result.success
    # The day is left missing, not marked loaded with 0 rows (tests/test_missing_days.py).
    assert result.asset_materializations_for_node("raw__cbr_rates") == []
    assert "has published no rates in force for 2020-06-05 yet" in result.logs
    assert rates(tmp_path) == loaded  # what was loaded before stays


JUMP_TEST = "day_over_day_change_within_{}_change_pct"


def test_nonsense_values_are_flagged_red_and_the_rest_is_published(tmp_path: Path) -> None:
    # A zero or negative rate is refused by the client itself (tests/test_cbr_hostile.py); a
    # jump the Bank could publish but should not is what reaches dbt's test, red in Dagster.
    broken = archive_with_usd_jump()
    with CbrReplayServer(broken) as server:
        result = dg.materialize(
            [cbr_rates, cbr_metal_prices, dbt_warehouse, published_warehouse],
            resources=resources(tmp_path, server.url),
            instance=dg.DagsterInstance.ephemeral(),
            tags={"dagster/asset_partition_range_start": "2020-06-08",
                  "dagster/asset_partition_range_end": "2020-06-12"},
            raise_on_error=False,
        )  # fmt: skip
    assert result.success  # the nightly run goes on
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    fx = checks[JUMP_TEST.format("fx_rates")]
    assert not fx.passed and fx.severity == dg.AssetCheckSeverity.ERROR  # red in the UI
    assert fx.description.startswith("2 rows the Bank would not publish")  # up, then down
    assert fx.metadata["dagster_dbt/failed_row_count"].value == 2
    assert checks[JUMP_TEST.format("metal_prices")].passed
    assert checks["positive_fx_rates_value_rub"].passed
    # A failed test without dagster_severity keeps dbt's WARN.
    others = [c for c in checks.values() if not c.passed and c.check_name != fx.check_name]
    assert all(c.severity == dg.AssetCheckSeverity.WARN for c in others)
    published = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        assert published.execute("select count(*) from marts.fx_rates").fetchone() == (10,)
        assert published.execute("select count(*) from marts.metal_prices").fetchone() == (20,)
        schemas = published.execute(
            "select distinct schema_name from duckdb_tables() order by 1"
        ).fetchall()
    finally:
        published.close()
    assert schemas == [("marts",), ("raw",)]  # what analysts query, no dbt_test__audit
    build = duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True)
    try:
        stored = build.execute(
            f"select count(*) from dbt_test__audit.{JUMP_TEST.format('fx_rates')}"
        ).fetchone()
    finally:
        build.close()
    assert stored == (2,)  # the offending rows are kept in the build file for maintainers


def test_a_nominal_change_carried_through_the_value_is_not_an_error(tmp_path: Path) -> None:
    """CNY per 10 became CNY per 1 (the Bank did so in 2022): roubles per unit barely moved,
    so the jump check passes; dbt's assert_fx_nominal_is_stable only warns for review."""

    def per_one(record: RateRecord) -> Decimal:
        return (record.value / record.nominal).quantize(Decimal("0.0001"))

    cny = [
        dataclasses.replace(r, nominal=1, value=per_one(r), vunit_rate=per_one(r))
        if r.record_date >= date(2020, 6, 10)
        else r
        for r in ARCHIVE.rates["R01375"]
    ]
    changed = dataclasses.replace(ARCHIVE, rates={**ARCHIVE.rates, "R01375": tuple(cny)})
    with CbrReplayServer(changed) as server:
        chosen = resources(tmp_path, server.url)
        chosen["cbr"] = CbrResource(base_url=server.url, min_interval_seconds=0, currencies="CNY")
        result = dg.materialize(
            [cbr_rates, cbr_metal_prices, dbt_warehouse, published_warehouse],
            resources=chosen,
            instance=dg.DagsterInstance.ephemeral(),
            tags={"dagster/asset_partition_range_start": "2020-06-08",
                  "dagster/asset_partition_range_end": "2020-06-12"},
            raise_on_error=False,
        )  # fmt: skip
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks[JUMP_TEST.format("fx_rates")].passed
    nominal = checks["assert_fx_nominal_is_stable"]
    assert not nominal.passed and nominal.severity == dg.AssetCheckSeverity.WARN
    published = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        rows = published.execute(
            "select rate_date, nominal, value_rub, rub_per_unit from marts.fx_rates "
            "where currency_code = 'CNY' and rate_date between '2020-06-09' and '2020-06-10' "
            "order by 1"
        ).fetchall()
    finally:
        published.close()
    assert [(n, v / n == r) for _, n, v, r in rows] == [(10, True), (1, True)]
