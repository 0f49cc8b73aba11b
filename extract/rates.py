"""Official rates and metal prices in force per calendar day, fetched in ranges.

A Bank of Russia record dated D is in force from D until the next record: a Sunday carries
Saturday's record, a holiday the last record before it. For a range of days these functions ask
for whole ranges (one ``XML_dynamic`` request per currency, one ``xml_metall`` request for all
metals), starting ``LOOKBACK_DAYS`` before the range because the Bank omits the record that is
already in force on the first day. A single day is cheaper with one ``XML_daily`` list.

The frames returned have one row per calendar day and series, with the record's own date in
``record_date``, so each day can be stored, and replaced, on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from extract.cbr import CbrBadResponse, CbrClient, MetalRecord, RateRecord

log = logging.getLogger(__name__)

# The longest stretch without a record is the New Year break (about 12 days); 21 covers it.
LOOKBACK_DAYS = 21
# Asked once more, further back, for a series that had no record in the first lookback.
EXTENDED_LOOKBACK_DAYS = 120

RATES_SCHEMA: dict[str, pl.DataType] = {
    "rate_date": pl.Date(),
    "currency_code": pl.String(),
    "currency_id": pl.String(),
    "record_date": pl.Date(),
    "nominal": pl.Int32(),
    "value": pl.Decimal(18, 4),
    "vunit_rate": pl.Decimal(28, 12),
    "source_url": pl.String(),
}
"""Columns of :func:`fetch_rates_in_force` (and of ``raw.cbr_rates`` without ``loaded_at``)."""

METALS_SCHEMA: dict[str, pl.DataType] = {
    "price_date": pl.Date(),
    "metal_code": pl.Int32(),
    "metal": pl.String(),
    "record_date": pl.Date(),
    "buy": pl.Decimal(18, 2),
    "sell": pl.Decimal(18, 2),
    "source_url": pl.String(),
}
"""Columns of :func:`fetch_metal_prices_in_force` (``raw.cbr_metal_prices`` less ``loaded_at``)."""


def calendar(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    if end < start:
        raise ValueError(f"range ends ({end}) before it starts ({start})")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def in_force(
    records: pl.DataFrame, days: Sequence[date], *, by: str, day_column: str
) -> pl.DataFrame:
    """For each day and each ``by`` series, the latest record dated on or before that day.

    ``records`` needs ``record_date`` and the ``by`` column. Days before a series' first record
    get no row.
    """
    if records.is_empty():
        return records.clear().with_columns(pl.lit(None, pl.Date).alias(day_column))
    series = records.select(by).unique()
    grid = series.join(pl.DataFrame({day_column: days}, schema={day_column: pl.Date}), how="cross")
    joined = grid.sort(day_column).join_asof(
        records.sort("record_date"),
        left_on=day_column,
        right_on="record_date",
        by=by,
        strategy="backward",
        check_sortedness=False,
    )
    return joined.filter(pl.col("record_date").is_not_null())


def _stored_exactly(
    value: Decimal, column: str, schema: dict[str, pl.DataType], where: str, url: str
) -> Decimal:
    """``value`` if the frame's Decimal column holds it as is; polars would otherwise round it
    silently (too many decimals) or fail with a long traceback (too many digits): refused."""
    dtype = schema[column]
    assert isinstance(dtype, pl.Decimal) and dtype.precision is not None
    scale, precision = dtype.scale, dtype.precision
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if (
        not value.is_finite()
        or not isinstance(exponent, int)
        or -exponent > scale
        or (normal.adjusted() + 1 > precision - scale and normal != 0)
    ):
        raise CbrBadResponse(
            f"{column} of {where} cannot be stored as is: {value} (at most "
            f"{precision - scale} integer digits and {scale} decimals) in the answer for {url}"
        )
    return value


def _rate_rows(records: Iterable[RateRecord], code: str, url: str) -> list[dict[str, object]]:
    return [_checked_rate_row(r, code, url) for r in records]


def _checked_rate_row(r: RateRecord, code: str, url: str) -> dict[str, object]:
    where = f"{code} on {r.record_date:%d.%m.%Y}"
    return {
        "currency_code": code,
        "currency_id": r.currency_id,
        "record_date": r.record_date,
        "nominal": r.nominal,
        "value": _stored_exactly(r.value, "value", RATES_SCHEMA, where, url),
        "vunit_rate": _stored_exactly(r.vunit_rate, "vunit_rate", RATES_SCHEMA, where, url),
        "source_url": url,
    }


def fetch_rates_in_force(
    client: CbrClient, currency_codes: Sequence[str], start: date, end: date
) -> pl.DataFrame:
    """Rates in force on each day ``start``..``end`` for the ISO codes given (see module doc)."""
    days = calendar(start, end)
    rows: list[dict[str, object]] = []
    if len(days) == 1:
        daily = client.daily_rates(start)
        url = _last_url(client, "XML_daily.asp")
        if daily.list_date > start:
            log.warning(
                "asked the list for %s, the Bank answered %s; ignored", start, daily.list_date
            )
        else:
            wanted = {code.upper() for code in currency_codes}
            for record in daily.rates:
                if record.currency_code in wanted:
                    rows.extend(_rate_rows([record], record.currency_code or "", url))
    else:
        for code, currency_id in client.currency_ids(currency_codes).items():
            rows.extend(_fetch_currency(client, code, currency_id, start, end))
    frame = pl.DataFrame(rows, schema={k: v for k, v in RATES_SCHEMA.items() if k != "rate_date"})
    result = in_force(frame, days, by="currency_code", day_column="rate_date")
    _warn_missing(result, "rate_date", "currency_code", currency_codes, days)
    return result.select(list(RATES_SCHEMA)).sort("rate_date", "currency_code")


def _fetch_currency(
    client: CbrClient, code: str, currency_id: str, start: date, end: date
) -> list[dict[str, object]]:
    first = start - timedelta(days=LOOKBACK_DAYS)
    answer = client.dynamic_rates(currency_id, first, end)
    url = _last_url(client, "XML_dynamic.asp")
    records = [r for r in answer.records if first <= r.record_date <= end]
    rows = _rate_rows(records, code, url)
    if not any(r.record_date <= start for r in records):
        earlier = start - timedelta(days=EXTENDED_LOOKBACK_DAYS)
        older = client.dynamic_rates(currency_id, earlier, first - timedelta(days=1))
        older_url = _last_url(client, "XML_dynamic.asp")
        kept = [r for r in older.records if earlier <= r.record_date < first]
        if kept:
            rows = _rate_rows(kept[-1:], code, older_url) + rows
    return rows


def fetch_metal_prices_in_force(client: CbrClient, start: date, end: date) -> pl.DataFrame:
    """Metal prices (RUB per gram) in force on each day ``start``..``end``."""
    days = calendar(start, end)
    first = start - timedelta(days=LOOKBACK_DAYS)
    answer = client.metal_prices(first, end)
    url = _last_url(client, "xml_metall.asp")
    records = [r for r in answer.records if first <= r.record_date <= end]
    rows = _metal_rows(records, url)
    have_opening = {r.metal for r in records if r.record_date <= start}
    if len(have_opening) < 4:
        earlier = start - timedelta(days=EXTENDED_LOOKBACK_DAYS)
        older = client.metal_prices(earlier, first - timedelta(days=1))
        older_url = _last_url(client, "xml_metall.asp")
        latest: dict[str, MetalRecord] = {}
        for record in older.records:
            if earlier <= record.record_date < first and record.metal not in have_opening:
                latest[record.metal] = record
        rows = _metal_rows(latest.values(), older_url) + rows
    frame = pl.DataFrame(rows, schema={k: v for k, v in METALS_SCHEMA.items() if k != "price_date"})
    result = in_force(frame, days, by="metal", day_column="price_date")
    _warn_missing(result, "price_date", "metal", ["gold", "silver", "platinum", "palladium"], days)
    return result.select(list(METALS_SCHEMA)).sort("price_date", "metal_code")


def _metal_rows(records: Iterable[MetalRecord], url: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for r in records:
        where = f"{r.metal} on {r.record_date:%d.%m.%Y}"
        rows.append(
            {
                "metal_code": r.metal_code,
                "metal": r.metal,
                "record_date": r.record_date,
                "buy": _stored_exactly(r.buy, "buy", METALS_SCHEMA, where, url),
                "sell": _stored_exactly(r.sell, "sell", METALS_SCHEMA, where, url),
                "source_url": url,
            }
        )
    return rows


def _last_url(client: CbrClient, script: str) -> str:
    return client.last_url or f"{client.base_url}/scripts/{script}"


def _warn_missing(
    frame: pl.DataFrame,
    day_column: str,
    series_column: str,
    wanted: Iterable[str],
    days: list[date],
) -> None:
    for series in wanted:
        have = frame.filter(pl.col(series_column) == series).height
        if have < len(days):
            log.warning(
                "%s: no official figure in force on %d of %d days from %s to %s",
                series,
                len(days) - have,
                len(days),
                days[0],
                days[-1],
            )
