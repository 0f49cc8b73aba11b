"""Rates and metal prices in force per calendar day, fetched in ranges from a loopback server."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from extract.cbr import CbrBadResponse, CbrClient, parse_dynamic_rates, parse_metal_prices
from extract.cbr_replay import render_dynamic, render_metals
from extract.rates import calendar, fetch_metal_prices_in_force, fetch_rates_in_force
from tests.conftest import cbr_fixture

XML = "application/xml; charset=windows-1251"
USD_MARCH = cbr_fixture(
    "XML_dynamic_R01235_USD_2026-03-01_2026-03-19_recorded_2026-03-19T10-49Z.xml"
)
EUR_MARCH = cbr_fixture(
    "XML_dynamic_R01239_EUR_2026-03-01_2026-03-19_recorded_2026-03-19T10-49Z.xml"
)
METALS_MARCH = cbr_fixture("xml_metall_2026-03-01_2026-03-05.xml")


def _asked(request: Request) -> tuple[date, date]:
    day = lambda text: date(int(text[6:]), int(text[3:5]), int(text[:2]))  # noqa: E731
    return day(request.args["date_req1"]), day(request.args["date_req2"])


def _dynamic(request: Request) -> Response:
    """The real March 2026 records dated inside the range asked, as the Bank answers."""
    currency_id = request.args["VAL_NM_RQ"]
    start, end = _asked(request)
    records = parse_dynamic_rates({"R01235": USD_MARCH, "R01239": EUR_MARCH}[currency_id]).records
    kept = [r for r in records if start <= r.record_date <= end]
    return Response(render_dynamic(currency_id, start, end, kept), content_type=XML)


def _metals(request: Request) -> Response:
    start, end = _asked(request)
    kept = [r for r in parse_metal_prices(METALS_MARCH).records if start <= r.record_date <= end]
    return Response(render_metals(start, end, kept), content_type=XML)


@pytest.fixture
def bank(httpserver: HTTPServer) -> HTTPServer:
    """A loopback server answering real March 2026 records for the range asked."""
    httpserver.expect_request("/scripts/XML_valFull.asp").respond_with_data(
        cbr_fixture("pycbrf_XML_valFull_d0.xml"), content_type=XML
    )
    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_handler(_dynamic)
    httpserver.expect_request("/scripts/xml_metall.asp").respond_with_handler(_metals)
    return httpserver


def client(server: HTTPServer) -> CbrClient:
    return CbrClient(server.url_for("").rstrip("/"), min_interval=0)


def as_dict(frame: pl.DataFrame, key: str = "rate_date") -> dict:
    return {(row[key], row["currency_code"]): row for row in frame.iter_rows(named=True)}


def test_weekends_and_holidays_carry_the_last_record(bank: HTTPServer) -> None:
    frame = fetch_rates_in_force(client(bank), ["USD", "EUR"], date(2026, 3, 7), date(2026, 3, 12))
    rows = as_dict(frame)
    assert frame.height == 12  # 6 days x 2 currencies
    saturday = rows[(date(2026, 3, 7), "USD")]
    assert (saturday["record_date"], saturday["value"]) == (date(2026, 3, 7), Decimal("79.1500"))
    for carried in (date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)):  # Sun, holiday, Tue
        assert rows[(carried, "USD")]["record_date"] == date(2026, 3, 7)
        assert rows[(carried, "USD")]["value"] == Decimal("79.15")
    assert rows[(date(2026, 3, 11), "USD")]["value"] == Decimal("78.7396")
    assert rows[(date(2026, 3, 11), "USD")]["record_date"] == date(2026, 3, 11)
    assert rows[(date(2026, 3, 11), "USD")]["currency_id"] == "R01235"
    assert rows[(date(2026, 3, 12), "EUR")]["source_url"].endswith("VAL_NM_RQ=R01239")


def test_a_range_is_one_request_per_currency_from_before_its_start(bank: HTTPServer) -> None:
    cbr = client(bank)
    fetch_rates_in_force(cbr, ["USD", "EUR"], date(2026, 3, 7), date(2026, 3, 19))
    assert cbr.requests_made == 3  # catalogue + USD + EUR
    dynamic = [entry[0] for entry in bank.log if entry[0].path.endswith("XML_dynamic.asp")]
    assert {r.args["date_req1"] for r in dynamic} == {"14/02/2026"}  # 21 days before the start
    assert {r.args["date_req2"] for r in dynamic} == {"19/03/2026"}


def test_only_records_up_to_the_end_asked_are_used(bank: HTTPServer) -> None:
    frame = fetch_rates_in_force(client(bank), ["USD"], date(2026, 3, 11), date(2026, 3, 12))
    assert frame["record_date"].max() == date(2026, 3, 12)
    assert frame.height == 2


def test_an_answer_for_another_range_than_asked_is_refused(httpserver: HTTPServer) -> None:
    # Up to 19 March whatever is asked: not the Bank's answer to the request, so refused whole
    # (it used to be filtered, which hid a server answering another question).
    httpserver.expect_request("/scripts/XML_valFull.asp").respond_with_data(
        cbr_fixture("pycbrf_XML_valFull_d0.xml"), content_type=XML
    )
    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_data(
        USD_MARCH, content_type=XML
    )
    with pytest.raises(CbrBadResponse, match=r"range 01\.03\.2026\.\.19\.03\.2026 instead of"):
        fetch_rates_in_force(client(httpserver), ["USD"], date(2026, 3, 11), date(2026, 3, 12))


def test_no_record_before_the_start_asks_once_further_back(
    bank: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    cbr = client(bank)
    with caplog.at_level(logging.WARNING):
        frame = fetch_rates_in_force(cbr, ["USD"], date(2026, 3, 1), date(2026, 3, 4))
    assert cbr.requests_made == 3  # catalogue + range + one look further back
    assert frame["rate_date"].to_list() == [date(2026, 3, 3), date(2026, 3, 4)]
    assert "no official figure in force on 2 of 4 days" in caplog.text


def test_one_day_uses_the_daily_list(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_daily.asp").respond_with_data(
        cbr_fixture("XML_daily_date_req_17-03-2026_recorded_2026-03-17T15-07Z_Date_17.03.2026.xml"),
        content_type=XML,
    )
    cbr = client(httpserver)
    frame = fetch_rates_in_force(cbr, ["USD", "EUR", "CNY"], date(2026, 3, 17), date(2026, 3, 17))
    assert cbr.requests_made == 1
    values = {row["currency_code"]: row["value"] for row in frame.iter_rows(named=True)}
    assert values == {
        "USD": Decimal("81.0517"),
        "EUR": Decimal("92.6555"),
        "CNY": Decimal("11.7441"),
    }


def test_daily_list_of_an_earlier_date_is_in_force(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_daily.asp").respond_with_data(
        cbr_fixture("XML_daily_nodate_recorded_2026-04-26T22-00Z_Date_25.04.2026.xml"),
        content_type=XML,
    )
    frame = fetch_rates_in_force(client(httpserver), ["USD"], date(2026, 4, 26), date(2026, 4, 26))
    row = frame.row(0, named=True)
    assert (row["rate_date"], row["record_date"]) == (date(2026, 4, 26), date(2026, 4, 25))


def test_daily_list_dated_after_the_day_asked_is_refused(httpserver: HTTPServer) -> None:
    # The Bank answers date_req=D with the list in force on D, never a later one: a later list
    # is not an answer to the request (it used to be ignored with a warning).
    httpserver.expect_request("/scripts/XML_daily.asp").respond_with_data(
        cbr_fixture("XML_daily_nodate_recorded_2026-03-17T15-51Z_Date_18.03.2026.xml"),
        content_type=XML,
    )
    with pytest.raises(CbrBadResponse, match=r"list of 18\.03\.2026, after the day asked 17"):
        fetch_rates_in_force(client(httpserver), ["USD"], date(2026, 3, 17), date(2026, 3, 17))


def test_metal_prices_in_force(bank: HTTPServer) -> None:
    cbr = client(bank)
    frame = fetch_metal_prices_in_force(cbr, date(2026, 3, 3), date(2026, 3, 5))
    assert frame.height == 12
    gold = {r["price_date"]: r["sell"] for r in frame.iter_rows(named=True) if r["metal"] == "gold"}
    assert gold == {
        date(2026, 3, 3): Decimal("12957.47"),
        date(2026, 3, 4): Decimal("13259.22"),
        date(2026, 3, 5): Decimal("12590.95"),
    }
    assert cbr.requests_made == 1


def test_calendar_refuses_a_reversed_range() -> None:
    assert len(calendar(date(2020, 1, 1), date(2020, 12, 31))) == 366
    with pytest.raises(ValueError, match="before it starts"):
        calendar(date(2020, 2, 1), date(2020, 1, 1))
