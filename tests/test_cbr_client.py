"""The real HTTP client against a real loopback HTTP server (pytest-httpserver)."""

from __future__ import annotations

import logging
import time
from datetime import date
from decimal import Decimal

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from extract.cbr import CbrBadResponse, CbrClient, CbrHttpError, CbrUnavailable
from tests.conftest import cbr_fixture

XML = "application/xml; charset=windows-1251"
DYNAMIC_USD = cbr_fixture("XML_dynamic_R01235_USD_2026-03-01_2026-03-17.xml")
DDOS_GUARD_PAGE = (
    b"<!DOCTYPE html><html><head><title>DDoS-Guard</title></head>"
    b"<body>Checking your browser before accessing cbr.ru</body></html>"
)


def client_for(server: HTTPServer, **kwargs: object) -> CbrClient:
    options = {"min_interval": 0.0, "backoff_factor": 0.01, "timeout": (2.0, 2.0)}
    options.update(kwargs)
    return CbrClient(server.url_for("").rstrip("/"), **options)  # type: ignore[arg-type]


def test_asks_ranges_with_the_banks_parameters_and_a_browser_user_agent(
    httpserver: HTTPServer,
) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(DYNAMIC_USD, content_type=XML)

    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_handler(handler)
    with client_for(httpserver) as client:
        answer = client.dynamic_rates("R01235", date(2026, 3, 1), date(2026, 3, 17))
    assert len(answer.records) == 10
    assert seen[0].args["date_req1"] == "01/03/2026"
    assert seen[0].args["date_req2"] == "17/03/2026"
    assert seen[0].args["VAL_NM_RQ"] == "R01235"
    assert seen[0].headers["User-Agent"].startswith("Mozilla/5.0")
    assert client.requests_made == 1
    assert client.last_url.endswith("VAL_NM_RQ=R01235")


def test_daily_list_and_catalogue(httpserver: HTTPServer) -> None:
    daily = cbr_fixture(
        "XML_daily_date_req_17-03-2026_recorded_2026-03-17T15-07Z_Date_17.03.2026.xml"
    )
    httpserver.expect_request(
        "/scripts/XML_daily.asp", query_string={"date_req": "17/03/2026"}
    ).respond_with_data(daily, content_type=XML)
    httpserver.expect_request("/scripts/XML_valFull.asp").respond_with_data(
        cbr_fixture("pycbrf_XML_valFull_d0.xml"), content_type=XML
    )
    with client_for(httpserver) as client:
        rates = client.daily_rates(date(2026, 3, 17))
        ids = client.currency_ids(["usd", "EUR", "CNY"])
        client.currency_ids(["USD"])  # the catalogue is fetched once
    assert {r.currency_code: r.value for r in rates.rates}["USD"] == Decimal("81.0517")
    assert ids == {"USD": "R01235", "EUR": "R01239", "CNY": "R01375"}
    assert client.requests_made == 2


def test_retries_server_errors_with_backoff_then_succeeds(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    answers = iter([Response("busy", status=500), Response("busy", status=503)])

    def handler(request: Request) -> Response:
        return next(answers, Response(DYNAMIC_USD, content_type=XML))

    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_handler(handler)
    with caplog.at_level(logging.WARNING), client_for(httpserver) as client:
        answer = client.dynamic_rates("R01235", date(2026, 3, 1), date(2026, 3, 17))
    assert len(answer.records) == 10
    assert len(httpserver.log) == 3
    assert "succeeded after 2 retries" in caplog.text


def test_server_down_for_good_names_the_url_and_the_cause(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/xml_metall.asp").respond_with_data("down", status=503)
    with client_for(httpserver, max_retries=2) as client, pytest.raises(CbrUnavailable) as error:
        client.metal_prices(date(2026, 3, 1), date(2026, 3, 5))
    assert "xml_metall.asp?date_req1=01%2F03%2F2026" in str(error.value)
    assert "503" in str(error.value)
    assert len(httpserver.log) == 3  # the first try and two retries


def test_timeouts_are_retried_then_reported(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(DYNAMIC_USD, content_type=XML)

    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_handler(slow)
    with (
        client_for(httpserver, timeout=(1.0, 0.3), max_retries=1) as client,
        pytest.raises(CbrUnavailable, match=r"timed out|kept failing"),
    ):
        client.dynamic_rates("R01235", date(2026, 3, 1), date(2026, 3, 17))


def test_connection_refused_is_unavailable() -> None:
    client = CbrClient("http://127.0.0.1:9", min_interval=0, max_retries=1, backoff_factor=0.01)
    with pytest.raises(CbrUnavailable, match=r"127\.0\.0\.1:9"):
        client.daily_rates(date(2026, 3, 17))


def test_ddos_guard_page_with_status_200(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_daily.asp").respond_with_data(
        DDOS_GUARD_PAGE, content_type="text/html", headers={"Server": "ddos-guard"}
    )
    with (
        client_for(httpserver) as client,
        pytest.raises(
            CbrBadResponse,
            match=r"HTML page instead of XML for .*XML_daily.asp\?date_req=05%2F12%2F2025 "
            r"\(DDoS-Guard",
        ),
    ):
        client.daily_rates(date(2025, 12, 5))


def test_ddos_guard_refusal_403(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_daily.asp").respond_with_data(
        DDOS_GUARD_PAGE, status=403, content_type="text/html", headers={"Server": "ddos-guard"}
    )
    with (
        client_for(httpserver, max_retries=1) as client,
        pytest.raises(CbrUnavailable, match="403"),
    ):
        client.daily_rates(date(2025, 12, 5))


def test_client_error_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_daily.asp").respond_with_data("gone", status=404)
    with client_for(httpserver) as client, pytest.raises(CbrHttpError) as error:
        client.daily_rates(date(2025, 12, 5))
    assert error.value.status == 404
    assert len(httpserver.log) == 1


def test_truncated_xml(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_data(
        DYNAMIC_USD[: len(DYNAMIC_USD) // 2], content_type=XML
    )
    with client_for(httpserver) as client, pytest.raises(CbrBadResponse, match="truncated"):
        client.dynamic_rates("R01235", date(2026, 3, 1), date(2026, 3, 17))


def test_polite_interval_between_requests(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_data(
        DYNAMIC_USD, content_type=XML
    )
    with client_for(httpserver, min_interval=0.2) as client:
        started = time.monotonic()
        for _ in range(3):
            client.dynamic_rates("R01235", date(2026, 3, 1), date(2026, 3, 17))
        elapsed = time.monotonic() - started
    assert elapsed >= 0.4  # two waits of 0.2 s between three requests


def test_unknown_currency_code(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_valFull.asp").respond_with_data(
        cbr_fixture("pycbrf_XML_valFull_d0.xml"), content_type=XML
    )
    with client_for(httpserver) as client, pytest.raises(Exception, match="no currency XYZ"):
        client.currency_ids(["USD", "XYZ"])
