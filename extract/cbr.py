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
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, ResponseError
from urllib3.util.retry import Retry

from extract.deadline import Deadline

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://www.cbr.ru"
# Said whenever the Bank cannot be reached at all: the usual cause is running offline with the
# default TPW_CBR_URL.
OFFLINE_HINT = (
    " (offline? point TPW_CBR_URL at a replay of the Bank: `tpw serve-samples` serves the bundled"
    " samples, or `tpw demo` builds from them)"
)
# The Bank's anti-bot filter refuses default library user agents (docs/bank_of_russia.md).
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36 technopolis-warehouse/0.1"
)
# Answers worth retrying: DDoS-Guard's refusals, rate limiting, server trouble.
RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})
METALS: dict[int, str] = {1: "gold", 2: "silver", 3: "platinum", 4: "palladium"}
# Whole-request limits (connect, headers, body and retries together). The largest real answer is
# a catalogue of ~19 KB and a year of metals ~100 KB; a 20-year XML_dynamic range is ~0.5 MB.
DEFAULT_DEADLINE_SECONDS = 60.0
DEFAULT_MAX_BYTES = 20_000_000
_CHUNK = 64 * 1024
# Sanity bounds on the figures the Bank prints: RUB per unit (VunitRate, Value / Nominal) or per
# gram. The dearest ever is well under 1e5; 1e9 leaves room and fits every column downstream.
MAX_RUB = Decimal(10) ** 9
VALUE_DECIMALS = 4  # <Value> is always printed with 4 decimals
METAL_DECIMALS = 2  # <Buy>/<Sell> with at most 2 (trailing zeros dropped: «236,1»)
# XML_daily.asp?date_req=D answers the list in force on D: dated D, or the last record date before
# it (Saturday's list on Sunday and Monday, 31.12 during the New Year break of about 12 days).
MAX_DAILY_LIST_AGE_DAYS = 15


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


def _figure(text: str | None, what: str, *, decimals: int | None) -> Decimal:
    """A rate or price as the Bank prints it: finite, positive, below :data:`MAX_RUB`, and with
    no more than ``decimals`` decimals (None: any, as VunitRate). Refused, never rounded."""
    number = parse_decimal(text, what=what)
    shown = (text or "").strip()
    if number <= 0:
        raise CbrBadResponse(f"{what} is not positive: {shown!r}")
    if number >= MAX_RUB:
        raise CbrBadResponse(f"{what} is implausibly large: {shown!r} (limit {MAX_RUB:,} RUB)")
    exponent = number.normalize().as_tuple().exponent
    if decimals is not None and isinstance(exponent, int) and -exponent > decimals:
        raise CbrBadResponse(
            f"{what} has more than {decimals} decimals: {shown!r} (the Bank prints {decimals})"
        )
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
    value = _figure(_text(element, "Value", source), f"Value of {where}", decimals=VALUE_DECIMALS)
    vunit_element = element.find("VunitRate")
    served = vunit_element is not None and bool((vunit_element.text or "").strip())
    if served:
        vunit_rate = _figure(vunit_element.text, f"VunitRate of {where}", decimals=None)
    else:
        vunit_rate = value / nominal  # exact: Value < 1e9 with 4 decimals, Nominal an integer
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
    rates: dict[str, RateRecord] = {}
    for valute in root.findall("Valute"):
        currency_id = (valute.get("ID") or "").strip()
        if not currency_id:
            raise CbrBadResponse(f"<Valute> without ID in {source}")
        record = _rate_record(valute, list_date, currency_id, source)
        _no_conflict(rates, currency_id, record, f"{currency_id} on {list_date:%d.%m.%Y}", source)
    return DailyRates(list_date=list_date, rates=tuple(rates.values()))


def _no_conflict(
    seen: dict, key: object, record: RateRecord | MetalRecord, where: str, source: str
) -> None:
    """Keep ``record`` under ``key``: an identical repeat is merged, a different one refused."""
    earlier = seen.get(key)
    if earlier is None or earlier == record:
        seen[key] = record
        return
    if isinstance(record, MetalRecord):
        assert isinstance(earlier, MetalRecord)
        first, second = f"{earlier.buy}/{earlier.sell}", f"{record.buy}/{record.sell}"
        field = "Buy/Sell"
    else:
        assert isinstance(earlier, RateRecord)
        first = f"{earlier.value} per {earlier.nominal} (VunitRate {earlier.vunit_rate})"
        second = f"{record.value} per {record.nominal} (VunitRate {record.vunit_rate})"
        field = "Value"
    raise CbrBadResponse(
        f"Bank of Russia answered two different records for {where} in {source}: "
        f"{field} {first} and {second}"
    )


def parse_dynamic_rates(body: bytes, *, source: str = "XML_dynamic.asp") -> DynamicRates:
    """Parse an ``XML_dynamic.asp`` body: one currency's records, oldest first."""
    root = _root(body, "ValCurs", source)
    if root.get("DateRange1") is None:
        raise CbrBadResponse(
            f"Bank of Russia answered a daily list instead of a range for {source}"
        )
    currency_id = (root.get("ID") or "").strip()
    records: dict[tuple[str, date], RateRecord] = {}
    for record in root.findall("Record"):
        record_id = (record.get("Id") or currency_id).strip()
        record_date = parse_cbr_date(record.get("Date"), what=f"Record/@Date in {source}")
        parsed = _rate_record(record, record_date, record_id, source)
        where = f"{record_id} on {record_date:%d.%m.%Y}"
        _no_conflict(records, (record_id, record_date), parsed, where, source)
    return DynamicRates(
        currency_id=currency_id,
        range_start=parse_cbr_date(root.get("DateRange1"), what=f"DateRange1 in {source}"),
        range_end=parse_cbr_date(root.get("DateRange2"), what=f"DateRange2 in {source}"),
        records=tuple(sorted(records.values(), key=lambda r: r.record_date)),
    )


def parse_metal_prices(body: bytes, *, source: str = "xml_metall.asp") -> MetalPrices:
    """Parse an ``xml_metall.asp`` body: prices in RUB per gram, oldest first."""
    root = _root(body, "Metall", source)
    records: dict[tuple[date, int], MetalRecord] = {}
    for record in root.findall("Record"):
        record_date = parse_cbr_date(record.get("Date"), what=f"Record/@Date in {source}")
        code_text = record.get("Code") or ""
        try:
            code = int(code_text)
        except ValueError:
            raise CbrBadResponse(f"metal Code is not a number: {code_text!r} in {source}") from None
        if code not in METALS:
            raise CbrBadResponse(f"unknown metal Code {code} in {source}")
        day = f"{METALS[code]} on {record_date:%d.%m.%Y}"
        where = f"{day} in {source}"
        parsed = MetalRecord(
            record_date=record_date,
            metal_code=code,
            metal=METALS[code],
            buy=_figure(_text(record, "Buy", source), f"Buy of {where}", decimals=METAL_DECIMALS),
            sell=_figure(
                _text(record, "Sell", source), f"Sell of {where}", decimals=METAL_DECIMALS
            ),
        )
        _no_conflict(records, (record_date, code), parsed, day, source)
    return MetalPrices(
        range_start=parse_cbr_date(root.get("FromDate"), what=f"FromDate in {source}"),
        range_end=parse_cbr_date(root.get("ToDate"), what=f"ToDate in {source}"),
        records=tuple(sorted(records.values(), key=lambda r: (r.record_date, r.metal_code))),
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


# --------------------------------------------------------------------------- answer vs request


def _day(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def check_dynamic_answer(
    answer: DynamicRates, currency_id: str, start: date, end: date, source: str
) -> None:
    """Refuse an ``XML_dynamic`` answer for another currency or another range than asked."""
    asked = f"{currency_id} {_day(start)}..{_day(end)}"
    if answer.currency_id != currency_id:
        raise CbrBadResponse(
            f"Bank of Russia answered currency {answer.currency_id or '(no ID)'} instead of "
            f"{currency_id} for {source}"
        )
    if (answer.range_start, answer.range_end) != (start, end):
        raise CbrBadResponse(
            f"Bank of Russia answered the range {_day(answer.range_start)}.."
            f"{_day(answer.range_end)} instead of {asked} for {source}"
        )
    for record in answer.records:
        if record.currency_id != currency_id:
            raise CbrBadResponse(
                f"Bank of Russia answered a record of {record.currency_id} dated "
                f"{_day(record.record_date)} when {asked} was asked for {source}"
            )
        if not start <= record.record_date <= end:
            raise CbrBadResponse(
                f"Bank of Russia answered a {currency_id} record dated "
                f"{_day(record.record_date)}, outside the range asked {asked}, for {source}"
            )


def check_metal_answer(answer: MetalPrices, start: date, end: date, source: str) -> None:
    """Refuse an ``xml_metall`` answer for another range than asked (codes are checked on
    parsing: 1-4 only)."""
    asked = f"{_day(start)}..{_day(end)}"
    if (answer.range_start, answer.range_end) != (start, end):
        raise CbrBadResponse(
            f"Bank of Russia answered metal prices for {_day(answer.range_start)}.."
            f"{_day(answer.range_end)} instead of {asked} for {source}"
        )
    for record in answer.records:
        if not start <= record.record_date <= end:
            raise CbrBadResponse(
                f"Bank of Russia answered a {record.metal} price dated "
                f"{_day(record.record_date)}, outside the range asked {asked}, for {source}"
            )


def check_daily_answer(answer: DailyRates, on_date: date, source: str) -> None:
    """Refuse an ``XML_daily`` list that cannot be the one in force on ``on_date``: it must be
    dated ``on_date`` or at most :data:`MAX_DAILY_LIST_AGE_DAYS` earlier (the last record before
    a weekend or holiday), never later."""
    oldest = on_date - timedelta(days=MAX_DAILY_LIST_AGE_DAYS)
    if not oldest <= answer.list_date <= on_date:
        when = "after" if answer.list_date > on_date else "long before"
        raise CbrBadResponse(
            f"Bank of Russia answered the list of {_day(answer.list_date)}, {when} the day asked "
            f"{_day(on_date)} (accepted: {_day(oldest)}..{_day(on_date)}), for {source}"
        )


# --------------------------------------------------------------------------- the client


def _cbr_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


_current = threading.local()


def _active_deadline() -> Deadline | None:
    return getattr(_current, "deadline", None)


class _Watched:
    def getresponse(self, *args: object, **kwargs: object) -> object:
        deadline = _active_deadline()
        if deadline is not None:
            deadline.watch(getattr(self, "sock", None))
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _DeadlineRetry(Retry):
    """Retries that stop at the request's deadline and never sleep past it (a Retry-After of an
    hour included)."""

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):  # type: ignore[no-untyped-def]
        deadline = _active_deadline()
        if deadline is not None and deadline.passed():
            raise MaxRetryError(_pool, url, error or ResponseError("the deadline passed"))  # type: ignore[arg-type]
        if isinstance(error, NameResolutionError):  # offline or a mistyped host: no use retrying
            raise MaxRetryError(_pool, url, error)  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response=None) -> None:  # type: ignore[no-untyped-def]
        wait = None
        if self.respect_retry_after_header and response is not None:
            wait = self.get_retry_after(response)
        if not wait:
            wait = self.get_backoff_time()
        deadline = _active_deadline()
        if deadline is not None:
            wait = min(wait, max(deadline.remaining(), 0.0))
        if wait > 0:
            time.sleep(wait)


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def _set_read_timeout(response: requests.Response, seconds: float) -> None:
    """Bound the next socket read by what is left of the deadline (best effort)."""
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(max(seconds, 0.001))


class CbrClient:
    """An HTTP client for the Bank's XML endpoints: polite, retrying, strict about what it gets.

    ``min_interval`` spaces requests (seconds between the starts of two requests); retries with
    exponential backoff cover connection errors, timeouts and 403/429/5xx answers. ``timeout``
    (connect, read) bounds each socket operation; ``deadline`` bounds a whole request (connect,
    headers, body and retries: a server trickling bytes is cut off there) and ``max_bytes`` the
    body (read in chunks, never more than that plus one chunk). ``session`` may be given to share
    cookies (DDoS-Guard sets some); its adapters are replaced by the client's.
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
        deadline: float = DEFAULT_DEADLINE_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if deadline <= 0 or max_bytes <= 0:
            raise ValueError("deadline and max_bytes must be positive")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.min_interval = min_interval
        self.requests_made = 0
        self.retries_made = 0  # retries after 5xx, 403/429, timeouts and connection errors
        self.last_url: str | None = None
        self._last_request = 0.0
        self._lock = threading.Lock()
        self._catalogue: list[Currency] | None = None
        self.session = session or requests.Session()
        retry = _DeadlineRetry(
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
        adapter = _WatchedAdapter(max_retries=retry)
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
        deadline = Deadline(self.deadline)
        _current.deadline = deadline
        try:
            return self._get(url, params, shown, deadline), shown
        finally:
            _current.deadline = None
            deadline.cancel()

    def _late(self, shown: str) -> CbrUnavailable:
        return CbrUnavailable(
            f"Bank of Russia did not answer {shown} in full within the {self.deadline:g} s deadline"
        )

    def _get(
        self, url: str, params: dict[str, str] | None, shown: str, deadline: Deadline
    ) -> bytes:
        connect, read = self.timeout
        remaining = max(deadline.remaining(), 0.001)
        try:
            response = self.session.get(
                url,
                params=params,
                timeout=(min(connect, remaining), min(read, remaining)),
                stream=True,
            )
        except requests.exceptions.RequestException as exc:
            if deadline.passed():
                raise self._late(shown) from None
            if isinstance(exc, requests.exceptions.RetryError):
                raise CbrUnavailable(
                    f"Bank of Russia kept failing for {shown}: {_reason(exc)}"
                ) from None
            if isinstance(exc, requests.exceptions.Timeout):
                raise CbrUnavailable(
                    f"Bank of Russia timed out for {shown}: {_reason(exc)}"
                ) from None
            if isinstance(exc, requests.exceptions.ConnectionError):
                raise CbrUnavailable(
                    f"cannot reach the Bank of Russia for {shown}: {_reason(exc)}{OFFLINE_HINT}"
                ) from None
            raise CbrUnavailable(
                f"request to the Bank of Russia failed for {shown}: {exc}"
            ) from None
        with response:
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
                if deadline.passed():
                    raise self._late(shown)
                if response.status_code in RETRY_STATUSES:
                    raise CbrUnavailable(
                        f"Bank of Russia kept answering HTTP {response.status_code} for {shown}"
                        f"{hint} after {len(retries)} retries"
                    )
                raise CbrHttpError(
                    f"Bank of Russia answered HTTP {response.status_code} for {shown}{hint}",
                    response.status_code,
                )
            return self._read_body(response, shown, deadline)

    def _read_body(self, response: requests.Response, shown: str, deadline: Deadline) -> bytes:
        too_large = f"the {self.max_bytes:,}-byte limit"
        length = response.headers.get("Content-Length", "").strip()
        if length.isdigit() and int(length) > self.max_bytes:
            raise CbrBadResponse(
                f"Bank of Russia announced {int(length):,} bytes for {shown}, over {too_large}"
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline.remaining()
            if remaining <= 0 or deadline.expired:
                raise self._late(shown)
            _set_read_timeout(response, remaining)
            try:
                chunk = response.raw.read1(_CHUNK, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if deadline.passed():
                    raise self._late(shown) from None
                raise CbrUnavailable(
                    f"Bank of Russia broke off the answer for {shown}: {_reason(exc)}"
                ) from None
            if not chunk:
                if deadline.expired:  # the watchdog cut the connection: not a real end
                    raise self._late(shown)
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_bytes:
                raise CbrBadResponse(
                    f"Bank of Russia sent more than {too_large} for {shown}; the rest was not read"
                )
            chunks.append(chunk)

    # -- endpoints

    def daily_rates(self, on_date: date | None = None) -> DailyRates:
        """Every currency's rate in force on ``on_date`` (latest registered list if None)."""
        params = {"date_req": _cbr_day(on_date)} if on_date else None
        body, url = self.get("XML_daily.asp", params)
        answer = parse_daily_rates(body, source=url)
        if on_date is not None:
            check_daily_answer(answer, on_date, url)
        return answer

    def dynamic_rates(self, currency_id: str, start: date, end: date) -> DynamicRates:
        """One currency's records dated ``start``..``end`` (inclusive)."""
        params = {
            "date_req1": _cbr_day(start),
            "date_req2": _cbr_day(end),
            "VAL_NM_RQ": currency_id,
        }
        body, url = self.get("XML_dynamic.asp", params)
        answer = parse_dynamic_rates(body, source=url)
        check_dynamic_answer(answer, currency_id, start, end, url)
        return answer

    def metal_prices(self, start: date, end: date) -> MetalPrices:
        """All four metals' records dated ``start``..``end`` (inclusive)."""
        params = {"date_req1": _cbr_day(start), "date_req2": _cbr_day(end)}
        body, url = self.get("xml_metall.asp", params)
        answer = parse_metal_prices(body, source=url)
        check_metal_answer(answer, start, end, url)
        return answer

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
    if "object at 0x" in text or "Connection(host=" in text:  # urllib3 names its own object
        text = text.split(": ", 1)[-1]
    return text
