"""What `tpw demo` loads from the bundled samples and the queries it shows afterwards."""

from __future__ import annotations

from datetime import date

from orchestration.runner import LoadWindow

# The bundled samples hold real figures only in these windows (see data/samples/cbr/README.md).
DEMO_WINDOWS = (
    LoadWindow(date(2020, 5, 1), date(2020, 10, 31)),
    LoadWindow(date(2025, 12, 5), date(2025, 12, 5)),
    LoadWindow(date(2026, 3, 3), date(2026, 3, 5)),
    LoadWindow(date(2026, 3, 6), date(2026, 3, 19), assets=("cbr_rates",)),
)

DEMO_CURRENCIES = ("USD", "EUR", "CNY")

DEMO_QUERIES = (
    "select rate_date, currency_code, nominal, value_rub, rub_per_unit, set_on_date "
    "from marts.fx_rates where currency_code = 'USD' order by rate_date desc limit 5",
    "select region, product, share, countries, total_export_rub, export_growth "
    "from marts.exports_by_region where period_start = '2020-01-01' order by region",
    "select quote_date, instrument, value, official_value, matches from marts.ticker_quotes "
    "order by instrument",
)
