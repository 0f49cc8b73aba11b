"""The Bank of Russia replay: renderers, bundled samples and the loopback server.

Expected figures are the reference values the samples were built from (see
data/samples/cbr/README.md); real response bytes live in tests/fixtures/cbr.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from extract.cbr import (
    CbrBadResponse,
    CbrClient,
    CbrHttpError,
    parse_daily_rates,
    parse_dynamic_rates,
    parse_metal_prices,
)
from extract.cbr_replay import (
    CONTENT_TYPE,
    DEFAULT_SAMPLES_DIR,
    ERROR_BODY,
    XML_DECLARATION,
    CbrArchive,
    CbrReplayServer,
    format_metal_price,
    format_value,
    format_vunit_rate,
    render_daily,
    render_dynamic,
    render_metals,
)

FIXTURES = Path(__file__).parent / "fixtures" / "cbr"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "cbr"
USD, EUR, CNY = "R01235", "R01239", "R01375"

DYNAMIC_FIXTURES = sorted(p.name for p in FIXTURES.glob("XML_dynamic_*.xml"))
DAILY_FIXTURES = sorted(p.name for p in FIXTURES.glob("XML_daily_*Date_*.xml"))
USD_MARCH_17 = "XML_dynamic_R01235_USD_2026-03-01_2026-03-17.xml"
METALS_MARCH = "xml_metall_2026-03-01_2026-03-05.xml"
DAILY_17 = "XML_daily_date_req_17-03-2026_recorded_2026-03-17T15-07Z_Date_17.03.2026.xml"
DAILY_19 = "XML_daily_nodate_recorded_2026-03-19T10-49Z_Date_19.03.2026.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="module")
def archive() -> CbrArchive:
    return CbrArchive.load(SAMPLES)


@pytest.fixture(scope="module")
def server(archive: CbrArchive) -> Iterator[CbrReplayServer]:
    with CbrReplayServer(archive) as running:
        yield running


@pytest.fixture
def client(server: CbrReplayServer) -> Iterator[CbrClient]:
    with CbrClient(server.url, min_interval=0) as cbr:
        yield cbr


# --------------------------------------------------------------------------- renderers


@pytest.mark.parametrize("name", DYNAMIC_FIXTURES)
def test_render_dynamic_reproduces_real_bytes(name: str) -> None:
    body = fixture(name)
    parsed = parse_dynamic_rates(body)
    rendered = render_dynamic(
        parsed.currency_id, parsed.range_start, parsed.range_end, parsed.records
    )
    assert rendered == body


def test_render_metals_reproduces_real_bytes() -> None:
    body = fixture(METALS_MARCH)
    parsed = parse_metal_prices(body)
    assert render_metals(parsed.range_start, parsed.range_end, parsed.records) == body


@pytest.mark.parametrize("name", DAILY_FIXTURES)
def test_render_daily_reproduces_real_bytes(name: str) -> None:
    body = fixture(name)
    parsed = parse_daily_rates(body)
    assert render_daily(parsed.list_date, parsed.rates) == body


def test_there_are_real_fixtures_to_compare() -> None:
    assert len(DYNAMIC_FIXTURES) == 5
    assert len(DAILY_FIXTURES) == 4


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("78.19", "78,19"),
        ("79.068", "79,068"),
        ("5.88139E-05", "5,88139E-05"),  # IRR, Nominal 1000000 (frankfurter 2026)
        ("0.000121149", "0,000121149"),  # IRR, Nominal 100000 (XML_daily_eng 13.12.2025)
        ("0.00326752", "0,00326752"),
        ("212.001", "212,001"),
        ("1E-5", "1E-05"),
        ("100", "100"),
    ],
)
def test_vunit_rate_printed_like_dotnet_double(text: str, printed: str) -> None:
    assert format_vunit_rate(Decimal(text)) == printed


def test_value_and_metal_formats() -> None:
    assert format_value(Decimal("78.19")) == "78,1900"
    assert format_value(Decimal("69.0151")) == "69,0151"
    assert format_metal_price(Decimal("236.10")) == "236,1"
    assert format_metal_price(Decimal("4073.30")) == "4073,3"
    assert format_metal_price(Decimal("12957.47")) == "12957,47"
    with pytest.raises(ValueError):
        format_value(Decimal("1.23456"))
    with pytest.raises(ValueError):
        format_metal_price(Decimal("1.234"))


def test_vunit_rate_only_when_served(archive: CbrArchive) -> None:
    record_2020 = archive.dynamic(USD, date(2020, 6, 5), date(2020, 6, 5))
    body = render_dynamic(USD, date(2020, 6, 5), date(2020, 6, 5), record_2020)
    assert b"VunitRate" not in body
    assert b"<Value>69,0151</Value></Record>" in body


# --------------------------------------------------------------------------- the samples


def test_default_samples_dir_is_the_repository_folder() -> None:
    assert DEFAULT_SAMPLES_DIR == SAMPLES
    assert CbrArchive.load().folder == SAMPLES


SAMPLE_FILES = [
    "XML_dynamic_R01235.xml",
    "XML_dynamic_R01239.xml",
    "XML_dynamic_R01375.xml",
    "xml_metall.xml",
    "XML_valFull.xml",
    "XML_daily_17.03.2026.xml",
    "XML_daily_18.03.2026.xml",
    "XML_daily_19.03.2026.xml",
]


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_files_have_the_bank_byte_format(name: str) -> None:
    body = (SAMPLES / name).read_bytes()
    assert body.startswith(XML_DECLARATION.encode())
    assert b"\n" not in body and b"\r" not in body
    text = body.decode("windows-1251")
    assert not re.search(r"<(Value|VunitRate|Buy|Sell)>[^<]*\.", text)  # decimal commas only
    for value in re.findall(r"<Value>([^<]*)</Value>", text):
        assert re.fullmatch(r"\d+,\d{4}", value), value


def test_real_lists_and_catalogue_are_copied_verbatim() -> None:
    assert (SAMPLES / "XML_daily_17.03.2026.xml").read_bytes() == fixture(DAILY_17)
    assert (SAMPLES / "XML_daily_18.03.2026.xml").read_bytes() == fixture(
        "XML_daily_nodate_recorded_2026-03-17T15-51Z_Date_18.03.2026.xml"
    )
    assert (SAMPLES / "XML_daily_19.03.2026.xml").read_bytes() == fixture(DAILY_19)
    assert (SAMPLES / "XML_valFull.xml").read_bytes() == fixture("pycbrf_XML_valFull_d0.xml")


def _records(name: str) -> dict[date, tuple[int, Decimal, bool]]:
    parsed = parse_dynamic_rates((SAMPLES / name).read_bytes())
    return {r.record_date: (r.nominal, r.value, r.vunit_rate_served) for r in parsed.records}


def test_sample_usd() -> None:
    usd = _records("XML_dynamic_R01235.xml")
    assert usd[date(2020, 4, 7)] == (1, Decimal("76.4074"), False)  # kirill_murashev
    assert usd[date(2020, 6, 5)] == (1, Decimal("69.0151"), False)
    assert usd[date(2020, 6, 6)] == (1, Decimal("68.6319"), False)
    assert usd[date(2020, 10, 31)] == (1, Decimal("79.3323"), False)
    assert usd[date(2025, 12, 2)] == (1, Decimal("77.7027"), True)  # babki_fixtures
    assert usd[date(2025, 12, 5)] == (1, Decimal("76.9708"), True)
    assert usd[date(2026, 3, 6)] == (1, Decimal("78.19"), True)  # frankfurter
    assert usd[date(2026, 3, 19)] == (1, Decimal("83.1259"), True)
    # 01-04.04.2020 were non-working days: the 28.03 record stayed in force (sovcom forward-fills)
    assert not any(date(2020, 4, 1) <= d <= date(2020, 4, 6) for d in usd)
    assert date(2026, 3, 10) not in usd  # after the 9 March holiday
    assert _count(usd, 2020) == 145 and _count(usd, 2025) == 4 and _count(usd, 2026) == 12


def test_sample_eur() -> None:
    eur = _records("XML_dynamic_R01239.xml")
    assert eur[date(2020, 4, 7)] == (1, Decimal("82.6346"), False)  # sovcom
    assert eur[date(2020, 6, 5)] == (1, Decimal("77.3245"), False)
    assert eur[date(2020, 10, 31)] == (1, Decimal("92.6284"), False)
    assert eur[date(2025, 12, 5)] == (1, Decimal("89.9011"), True)  # seed header
    assert eur[date(2026, 3, 17)] == (1, Decimal("92.6555"), True)  # frankfurter
    assert eur[date(2026, 3, 19)] == (1, Decimal("94.6663"), True)
    assert _count(eur, 2020) == 145 and _count(eur, 2025) == 1 and _count(eur, 2026) == 12


def test_sample_cny() -> None:
    cny = _records("XML_dynamic_R01375.xml")
    assert cny[date(2020, 4, 7)] == (10, Decimal("107.725"), False)  # sovcom, per 10 yuan
    assert cny[date(2020, 6, 5)] == (10, Decimal("96.9068"), False)
    assert cny[date(2020, 10, 31)] == (10, Decimal("118.403"), False)
    assert cny[date(2026, 3, 17)] == (1, Decimal("11.7441"), True)  # real daily lists
    assert cny[date(2026, 3, 18)] == (1, Decimal("11.8865"), True)
    assert cny[date(2026, 3, 19)] == (1, Decimal("12.1155"), True)
    assert _count(cny, 2020) == 145 and _count(cny, 2025) == 0 and _count(cny, 2026) == 3


def test_sample_metals() -> None:
    parsed = parse_metal_prices((SAMPLES / "xml_metall.xml").read_bytes())
    prices = {(m.record_date, m.metal): m.buy for m in parsed.records}
    assert all(m.buy == m.sell for m in parsed.records)
    assert prices[(date(2020, 6, 5), "gold")] == Decimal("3786.42")  # vikazhabskaya = gold.csv
    assert prices[(date(2020, 6, 5), "silver")] == Decimal("39.39")
    assert prices[(date(2020, 6, 5), "platinum")] == Decimal("1848.33")
    assert prices[(date(2020, 6, 5), "palladium")] == Decimal("4326.83")
    assert (date(2020, 9, 12), "silver") not in prices  # blanked cell left out
    assert prices[(date(2020, 9, 12), "gold")] == Decimal("4681.88")
    assert prices[(date(2025, 12, 5), "gold")] == Decimal("10419.09")  # seed header
    assert prices[(date(2025, 12, 5), "platinum")] == Decimal("4073.3")
    assert prices[(date(2026, 3, 4), "silver")] == Decimal("236.1")  # frankfurter
    assert min(d for d, _ in prices) == date(2020, 4, 30)
    counts = {}
    for record in parsed.records:
        key = (record.record_date.year, record.metal)
        counts[key] = counts.get(key, 0) + 1
    assert counts == {
        (2020, "gold"): 124,
        (2020, "silver"): 121,
        (2020, "platinum"): 124,
        (2020, "palladium"): 120,
        (2025, "gold"): 1,
        (2025, "silver"): 1,
        (2025, "platinum"): 1,
        (2025, "palladium"): 1,
        (2026, "gold"): 3,
        (2026, "silver"): 3,
        (2026, "platinum"): 3,
        (2026, "palladium"): 3,
    }


def _count(records: dict[date, tuple[int, Decimal, bool]], year: int) -> int:
    return sum(1 for d in records if d.year == year)


def test_archive_merges_real_lists(archive: CbrArchive) -> None:
    assert set(archive.daily_lists) == {date(2026, 3, 17), date(2026, 3, 18), date(2026, 3, 19)}
    irr = archive.dynamic("R01300", date(2026, 3, 1), date(2026, 3, 31))
    assert [r.record_date.day for r in irr] == [17, 18, 19]
    assert len(archive.dynamic(USD, date(2020, 1, 1), date(2026, 12, 31))) == 161
    assert archive.list_date(None) == date(2026, 3, 19)


# --------------------------------------------------------------------------- the server


def test_dynamic_range_through_the_client(client: CbrClient) -> None:
    answer = client.dynamic_rates(USD, date(2026, 3, 1), date(2026, 3, 10))
    assert answer.currency_id == USD
    assert (answer.range_start, answer.range_end) == (date(2026, 3, 1), date(2026, 3, 10))
    assert [r.record_date.day for r in answer.records] == [3, 4, 5, 6, 7]
    assert answer.records[3].value == Decimal("78.1900")

    old = client.dynamic_rates(CNY, date(2020, 5, 30), date(2020, 6, 6))
    assert [(r.record_date.day, r.nominal, r.value) for r in old.records][-2:] == [
        (5, 10, Decimal("96.9068")),
        (6, 10, Decimal("96.8447")),
    ]
    assert not any(r.vunit_rate_served for r in old.records)


def test_server_answers_real_requests_with_real_bytes(client: CbrClient) -> None:
    params = {"date_req1": "01/03/2026", "date_req2": "17/03/2026", "VAL_NM_RQ": USD}
    body, _ = client.get("XML_dynamic.asp", params)
    assert body == fixture(USD_MARCH_17)
    body, _ = client.get("xml_metall.asp", {"date_req1": "01/03/2026", "date_req2": "05/03/2026"})
    assert body == fixture(METALS_MARCH)
    body, _ = client.get("XML_daily.asp", {"date_req": "17/03/2026"})
    assert body == fixture(DAILY_17)


def test_metals_through_the_client(client: CbrClient) -> None:
    answer = client.metal_prices(date(2025, 12, 1), date(2025, 12, 7))
    assert answer.range_start == date(2025, 12, 1) and answer.range_end == date(2025, 12, 7)
    assert [(m.metal, m.buy) for m in answer.records] == [
        ("gold", Decimal("10419.09")),
        ("silver", Decimal("144.43")),
        ("platinum", Decimal("4073.3")),
        ("palladium", Decimal("3590.74")),
    ]


def test_sunday_daily_returns_saturday_list(client: CbrClient) -> None:
    sunday = client.daily_rates(date(2020, 6, 7))
    assert sunday.list_date == date(2020, 6, 6)
    rates = {r.currency_code: r for r in sunday.rates}
    assert set(rates) == {"USD", "EUR", "CNY"}
    assert rates["USD"].value == Decimal("68.6319")
    assert rates["USD"].num_code == "840" and rates["USD"].name == "Доллар США"
    assert (rates["CNY"].nominal, rates["CNY"].value) == (10, Decimal("96.8447"))
    assert not any(r.vunit_rate_served for r in sunday.rates)

    march = client.daily_rates(date(2026, 3, 8))  # Sunday; no CNY figure exists for 07.03
    assert march.list_date == date(2026, 3, 7)
    assert {r.currency_code: r.value for r in march.rates} == {
        "USD": Decimal("79.15"),
        "EUR": Decimal("91.8391"),
    }
    assert all(r.vunit_rate_served for r in march.rates)


def test_daily_real_list_and_latest(client: CbrClient, server: CbrReplayServer) -> None:
    sunday_after = client.daily_rates(date(2026, 3, 22))
    assert sunday_after.list_date == date(2026, 3, 19)
    assert len(sunday_after.rates) == 54
    body, _ = client.get("XML_daily.asp")  # no date_req: the latest list
    assert body == fixture(DAILY_19)


def test_empty_answers(client: CbrClient, server: CbrReplayServer) -> None:
    empty = client.dynamic_rates(USD, date(2021, 1, 1), date(2021, 1, 31))
    assert empty.records == ()
    assert (empty.range_start, empty.range_end) == (date(2021, 1, 1), date(2021, 1, 31))
    body, _ = client.get(
        "XML_dynamic.asp", {"date_req1": "01/01/2021", "date_req2": "31/01/2021", "VAL_NM_RQ": USD}
    )
    assert (
        body
        == (
            XML_DECLARATION
            + '<ValCurs ID="R01235" DateRange1="01.01.2021" DateRange2="31.01.2021" '
            'name="Foreign Currency Market Dynamic"></ValCurs>'
        ).encode()
    )
    assert client.dynamic_rates("R01300", date(2020, 1, 1), date(2020, 12, 31)).records == ()
    metals = client.metal_prices(date(2026, 3, 6), date(2026, 3, 19))
    assert metals.records == () and metals.range_start == date(2026, 3, 6)
    before = client.daily_rates(date(2019, 1, 1))
    assert before.list_date == date(2019, 1, 1) and before.rates == ()


def test_literal_slash_and_percent_2f(server: CbrReplayServer) -> None:
    base = f"{server.url}/scripts/XML_dynamic.asp?VAL_NM_RQ=R01235&"
    literal = requests.get(base + "date_req1=01/03/2026&date_req2=17/03/2026", timeout=5)
    encoded = requests.get(base + "date_req1=01%2F03%2F2026&date_req2=17%2F03%2F2026", timeout=5)
    assert literal.status_code == encoded.status_code == 200
    assert literal.content == encoded.content == fixture(USD_MARCH_17)
    assert literal.headers["Content-Type"] == CONTENT_TYPE
    assert "01/03/2026" in server.requests[-2] and "01%2F03%2F2026" in server.requests[-1]


def test_errors(client: CbrClient, server: CbrReplayServer) -> None:
    body, _ = client.get("XML_daily.asp", {"date_req": "2026-03-17"})
    assert body == ERROR_BODY
    body, _ = client.get("XML_dynamic.asp", {"date_req1": "01/03/2026"})  # no date_req2, ID
    assert body == ERROR_BODY
    body, _ = client.get("xml_metall.asp", {"date_req1": "x", "date_req2": "y"})
    assert body == ERROR_BODY
    with pytest.raises(CbrBadResponse):  # the product's parsers refuse the error body
        parse_metal_prices(body)
    with pytest.raises(CbrBadResponse):
        parse_daily_rates(ERROR_BODY)
    # a reversed range is not an error: nothing is dated inside it
    assert client.metal_prices(date(2026, 3, 5), date(2026, 3, 1)).records == ()
    with pytest.raises(CbrHttpError) as info:
        client.get("XML_nonexistent.asp")
    assert info.value.status == 404
    with pytest.raises(CbrHttpError):
        client.get("XML_valFull.asp", {"d": "1"})  # monthly catalogue is not bundled


def test_catalogue_and_currency_ids(client: CbrClient) -> None:
    assert client.currency_ids(["USD", "EUR", "CNY"]) == {"USD": USD, "EUR": EUR, "CNY": CNY}
    body, _ = client.get("XML_valFull.asp")
    assert body == fixture("pycbrf_XML_valFull_d0.xml")


def test_requests_are_counted_and_paths_case_insensitive(archive: CbrArchive) -> None:
    with CbrReplayServer(archive) as server, CbrClient(server.url, min_interval=0) as client:
        client.get("xml_daily.asp", {"date_req": "17/03/2026"})
        client.get("XML_DAILY.ASP", {"DATE_REQ": "17/03/2026"})
        assert server.requests == [
            "/scripts/xml_daily.asp?date_req=17%2F03%2F2026",
            "/scripts/XML_DAILY.ASP?DATE_REQ=17%2F03%2F2026",
        ]
        assert client.requests_made == 2
    with pytest.raises(RuntimeError):
        _ = server.url  # stopped


def test_latency_and_concurrency(archive: CbrArchive) -> None:
    with CbrReplayServer(archive, latency=0.3) as server:
        url = f"{server.url}/scripts/XML_daily.asp?date_req=18/03/2026"
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda _: requests.get(url, timeout=5), range(4)))
        elapsed = time.monotonic() - started
    assert all(a.status_code == 200 for a in answers)
    assert 0.3 <= elapsed < 1.0  # answered in parallel
    assert len(server.requests) == 4
