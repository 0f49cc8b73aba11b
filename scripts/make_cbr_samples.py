"""Build the bundled Bank of Russia sample responses (data/samples/cbr) from real history.

A one-off, committed for provenance; nothing runs it at run or test time::

    python scripts/make_cbr_samples.py REFERENCE_FOLDER data/samples/cbr

Every figure comes from a file of the reference folder (data/samples/cbr/README.md) or, for
05.12.2025 EUR and metals, from the seed page header that quotes the Bank. Windows:

- 2020-04-01..2020-10-31: USD (kirill_murashev, record dates), EUR and CNY (sovcom, only on
  those record dates: sovcom forward-fills 01-04.04.2020), metals from 2020-04-30
  (vikazhabskaya; blanked cells left out; gold cross-checked against digitalnomadinvestor).
  No VunitRate (it did not exist yet); CNY is quoted per 10 yuan (Nominal 10).
- 2025-12-02..2025-12-05: USD (babki_fixtures); 05.12.2025 EUR and metals (seed header).
- 2026-03-03..2026-03-19: USD, EUR (frankfurter XML_dynamic 01-19.03), metals 03-05.03
  (frankfurter xml_metall), CNY 17-19.03 (the three real daily lists, also copied verbatim).

The responses are printed by :mod:`extract.cbr_replay`'s renderers and checked by re-parsing
them with the product's parsers.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import sys
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from extract.cbr import (
    METALS,
    MetalRecord,
    RateRecord,
    parse_daily_rates,
    parse_dynamic_rates,
    parse_metal_prices,
)
from extract.cbr_replay import render_dynamic, render_metals

USD, EUR, CNY = "R01235", "R01239", "R01375"
NAMES = {USD: "USD", EUR: "EUR", CNY: "CNY"}
WINDOW_2020 = (date(2020, 4, 1), date(2020, 10, 31))
METALS_2020_START = date(2020, 4, 30)
WINDOW_2025 = (date(2025, 12, 2), date(2025, 12, 5))
SEED_DAY = date(2025, 12, 5)
WINDOW_2026 = (date(2026, 3, 3), date(2026, 3, 19))
METALS_2026 = (date(2026, 3, 3), date(2026, 3, 5))
CNY_NOMINAL_2020 = 10
WINDOWS = {"2020": WINDOW_2020, "2025-12": WINDOW_2025, "2026-03": WINDOW_2026}

FRANKFURTER = "frankfurter_vcr"
DYNAMIC_2026 = {
    USD: "XML_dynamic_R01235_USD_2026-03-01_2026-03-19_recorded_2026-03-19T10-49Z.xml",
    EUR: "XML_dynamic_R01239_EUR_2026-03-01_2026-03-19_recorded_2026-03-19T10-49Z.xml",
}
DYNAMIC_2026_SHORT = {
    USD: "XML_dynamic_R01235_USD_2026-03-01_2026-03-17.xml",
    EUR: "XML_dynamic_R01239_EUR_2026-03-01_2026-03-17.xml",
}
DAILY_2026 = {
    "XML_daily_17.03.2026.xml": (
        "XML_daily_date_req_17-03-2026_recorded_2026-03-17T15-07Z_Date_17.03.2026.xml"
    ),
    "XML_daily_18.03.2026.xml": "XML_daily_nodate_recorded_2026-03-17T15-51Z_Date_18.03.2026.xml",
    "XML_daily_19.03.2026.xml": "XML_daily_nodate_recorded_2026-03-19T10-49Z_Date_19.03.2026.xml",
}
METALS_2026_FILE = "xml_metall_2026-03-01_2026-03-05.xml"
CATALOGUE = "fixtures/pycbrf_XML_valFull_d0.xml"
BABKI_USD = "babki_fixtures/dynamic_usd.xml"
METAL_COLUMNS = {1: "GOLDA", 2: "Silver", 3: "platinu", 4: "Palla"}
SEED_METALS = {1: "ЗОЛОТО", 2: "СЕРЕБРО", 3: "ПЛАТИНА", 4: "ПАЛЛАДИЙ"}


class SampleError(Exception):
    """The reference files do not support a sample as specified."""


def number(text: str) -> Decimal:
    """A reference figure (dot or comma decimals) as an exact Decimal."""
    return Decimal(text.strip().replace(",", "."))


def in_window(day: date, window: tuple[date, date]) -> bool:
    return window[0] <= day <= window[1]


def rate(currency_id: str, day: date, value: Decimal, nominal: int = 1) -> RateRecord:
    """A record as a 2020 XML_dynamic served it: no VunitRate."""
    return RateRecord(
        record_date=day,
        currency_id=currency_id,
        nominal=nominal,
        value=value,
        vunit_rate=value / nominal,
        vunit_rate_served=False,
    )


def served_rate(currency_id: str, day: date, value: Decimal) -> RateRecord:
    """A Nominal-1 record as the Bank serves it since VunitRate exists (VunitRate = Value)."""
    return RateRecord(
        record_date=day,
        currency_id=currency_id,
        nominal=1,
        value=value,
        vunit_rate=value,
        vunit_rate_served=True,
    )


def metal(day: date, code: int, price: Decimal) -> MetalRecord:
    return MetalRecord(record_date=day, metal_code=code, metal=METALS[code], buy=price, sell=price)


# --------------------------------------------------------------------------- 2020


def kirill_usd(reference: Path) -> dict[date, Decimal]:
    """USD by record date in the 2020 window (kirill_murashev/usd_rub.csv)."""
    out = {}
    with (reference / "kirill_murashev/usd_rub.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            day = datetime.strptime(row["date"], "%m/%d/%Y").date()
            if in_window(day, WINDOW_2020):
                out[day] = number(row["rate"])
    return out


def sovcom(reference: Path, name: str) -> dict[date, Decimal]:
    """A sovcom series (raw Value) in the 2020 window, by its ``updated`` date."""
    out = {}
    with (reference / "sovcom" / name).open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            day = date.fromisoformat(row["updated"])
            if in_window(day, WINDOW_2020):
                out[day] = number(row["price"])
    return out


def rates_2020(reference: Path, notes: list[str]) -> dict[str, list[RateRecord]]:
    """USD, EUR, CNY records of 2020: Kirill's record dates, sovcom's values on those dates."""
    usd = kirill_usd(reference)
    eur = sovcom(reference, "eur_quotes.csv")
    cny = sovcom(reference, "cny_quotes.csv")
    sovcom_usd = sovcom(reference, "usd_quotes.csv")
    days = sorted(usd)
    for label, series in (("EUR", eur), ("CNY", cny), ("sovcom USD", sovcom_usd)):
        missing = [d for d in days if d not in series]
        if missing:
            raise SampleError(f"{label} has no figure on USD record dates {missing}")
        extra = sorted(set(series) - set(usd))
        if extra:
            notes.append(
                f"2020: {label}: dropped {len(extra)} sovcom rows that are not record dates "
                f"(forward-filled): {', '.join(f'{d}' for d in extra)}"
            )
    mismatches = [d for d in days if sovcom_usd[d] != usd[d]]
    notes.append(
        f"2020: USD kirill vs sovcom on {len(days)} record dates: {len(mismatches)} mismatches"
    )
    if mismatches:
        raise SampleError(f"USD kirill vs sovcom mismatch on {mismatches}")
    return {
        USD: [rate(USD, d, usd[d]) for d in days],
        EUR: [rate(EUR, d, eur[d]) for d in days],
        CNY: [rate(CNY, d, cny[d], CNY_NOMINAL_2020) for d in days],
    }


def metals_2020(reference: Path, usd_days: Iterable[date], notes: list[str]) -> list[MetalRecord]:
    """All four metals from 2020-04-30 (vikazhabskaya), blanked cells left out; gold checked."""
    gold_csv: dict[date, Decimal] = {}
    with (reference / "digitalnomadinvestor/gold.csv").open(newline="", encoding="utf-8") as f:
        for day_text, price in csv.reader(f):
            day = date.fromisoformat(day_text)
            if in_window(day, (METALS_2020_START, WINDOW_2020[1])):
                gold_csv[day] = number(price)
    records = []
    blanks: list[str] = []
    gold_checked = 0
    mismatches: list[str] = []
    path = reference / "vikazhabskaya/precious_metal.csv"
    with path.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f, delimiter=";"):
            day = datetime.strptime(row["Date"].split()[0], "%d.%m.%Y").date()
            if not in_window(day, (METALS_2020_START, WINDOW_2020[1])):
                continue
            for code, column in METAL_COLUMNS.items():
                cell = (row[column] or "").strip()
                if not cell:
                    blanks.append(f"{day} {METALS[code]}")
                    continue
                price = number(cell)
                records.append(metal(day, code, price))
                if code == 1:
                    gold_checked += 1
                    if gold_csv.get(day) != price:
                        mismatches.append(f"{day}: {price} vs gold.csv {gold_csv.get(day)}")
    days = {r.record_date for r in records}
    if days != {d for d in usd_days if d >= METALS_2020_START}:
        notes.append("2020: metal record dates differ from USD record dates")
    notes.append(
        f"2020: gold vikazhabskaya vs digitalnomadinvestor gold.csv on {gold_checked} days: "
        f"{len(mismatches)} mismatches{': ' + '; '.join(mismatches) if mismatches else ''}"
    )
    notes.append(f"2020: {len(blanks)} blanked metal cells left out: {', '.join(blanks)}")
    gold_fill = [
        f"{d.split()[0]}={gold_csv.get(date.fromisoformat(d.split()[0]))}"
        for d in blanks
        if d.endswith(" gold")
    ]
    if gold_fill:
        notes.append(f"2020: gold.csv has the blanked gold days (not used): {', '.join(gold_fill)}")
    return records


# --------------------------------------------------------------------------- 2025-12


def seed_header(path: Path) -> tuple[date, dict[str, Decimal], dict[int, Decimal]]:
    """Date, USD/EUR and the four metal prices quoted in the seed page's first line."""
    line = path.read_text(encoding="utf-8").splitlines()[0]
    day_match = re.search(r"(\d\d\.\d\d\.\d{4})", line)
    if day_match is None:
        raise SampleError(f"no date in the seed header {line!r}")
    fx = {code: number(m) for code, m in re.findall(r"\b(USD|EUR): ([\d,]+)", line)}
    metals = {}
    for code, word in SEED_METALS.items():
        m = re.search(word + r": ([\d,]+)", line)
        if m is None:
            raise SampleError(f"no {word} in the seed header {line!r}")
        metals[code] = number(m.group(1))
    return datetime.strptime(day_match.group(1), "%d.%m.%Y").date(), fx, metals


def samples_2025(
    reference: Path, seed: Path, notes: list[str]
) -> tuple[dict[str, list[RateRecord]], list[MetalRecord]]:
    """USD 02-05.12.2025 (babki capture); EUR and metals of 05.12.2025 (seed header)."""
    dynamic = parse_dynamic_rates((reference / BABKI_USD).read_bytes(), source=BABKI_USD)
    usd = [r for r in dynamic.records if in_window(r.record_date, WINDOW_2025)]
    day, fx, metal_prices = seed_header(seed)
    if day != SEED_DAY:
        raise SampleError(f"the seed header is dated {day}, expected {SEED_DAY}")
    babki_usd = next(r.value for r in usd if r.record_date == SEED_DAY)
    if fx.get("USD") != babki_usd:
        raise SampleError(f"seed USD {fx.get('USD')} != babki USD {babki_usd}")
    notes.append(f"2025-12-05: seed USD {fx['USD']} = babki_fixtures USD {babki_usd}")
    notes.append(
        f"2025-12-05: EUR {fx['EUR']} and metals {metal_prices} only from the seed header "
        "(not confirmed by a second source)"
    )
    rates = {USD: usd, EUR: [served_rate(EUR, SEED_DAY, fx["EUR"])]}
    return rates, [metal(SEED_DAY, code, price) for code, price in metal_prices.items()]


# --------------------------------------------------------------------------- 2026-03


def samples_2026(
    reference: Path, notes: list[str]
) -> tuple[dict[str, list[RateRecord]], list[MetalRecord]]:
    """USD, EUR 03-19.03.2026, metals 03-05.03, CNY 17-19.03 (daily lists), cross-checked."""
    folder = reference / FRANKFURTER
    rates: dict[str, list[RateRecord]] = {}
    for currency, name in DYNAMIC_2026.items():
        records = parse_dynamic_rates((folder / name).read_bytes(), source=name).records
        short = parse_dynamic_rates(
            (folder / DYNAMIC_2026_SHORT[currency]).read_bytes(),
            source=DYNAMIC_2026_SHORT[currency],
        ).records
        if records[: len(short)] != short:
            raise SampleError(f"{name} disagrees with {DYNAMIC_2026_SHORT[currency]}")
        rates[currency] = [r for r in records if in_window(r.record_date, WINDOW_2026)]
    rates[CNY] = []
    for name in DAILY_2026.values():
        daily = parse_daily_rates((folder / name).read_bytes(), source=name)
        by_id = {r.currency_id: r for r in daily.rates}
        for currency in (USD, EUR):
            dynamic = next(r for r in rates[currency] if r.record_date == daily.list_date)
            daily_rate = by_id[currency]
            if (dynamic.value, dynamic.vunit_rate) != (daily_rate.value, daily_rate.vunit_rate):
                raise SampleError(f"{name}: {NAMES[currency]} disagrees with XML_dynamic")
        cny = by_id[CNY]
        rates[CNY].append(
            RateRecord(
                record_date=cny.record_date,
                currency_id=CNY,
                nominal=cny.nominal,
                value=cny.value,
                vunit_rate=cny.vunit_rate,
                vunit_rate_served=cny.vunit_rate_served,
            )
        )
    notes.append("2026-03: USD/EUR XML_dynamic 01-19.03 = 01-17.03 captures = daily lists 17-19.03")
    metal_records = list(
        parse_metal_prices(
            (folder / METALS_2026_FILE).read_bytes(), source=METALS_2026_FILE
        ).records
    )
    return rates, [m for m in metal_records if in_window(m.record_date, METALS_2026)]


# --------------------------------------------------------------------------- output


def write(reference: Path, out: Path, seed: Path) -> list[str]:
    """Write every sample file into ``out``; return notes and counts for the report."""
    notes: list[str] = []
    rates = rates_2020(reference, notes)
    metals = metals_2020(reference, [r.record_date for r in rates[USD]], notes)
    rates_25, metals_25 = samples_2025(reference, seed, notes)
    rates_26, metals_26 = samples_2026(reference, notes)
    for extra in (rates_25, rates_26):
        for currency, records in extra.items():
            rates[currency].extend(records)
    metals += metals_25 + metals_26

    out.mkdir(parents=True, exist_ok=True)
    for currency, records in rates.items():
        records.sort(key=lambda r: r.record_date)
        body = render_dynamic(currency, records[0].record_date, records[-1].record_date, records)
        path = out / f"XML_dynamic_{currency}.xml"
        path.write_bytes(body)
        parsed = parse_dynamic_rates(path.read_bytes(), source=path.name).records
        if parsed != tuple(records):
            raise SampleError(f"{path.name} does not parse back to its records")
        for label, window in WINDOWS.items():
            count = sum(1 for r in parsed if in_window(r.record_date, window))
            notes.append(f"count {NAMES[currency]} {label}: {count}")
    metals.sort(key=lambda m: (m.record_date, m.metal_code))
    path = out / "xml_metall.xml"
    path.write_bytes(render_metals(metals[0].record_date, metals[-1].record_date, metals))
    if parse_metal_prices(path.read_bytes(), source=path.name).records != tuple(metals):
        raise SampleError(f"{path.name} does not parse back to its records")
    for label, window in WINDOWS.items():
        for code, name in METALS.items():
            count = sum(
                1 for m in metals if m.metal_code == code and in_window(m.record_date, window)
            )
            notes.append(f"count {name} {label}: {count}")

    shutil.copyfile(reference / CATALOGUE, out / "XML_valFull.xml")
    for target, name in DAILY_2026.items():
        shutil.copyfile(reference / FRANKFURTER / name, out / target)
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="the reference folder (…/reference/cbr)")
    parser.add_argument("out", type=Path, help="where to write the samples (data/samples/cbr)")
    parser.add_argument(
        "--seed",
        type=Path,
        help="seed page whose first line quotes the Bank on 05.12.2025 "
        "(default: <reference>/../../seeds/000_*.txt)",
    )
    args = parser.parse_args(argv)
    seed = args.seed
    if seed is None:
        found = sorted((args.reference.resolve().parents[1] / "seeds").glob("000_*.txt"))
        if not found:
            parser.error("no seed page found; pass --seed")
        seed = found[0]
    try:
        notes = write(args.reference, args.out, seed)
    except SampleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
