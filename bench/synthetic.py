"""Synthetic but realistically shaped Bank of Russia history, for speed measurements only.

The values are random walks, not official figures: they are never written into data/samples and
BENCHMARKS.md says so. What is realistic is the shape and the volume: the Bank's record-date
calendar (records dated Tuesday to Saturday, none in the New Year break nor on the day after a
public holiday), the Bank's nominals (JPY per 100, KZT per 100, CNY per 10 until 2021 then per 1),
4-decimal ``Value``s, ``VunitRate`` served from 2024 only, metal prices with 2 decimals and
Buy == Sell, metals from 2008-07-01 (where the Bank's ``xml_metall`` series starts).
"""

from __future__ import annotations

import bisect
import math
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from extract.cbr import METALS, MetalRecord, RateRecord, parse_currency_catalogue
from extract.cbr_replay import CATALOGUE_FILE, DEFAULT_SAMPLES_DIR, CbrArchive

HISTORY_START = date(1998, 1, 1)
HISTORY_END = date(2025, 12, 31)
METALS_START = date(2008, 7, 1)
# Records start before the history so the first day of a backfill has a record in force.
RECORDS_START = date(1997, 11, 1)
# The nightly benchmark loads the day after the history; the archive goes a little beyond it.
RECORDS_END = date(2026, 1, 31)
VUNIT_RATE_FROM = date(2024, 1, 1)

# The Bank's catalogue ID, nominal and a rough rouble price of one unit at the start (1998) and
# the end (2025) of the history. Nominal changes are listed in NOMINAL_CHANGES.
CURRENCIES: dict[str, tuple[str, int, float, float]] = {
    "USD": ("R01235", 1, 5.96, 80.0),
    "EUR": ("R01239", 1, 6.6, 93.0),
    "CNY": ("R01375", 10, 0.72, 11.0),
    "GBP": ("R01035", 1, 9.8, 107.0),
    "JPY": ("R01820", 100, 0.046, 0.52),
    "CHF": ("R01775", 1, 4.1, 99.0),
    "AUD": ("R01010", 1, 3.9, 52.0),
    "CAD": ("R01350", 1, 4.2, 57.0),
    "KZT": ("R01335", 100, 0.078, 0.155),
    "BYN": ("R01090B", 1, 2.4, 27.0),
    "UAH": ("R01720", 10, 3.2, 1.9),
    "TRY": ("R01700J", 1, 3.5, 1.9),
    "INR": ("R01270", 100, 0.15, 0.93),
    "HKD": ("R01200", 10, 0.77, 10.3),
    "SGD": ("R01625", 1, 3.6, 61.0),
    "SEK": ("R01770", 10, 0.75, 8.4),
    "NOK": ("R01535", 10, 0.8, 7.8),
    "DKK": ("R01215", 10, 0.87, 12.4),
    "PLN": ("R01565", 1, 1.7, 22.0),
    "CZK": ("R01760", 10, 0.18, 3.8),
    "HUF": ("R01135", 100, 0.029, 0.24),
    "BGN": ("R01100", 1, 3.3, 47.0),
    "RON": ("R01585F", 1, 1.9, 18.3),
    "BRL": ("R01115", 1, 5.3, 14.5),
    "ZAR": ("R01810", 10, 1.2, 4.5),
    "KRW": ("R01815", 1000, 0.004, 0.056),
    "AMD": ("R01060", 1000, 0.0118, 0.21),
    "AZN": ("R01020A", 1, 1.5, 47.0),
    "KGS": ("R01370", 100, 0.33, 0.92),
    "UZS": ("R01717", 1000, 0.075, 0.0067),
}
NOMINAL_CHANGES: dict[str, tuple[date, int]] = {"CNY": (date(2022, 1, 1), 1)}
# RUB per gram at the start (2008-07) and the end (2025) of the metals history.
METAL_PRICES: dict[int, tuple[float, float]] = {
    1: (720.0, 10400.0),  # gold
    2: (14.0, 145.0),  # silver
    3: (1500.0, 4000.0),  # platinum
    4: (340.0, 3500.0),  # palladium
}
# Record dates the Bank skips: the day after these public holidays (month, day).
HOLIDAY_FOLLOWERS = {(2, 24), (3, 9), (5, 2), (5, 3), (5, 10), (6, 13), (11, 5)}


def record_dates(start: date = RECORDS_START, end: date = RECORDS_END) -> list[date]:
    """The Bank's record dates: Tuesday-Saturday, no New Year break, no day after a holiday."""
    days = []
    day = start
    while day <= end:
        if (
            day.isoweekday() in (2, 3, 4, 5, 6)
            and not (day.month == 1 and day.day <= 10)
            and (day.month, day.day) not in HOLIDAY_FOLLOWERS
        ):
            days.append(day)
        day += timedelta(days=1)
    return days


def _walk(rng: random.Random, steps: int, first: float, last: float, sigma: float) -> list[float]:
    """A geometric random walk from ``first`` to ``last``, ``sigma`` per step (a Brownian bridge
    in log space, so the ends are where the real series' are)."""
    noise = [0.0]
    for _ in range(steps - 1):
        noise.append(noise[-1] + rng.gauss(0.0, sigma))
    span = max(steps - 1, 1)
    drift = math.log(last / first) / span
    return [
        math.exp(math.log(first) + i * drift + noise[i] - noise[-1] * i / span)
        for i in range(steps)
    ]


def currency_records(
    code: str, dates: list[date], seed: int = 0, start: date | None = None
) -> list[RateRecord]:
    """One currency's records on ``dates`` (from ``start`` if given)."""
    currency_id, nominal, first, last = CURRENCIES[code]
    rng = random.Random(f"{seed}-{code}")
    dates = [d for d in dates if start is None or d >= start]
    units = _walk(rng, len(dates), first, last, 0.006)
    change = NOMINAL_CHANGES.get(code)
    records = []
    for day, unit in zip(dates, units, strict=True):
        this_nominal = change[1] if change and day >= change[0] else nominal
        value = Decimal(f"{unit * this_nominal:.4f}")
        served = day >= VUNIT_RATE_FROM
        vunit = Decimal(f"{float(value) / this_nominal:.12g}") if served else value / this_nominal
        records.append(
            RateRecord(
                record_date=day,
                currency_id=currency_id,
                nominal=this_nominal,
                value=value,
                vunit_rate=vunit,
                vunit_rate_served=served,
            )
        )
    return records


def metal_records(
    dates: list[date], seed: int = 0, start: date = METALS_START
) -> list[MetalRecord]:
    """The four metals' records on ``dates`` from ``start``: RUB per gram, Buy == Sell."""
    dates = [d for d in dates if d >= start]
    by_code = {}
    for code, (first, last) in METAL_PRICES.items():
        rng = random.Random(f"{seed}-metal-{code}")
        by_code[code] = _walk(rng, len(dates), first, last, 0.012)
    records = []
    for index, day in enumerate(dates):
        for code in sorted(METALS):
            price = Decimal(f"{by_code[code][index]:.2f}")
            records.append(MetalRecord(day, code, METALS[code], price, price))
    return records


class IndexedArchive(CbrArchive):
    """A :class:`CbrArchive` whose queries bisect sorted dates instead of scanning every record,
    so the loopback server's own work stays small next to the 50 ms latency it adds."""

    def build_index(self) -> IndexedArchive:
        self._rate_dates = {
            cid: [r.record_date for r in records] for cid, records in self.rates.items()
        }
        self._metal_dates = [m.record_date for m in self.metals]
        by_day: dict[date, list[RateRecord]] = defaultdict(list)
        for currency_id in sorted(self.rates):
            for record in self.rates[currency_id]:
                by_day[record.record_date].append(record)
        self._by_day = by_day
        self._list_dates = sorted(by_day)
        return self

    def dynamic(self, currency_id: str, start: date, end: date) -> tuple[RateRecord, ...]:
        records = self.rates.get(currency_id, ())
        dates = self._rate_dates.get(currency_id, [])
        return tuple(records[bisect.bisect_left(dates, start) : bisect.bisect_right(dates, end)])

    def metal_records(self, start: date, end: date) -> tuple[MetalRecord, ...]:
        dates = self._metal_dates
        return self.metals[bisect.bisect_left(dates, start) : bisect.bisect_right(dates, end)]

    def daily_rates(self, list_date: date) -> tuple[RateRecord, ...]:
        return tuple(self._labelled(r) for r in self._by_day.get(list_date, ()))


def synthetic_archive(codes: list[str] | None = None, seed: int = 0) -> IndexedArchive:
    """An in-memory archive of ``codes`` (default: every currency above) and the four metals."""
    dates = record_dates()
    catalogue = (Path(DEFAULT_SAMPLES_DIR) / CATALOGUE_FILE).read_bytes()
    rates = {}
    for code in codes or list(CURRENCIES):
        records = currency_records(code, dates, seed)
        rates[records[0].currency_id] = tuple(records)
    archive = IndexedArchive(
        folder=Path("<synthetic>"),
        rates=rates,
        metals=tuple(metal_records(dates, seed)),
        daily_lists={},
        catalogue=catalogue,
        currencies=parse_currency_catalogue(catalogue, source=CATALOGUE_FILE),
    )
    return archive.build_index()
