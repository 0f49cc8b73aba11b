"""The Bank of Russia parsers on real response bytes, and on the bodies they must refuse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extract.cbr import (
    CbrBadResponse,
    parse_currency_catalogue,
    parse_daily_rates,
    parse_decimal,
    parse_dynamic_rates,
    parse_metal_prices,
)
from tests.conftest import cbr_fixture

DAILY_17_03_2026 = "XML_daily_date_req_17-03-2026_recorded_2026-03-17T15-07Z_Date_17.03.2026.xml"
DAILY_18_03_2026 = "XML_daily_nodate_recorded_2026-03-17T15-51Z_Date_18.03.2026.xml"
DAILY_NO_VUNITRATE = "XML_daily_2023-09-27_vital228_no_VunitRate.xml"
DYNAMIC_USD = "XML_dynamic_R01235_USD_2026-03-01_2026-03-17.xml"
DYNAMIC_IRR = "XML_dynamic_R01300_IRR_2026-03-01_2026-03-17.xml"
METALS = "xml_metall_2026-03-01_2026-03-05.xml"
CATALOGUE = "pycbrf_XML_valFull_d0.xml"


def by_code(rates):
    return {r.currency_code: r for r in rates}


def test_daily_list_is_windows_1251_with_decimal_commas_and_nominals() -> None:
    body = cbr_fixture(DAILY_18_03_2026)
    assert body.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    daily = parse_daily_rates(body)
    assert daily.list_date == date(2026, 3, 18)
    assert len(daily.rates) == 54
    rates = by_code(daily.rates)
    assert rates["USD"].value == Decimal("81.9103")
    assert rates["USD"].name == "Доллар США"  # decoded from windows-1251
    assert rates["EUR"].value == Decimal("93.1557")
    assert rates["JPY"].nominal == 100
    assert rates["JPY"].vunit_rate == Decimal("0.514092")
    assert rates["VND"].nominal == 10000


def test_vunit_rate_in_scientific_notation() -> None:
    irr = by_code(parse_daily_rates(cbr_fixture(DAILY_18_03_2026)).rates)["IRR"]
    assert irr.nominal == 1_000_000
    assert irr.value == Decimal("58.8139")
    assert irr.vunit_rate == Decimal("0.0000588139")
    assert irr.vunit_rate == irr.value / irr.nominal


def test_missing_vunit_rate_is_value_over_nominal() -> None:
    daily = parse_daily_rates(cbr_fixture(DAILY_NO_VUNITRATE))
    assert daily.list_date == date(2023, 9, 27)
    rates = by_code(daily.rates)
    assert rates["USD"].value == Decimal("96.2378")
    assert not rates["USD"].vunit_rate_served
    jpy = rates["JPY"]
    assert jpy.vunit_rate == jpy.value / 100


def test_the_date_inside_the_response_is_authoritative() -> None:
    # Asked for 17.03.2026 at 18:51 MSK without a date: the Bank answered the 18.03 list.
    assert parse_daily_rates(cbr_fixture(DAILY_18_03_2026)).list_date == date(2026, 3, 18)
    assert parse_daily_rates(cbr_fixture(DAILY_17_03_2026)).list_date == date(2026, 3, 17)


def test_dynamic_range_has_gaps_and_omits_the_rate_in_force_at_the_start() -> None:
    dynamic = parse_dynamic_rates(cbr_fixture(DYNAMIC_USD))
    assert dynamic.currency_id == "R01235"
    assert (dynamic.range_start, dynamic.range_end) == (date(2026, 3, 1), date(2026, 3, 17))
    dates = [r.record_date for r in dynamic.records]
    assert dates[0] == date(2026, 3, 3)  # nothing for 1-2 March
    assert date(2026, 3, 10) not in dates  # no rate set on the 9 March holiday
    assert {r.record_date: r.value for r in dynamic.records}[date(2026, 3, 6)] == Decimal("78.19")
    assert all(r.currency_code is None for r in dynamic.records)


def test_dynamic_scientific_vunit_rate() -> None:
    record = parse_dynamic_rates(cbr_fixture(DYNAMIC_IRR)).records[0]
    assert record.nominal == 1_000_000
    assert record.vunit_rate == Decimal("5.88139E-05")


def test_metal_prices_codes_and_trimmed_decimals() -> None:
    metals = parse_metal_prices(cbr_fixture(METALS))
    assert (metals.range_start, metals.range_end) == (date(2026, 3, 1), date(2026, 3, 5))
    assert len(metals.records) == 12
    prices = {(r.record_date, r.metal): r for r in metals.records}
    assert prices[(date(2026, 3, 3), "gold")].sell == Decimal("12957.47")
    assert prices[(date(2026, 3, 4), "silver")].sell == Decimal("236.1")
    assert {r.metal for r in metals.records} == {"gold", "silver", "platinum", "palladium"}


def test_catalogue_maps_iso_codes_to_bank_ids() -> None:
    currencies = parse_currency_catalogue(cbr_fixture(CATALOGUE))
    ids = {c.iso_code: c.currency_id for c in currencies if c.iso_code}
    assert ids["USD"] == "R01235"
    assert ids["EUR"] == "R01239"
    assert ids["CNY"] == "R01375"
    azn = next(c for c in currencies if c.currency_id == "R01020A")
    assert azn.parent_code == "R01020"  # right-padded with spaces in the file


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (
            b"<!DOCTYPE html><html><head><title>DDoS-Guard</title></head><body>Checking your "
            b"browser</body></html>",
            "HTML page instead of XML",
        ),
        (cbr_fixture(DYNAMIC_USD)[:700], "malformed or truncated XML"),
        (b'<?xml version="1.0"?><Metall FromDate="20260301" ToDate="20260305"/>', "<Metall>"),
        (
            b"<ValCurs><Record Date='03.03.2026'><Nominal>1</Nominal></Record></ValCurs>",
            "daily list",
        ),
    ],
)
def test_bodies_that_are_not_the_expected_document(body: bytes, message: str) -> None:
    with pytest.raises(CbrBadResponse, match=message):
        parse_dynamic_rates(body, source="XML_dynamic.asp?VAL_NM_RQ=R01235")


def test_error_names_the_request() -> None:
    with pytest.raises(CbrBadResponse, match=r"for XML_daily.asp\?date_req=05/12/2025"):
        parse_daily_rates(
            b"<html><body>blocked</body></html>", source="XML_daily.asp?date_req=05/12/2025"
        )


@pytest.mark.parametrize(
    "value",
    ["abc", "", "NaN", "Infinity"],
)
def test_values_that_are_not_numbers(value: str) -> None:
    with pytest.raises(CbrBadResponse):
        parse_decimal(value)


def test_zero_nominal_is_refused() -> None:
    body = (
        '<?xml version="1.0" encoding="windows-1251"?><ValCurs Date="03.03.2026" name="x">'
        '<Valute ID="R01235"><NumCode>840</NumCode><CharCode>USD</CharCode><Nominal>0</Nominal>'
        "<Name>Доллар США</Name><Value>77,1734</Value></Valute></ValCurs>"
    ).encode("cp1251")
    with pytest.raises(CbrBadResponse, match="Nominal"):
        parse_daily_rates(body)


def test_empty_daily_list_is_a_valid_answer() -> None:
    body = (
        b'<?xml version="1.0" encoding="windows-1251"?>'
        b'<ValCurs Date="01.01.2027" name="Foreign Currency Market"></ValCurs>'
    )
    daily = parse_daily_rates(body)
    assert daily.rates == ()
