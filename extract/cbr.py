"""Bank of Russia (cbr.ru) XML endpoints: one HTTP client and the parsers for its responses.

The Bank answers in windows-1251 XML with decimal commas. Four endpoints matter here:

- ``XML_daily.asp?date_req=dd/mm/yyyy``: every currency's rate for one day;
- ``XML_dynamic.asp?date_req1=..&date_req2=..&VAL_NM_RQ=R01235``: one currency over a range;
- ``xml_metall.asp?date_req1=..&date_req2=..``: gold, silver, platinum, palladium over a range;
- ``XML_valFull.asp``: the currency catalogue that maps ISO codes to the Bank's IDs.

Each record's date is the day from which the figure is in force; the date inside a response is
authoritative, never the one asked for. Parsers take the raw bytes and return frozen dataclasses;
they raise :class:`CbrBadResponse` with a message naming the request when the body is not the
document expected (an HTML page from DDoS-Guard, truncated XML, another document).
"""

from __future__ import annotations

import logging
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://www.cbr.ru"
# The Bank's anti-bot filter refuses default library user agents (see CBR_API_NOTES §2.4).
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36 technopolis-warehouse/0.1"
)
# Answers worth retrying: DDoS-Guard's refusals, rate limiting, server trouble.
RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})
METALS: dict[int, str] = {1: "gold", 2: "silver", 3: "platinum", 4: "palladium"}


class CbrError(Exception):
    """Base class of every error about talking to the Bank of Russia."""


class CbrUnavailable(CbrError):
    """The Bank could not be reached, or kept failing, after all retries."""


class CbrHttpError(CbrError):
    """The Bank answered with an HTTP error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class CbrBadResponse(CbrError):
    """The Bank answered 200 but the body is not the XML document expected."""


@dataclass(frozen=True)
class RateRecord:
    """One currency's official rate from ``record_date`` on."""

    record_date: date
    currency_id: str
    nominal: int
    value: Decimal  # RUB per `nominal` units, as printed (4 decimals)
    vunit_rate: Decimal  # RUB per one unit: the Bank's VunitRate, or value / nominal
    vunit_rate_served: bool  # False when the Bank omitted VunitRate (before ~2024)
    currency_code: str | None = None  # ISO code; XML_dynamic does not carry it
    num_code: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class DailyRates:
    """A parsed ``XML_daily.asp`` list: every currency's rate on ``list_date``."""

    list_date: date
    rates: tuple[RateRecord, ...]


@dataclass(frozen=True)
class DynamicRates:
    """A parsed ``XML_dynamic.asp`` answer: one currency's records over a range."""

    currency_id: str
    range_start: date
    range_end: date
    records: tuple[RateRecord, ...]


@dataclass(frozen=True)
class MetalRecord:
    """One metal's official price (RUB per gram) from ``record_date`` on."""

    record_date: date
    metal_code: int
    metal: str
    buy: Decimal
    sell: Decimal


@dataclass(frozen=True)
class MetalPrices:
    """A parsed ``xml_metall.asp`` answer."""

    range_start: date
    range_end: date
    records: tuple[MetalRecord, ...]


@dataclass(frozen=True)
class Currency:
    """One entry of the ``XML_valFull.asp`` catalogue."""

    currency_id: str
    iso_code: str | None
    iso_num_code: int | None
    nominal: int
    name: str
    eng_name: str
    parent_code: str


# --------------------------------------------------------------------------- parsing helpers


def parse_decimal(text: str | None, *, what: str = "number") -> Decimal:
    """Parse the Bank's numbers: ``81,9103``, ``236,1``, ``5,88139E-05``."""
    if text is None or not text.strip():
        raise CbrBadResponse(f"empty {what}")
    try:
        number = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise CbrBadResponse(f"{what} is not a number: {text!r}") from None
    if not number.is_finite():
        raise CbrBadResponse(f"{what} is not a finite number: {text!r}")
    return number


def parse_cbr_date(text: str | None, *, what: str = "date") -> date:
    """Parse ``dd.mm.yyyy`` (records) or ``yyyymmdd`` (xml_metall range attributes)."""
    if not text:
        raise CbrBadResponse(f"missing {what}")
    for fmt in ("%d.%m.%Y", "%Y%m%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise CbrBadResponse(f"{what} is not a date: {text!r}")


def _root(body: bytes, expected: str, source: str) -> ET.Element:
    """Parse ``body`` as XML whose root element is ``expected``, or explain what came instead."""
    head = body[:512].lstrip().lower()
    if not body.strip():
        raise CbrBadResponse(f"Bank of Russia answered an empty body for {source}")
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        hint = " (DDoS-Guard challenge?)" if b"ddos" in body[:4096].lower() else ""
        raise CbrBadResponse(
            f"Bank of Russia answered an HTML page instead of XML for {source}{hint}"
        )
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise CbrBadResponse(
            f"Bank of Russia answered malformed or truncated XML for {source}: {exc}"
        ) from None
    except (LookupError, ValueError) as exc:  # a declared encoding expat cannot read
        raise CbrBadResponse(
            f"Bank of Russia answered XML in an unreadable encoding for {source}: {exc}"
        ) from None
    if root.tag != expected:
        raise CbrBadResponse(
            f"Bank of Russia answered <{root.tag}> instead of <{expected}> for {source}"
        )
    return root


def _text(element: ET.Element, tag: str, source: str) -> str:
    child = element.find(tag)
    if child is None or child.text is None:
        raise CbrBadResponse(f"<{element.tag}> without <{tag}> in the answer for {source}")
    return child.text


def _positive_int(text: str, what: str) -> int:
    try:
        number = int(text.strip())
    except ValueError:
        raise CbrBadResponse(f"{what} is not an integer: {text!r}") from None
    if number <= 0:
        raise CbrBadResponse(f"{what} is not positive: {text!r}")
    return number


def _rate_record(
    element: ET.Element, record_date: date, currency_id: str, source: str
) -> RateRecord:
    where = f"{currency_id} on {record_date:%d.%m.%Y} in {source}"
    nominal = _positive_int(_text(element, "Nominal", source), f"Nominal of {where}")
    value = parse_decimal(_text(element, "Value", source), what=f"Value of {where}")
    vunit_element = element.find("VunitRate")
    served = vunit_element is not None and bool((vunit_element.text or "").strip())
    if served:
        vunit_rate = parse_decimal(vunit_element.text, what=f"VunitRate of {where}")
    else:
        try:
            vunit_rate = value / nominal
        except ArithmeticError:  # decimal.Overflow: a Value such as 1E+1000000
            raise CbrBadResponse(f"Value of {where} is out of range: {value}") from None
    code = element.findtext("CharCode")
    return RateRecord(
        record_date=record_date,
        currency_id=currency_id,
        nominal=nominal,
        value=value,
        vunit_rate=vunit_rate,
        vunit_rate_served=served,
        currency_code=code.strip() if code else None,
        num_code=(element.findtext("NumCode") or "").strip() or None,
        name=(element.findtext("Name") or "").strip() or None,
    )


# --------------------------------------------------------------------------- parsers


def parse_daily_rates(body: bytes, *, source: str = "XML_daily.asp") -> DailyRates:
    """Parse an ``XML_daily.asp`` body. An empty list (no ``Valute``) is returned as is."""
    root = _root(body, "ValCurs", source)
    list_date = parse_cbr_date(root.get("Date"), what=f"ValCurs/@Date in {source}")
    rates = []
    for valute in root.findall("Valute"):
        currency_id = (valute.get("ID") or "").strip()
        if not currency_id:
            raise CbrBadResponse(f"<Valute> without ID in {source}")
        rates.append(_rate_record(valute, list_date, currency_id, source))
    return DailyRates(list_date=list_date, rates=tuple(rates))


def parse_dynamic_rates(body: bytes, *, source: str = "XML_dynamic.asp") -> DynamicRates:
    """Parse an ``XML_dynamic.asp`` body: one currency's records, oldest first."""
    root = _root(body, "ValCurs", source)
    if root.get("DateRange1") is None:
        raise CbrBadResponse(
            f"Bank of Russia answered a daily list instead of a range for {source}"
        )
    currency_id = (root.get("ID") or "").strip()
    records = []
    for record in root.findall("Record"):
        record_id = (record.get("Id") or currency_id).strip()
        record_date = parse_cbr_date(record.get("Date"), what=f"Record/@Date in {source}")
        records.append(_rate_record(record, record_date, record_id, source))
    records.sort(key=lambda r: r.record_date)
    return DynamicRates(
        currency_id=currency_id,
        range_start=parse_cbr_date(root.get("DateRange1"), what=f"DateRange1 in {source}"),
        range_end=parse_cbr_date(root.get("DateRange2"), what=f"DateRange2 in {source}"),
        records=tuple(records),
    )


def parse_metal_prices(body: bytes, *, source: str = "xml_metall.asp") -> MetalPrices:
    """Parse an ``xml_metall.asp`` body: prices in RUB per gram, oldest first."""
    root = _root(body, "Metall", source)
    records = []
    for record in root.findall("Record"):
        record_date = parse_cbr_date(record.get("Date"), what=f"Record/@Date in {source}")
        code_text = record.get("Code") or ""
        try:
            code = int(code_text)
        except ValueError:
            raise CbrBadResponse(f"metal Code is not a number: {code_text!r} in {source}") from None
        if code not in METALS:
            raise CbrBadResponse(f"unknown metal Code {code} in {source}")
        where = f"{METALS[code]} on {record_date:%d.%m.%Y} in {source}"
        records.append(
            MetalRecord(
                record_date=record_date,
                metal_code=code,
                metal=METALS[code],
                buy=parse_decimal(_text(record, "Buy", source), what=f"Buy of {where}"),
                sell=parse_decimal(_text(record, "Sell", source), what=f"Sell of {where}"),
            )
        )
    records.sort(key=lambda r: (r.record_date, r.metal_code))
    return MetalPrices(
        range_start=parse_cbr_date(root.get("FromDate"), what=f"FromDate in {source}"),
        range_end=parse_cbr_date(root.get("ToDate"), what=f"ToDate in {source}"),
        records=tuple(records),
    )


def parse_currency_catalogue(body: bytes, *, source: str = "XML_valFull.asp") -> list[Currency]:
    """Parse an ``XML_valFull.asp`` body. Dead currencies without ISO codes are kept."""
    root = _root(body, "Valuta", source)
    currencies = []
    for item in root.findall("Item"):
        currency_id = (item.get("ID") or "").strip()
        if not currency_id:  # its ISO code would map to "" (as <Valute> without ID, refused)
            raise CbrBadResponse(f"<Item> without ID in {source}")
        iso_num = (item.findtext("ISO_Num_Code") or "").strip()
        iso_code = (item.findtext("ISO_Char_Code") or "").strip()
        currencies.append(
            Currency(
                currency_id=currency_id,
                iso_code=iso_code or None,
                # ASCII digits only: «²» passes str.isdigit() but not int(); ISO codes are short.
                iso_num_code=int(iso_num)
                if iso_num.isascii() and iso_num.isdigit() and len(iso_num) <= 18
                else None,
                nominal=_positive_int(item.findtext("Nominal") or "1", "catalogue Nominal"),
                name=(item.findtext("Name") or "").strip(),
                eng_name=(item.findtext("EngName") or "").strip(),
                parent_code=(item.findtext("ParentCode") or "").strip(),
            )
        )
    if not currencies:
        raise CbrBadResponse(f"Bank of Russia answered an empty currency catalogue for {source}")
    return currencies


# --------------------------------------------------------------------------- the client


def _cbr_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


class CbrClient:
    """An HTTP client for the Bank's XML endpoints: polite, retrying, strict about what it gets.

    ``min_interval`` spaces requests (seconds between the starts of two requests); retries with
    exponential backoff cover connection errors, timeouts and 403/429/5xx answers. ``session``
    may be given to share cookies (DDoS-Guard sets some) or to mount a custom adapter.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: tuple[float, float] = (5.0, 30.0),
        max_retries: int = 4,
        backoff_factor: float = 0.5,
        min_interval: float = 0.5,
        user_agent: str = BROWSER_USER_AGENT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.min_interval = min_interval
        self.requests_made = 0
        self.retries_made = 0  # retries after 5xx, 403/429, timeouts and connection errors
        self.last_url: str | None = None
        self._last_request = 0.0
        self._lock = threading.Lock()
        self._catalogue: list[Currency] | None = None
        self.session = session or requests.Session()
        retry = Retry(
            total=max_retries,
            connect=max_retries,
            read=max_retries,
            status=max_retries,
            backoff_factor=backoff_factor,
            backoff_max=30,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {"User-Agent": user_agent, "Accept": "application/xml, text/xml;q=0.9, */*;q=0.1"}
        )

    def __enter__(self) -> CbrClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # -- transport

    def get(self, script: str, params: dict[str, str] | None = None) -> tuple[bytes, str]:
        """GET ``{base}/scripts/{script}``; return the body bytes and the URL asked."""
        url = f"{self.base_url}/scripts/{script}"
        prepared = requests.Request("GET", url, params=params).prepare()
        shown = prepared.url or url
        with self._lock:
            wait = self._last_request + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request = time.monotonic()
            self.requests_made += 1
            self.last_url = shown
        log.debug("GET %s", shown)
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.exceptions.RetryError as exc:
            raise CbrUnavailable(
                f"Bank of Russia kept failing for {shown}: {_reason(exc)}"
            ) from None
        except requests.exceptions.Timeout as exc:
            raise CbrUnavailable(f"Bank of Russia timed out for {shown}: {_reason(exc)}") from None
        except requests.exceptions.ConnectionError as exc:
            raise CbrUnavailable(
                f"cannot reach the Bank of Russia for {shown}: {_reason(exc)}"
            ) from None
        retries = (
            response.raw.retries.history
            if response.raw is not None and response.raw.retries
            else ()
        )
        self.retries_made += len(retries)
        if retries:
            causes = ", ".join(str(r.status or type(r.error).__name__) for r in retries)
            log.warning("%s succeeded after %d retries (%s)", shown, len(retries), causes)
        if response.status_code >= 400:
            server = response.headers.get("Server", "")
            hint = " (DDoS-Guard refused the request)" if "ddos" in server.lower() else ""
            if response.status_code in RETRY_STATUSES:
                raise CbrUnavailable(
                    f"Bank of Russia kept answering HTTP {response.status_code} for {shown}{hint} "
                    f"after {len(retries)} retries"
                )
            raise CbrHttpError(
                f"Bank of Russia answered HTTP {response.status_code} for {shown}{hint}",
                response.status_code,
            )
        return response.content, shown

    # -- endpoints

    def daily_rates(self, on_date: date | None = None) -> DailyRates:
        """Every currency's rate in force on ``on_date`` (latest registered list if None)."""
        params = {"date_req": _cbr_day(on_date)} if on_date else None
        body, url = self.get("XML_daily.asp", params)
        return parse_daily_rates(body, source=url)

    def dynamic_rates(self, currency_id: str, start: date, end: date) -> DynamicRates:
        """One currency's records dated ``start``..``end`` (inclusive)."""
        params = {
            "date_req1": _cbr_day(start),
            "date_req2": _cbr_day(end),
            "VAL_NM_RQ": currency_id,
        }
        body, url = self.get("XML_dynamic.asp", params)
        return parse_dynamic_rates(body, source=url)

    def metal_prices(self, start: date, end: date) -> MetalPrices:
        """All four metals' records dated ``start``..``end`` (inclusive)."""
        params = {"date_req1": _cbr_day(start), "date_req2": _cbr_day(end)}
        body, url = self.get("xml_metall.asp", params)
        return parse_metal_prices(body, source=url)

    def currencies(self) -> list[Currency]:
        """The catalogue of currencies with daily rates (fetched once per client)."""
        if self._catalogue is None:
            body, url = self.get("XML_valFull.asp")
            self._catalogue = parse_currency_catalogue(body, source=url)
        return self._catalogue

    def currency_ids(self, iso_codes: Iterable[str]) -> dict[str, str]:
        """Map ISO codes (``USD``) to the Bank's IDs (``R01235``); unknown codes raise."""
        by_code = {c.iso_code: c.currency_id for c in self.currencies() if c.iso_code}
        wanted = [code.strip().upper() for code in iso_codes if code.strip()]
        unknown = [code for code in wanted if code not in by_code]
        if unknown:
            raise CbrError(f"the Bank of Russia's catalogue has no currency {', '.join(unknown)}")
        return {code: by_code[code] for code in wanted}


def _reason(exc: BaseException) -> str:
    """The innermost useful cause of a requests/urllib3 exception, in one line."""
    cause: BaseException | None = exc
    while cause is not None:
        reason = getattr(cause, "reason", None)
        if isinstance(reason, BaseException):
            cause = reason
            continue
        args = getattr(cause, "args", ())
        if args and isinstance(args[0], BaseException):
            cause = args[0]
            continue
        break
    text = str(cause or exc)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text
