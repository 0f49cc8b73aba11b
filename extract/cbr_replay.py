"""Replay of the Bank of Russia XML endpoints from bundled real figures, for demos and tests.

Three parts, stdlib only apart from the product's own parsers (:mod:`extract.cbr`):

- renderers that print records exactly as the Bank does (windows-1251, one line, decimal commas,
  ``Value`` with 4 decimals, ``VunitRate`` the way .NET prints a double, metal prices trimmed);
- :class:`CbrArchive`, the sample responses of ``data/samples/cbr`` loaded with the product's
  parsers, able to answer any request the way the Bank would from the records it holds;
- :class:`CbrReplayServer`, a loopback HTTP server speaking the Bank's protocol.

Behaviour of the replay where the real Bank's answer is not documented (see
``data/samples/cbr/README.md``): malformed or missing parameters get HTTP 200 with the body
:data:`ERROR_BODY`; a range with no records gets an empty ``ValCurs``/``Metall`` carrying the
range attributes; an unknown path (or ``XML_valFull.asp?d=1``, not bundled) gets HTTP 404.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from extract.cbr import (
    Currency,
    MetalRecord,
    RateRecord,
    parse_currency_catalogue,
    parse_daily_rates,
    parse_dynamic_rates,
    parse_metal_prices,
)

ENCODING = "windows-1251"
XML_DECLARATION = '<?xml version="1.0" encoding="windows-1251"?>'
CONTENT_TYPE = "application/xml; charset=windows-1251"
ERROR_BODY = (XML_DECLARATION + "<ValCurs>Error in parameters</ValCurs>").encode(ENCODING)
"""Body answered (with HTTP 200) to a request whose parameters are missing or malformed."""

DEFAULT_SAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "samples" / "cbr"
"""The bundled sample responses (``data/samples/cbr`` of the repository)."""

CATALOGUE_FILE = "XML_valFull.xml"
METALS_FILE = "xml_metall.xml"

_FOUR_PLACES = Decimal("0.0001")
_TWO_PLACES = Decimal("0.01")


# --------------------------------------------------------------------------- number formats


def format_value(value: Decimal) -> str:
    """``Value`` as the Bank prints it: exactly 4 decimals, decimal comma (``78,1900``)."""
    fixed = value.quantize(_FOUR_PLACES)
    if fixed != value:
        raise ValueError(f"Value {value} has more than 4 decimals")
    return format(fixed, "f").replace(".", ",")


def format_vunit_rate(rate: Decimal) -> str:
    """``VunitRate`` as the Bank prints it, i.e. .NET's ``Double.ToString()`` ("G", 15 digits).

    Trailing zeros trimmed (``78,19``); exponent form when the decimal exponent is below -4 or
    reaches 15 (``5,88139E-05``, while ``0,000121149`` stays fixed).
    """
    if not rate.is_finite():
        raise ValueError(f"VunitRate {rate} is not finite")
    if rate.is_zero():
        return "0"
    rounded = rate.quantize(Decimal(1).scaleb(rate.adjusted() - 14), rounding=ROUND_HALF_EVEN)
    sign, digits, _ = rounded.normalize().as_tuple()
    exponent = rounded.adjusted()
    prefix = "-" if sign else ""
    if exponent < -4 or exponent >= 15:
        text = "".join(map(str, digits)).rstrip("0") or "0"
        mantissa = text[0] + ("," + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}E{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return _trimmed(rounded)


def format_metal_price(price: Decimal) -> str:
    """A metal's ``Buy``/``Sell``: at most 2 decimals, trailing zeros trimmed (``236,1``)."""
    fixed = price.quantize(_TWO_PLACES)
    if fixed != price:
        raise ValueError(f"metal price {price} has more than 2 decimals")
    return _trimmed(fixed)


def _trimmed(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


# --------------------------------------------------------------------------- renderers


def render_dynamic(
    currency_id: str, start: date, end: date, records: Iterable[RateRecord]
) -> bytes:
    """An ``XML_dynamic.asp`` answer for ``currency_id`` over ``start``..``end``, Bank bytes."""
    parts = [
        XML_DECLARATION,
        f'<ValCurs ID="{_attr(currency_id)}" DateRange1="{_day(start)}" '
        f'DateRange2="{_day(end)}" name="Foreign Currency Market Dynamic">',
    ]
    for record in sorted(records, key=lambda r: r.record_date):
        parts.append(
            f'<Record Date="{_day(record.record_date)}" Id="{_attr(record.currency_id)}">'
            f"<Nominal>{record.nominal}</Nominal><Value>{format_value(record.value)}</Value>"
            f"{_vunit_element(record)}</Record>"
        )
    parts.append("</ValCurs>")
    return "".join(parts).encode(ENCODING)


def render_metals(start: date, end: date, records: Iterable[MetalRecord]) -> bytes:
    """An ``xml_metall.asp`` answer over ``start``..``end``, Bank bytes."""
    parts = [
        XML_DECLARATION,
        f'<Metall FromDate="{start:%Y%m%d}" ToDate="{end:%Y%m%d}" '
        'name="Precious metals quotations">',
    ]
    for record in sorted(records, key=lambda r: (r.record_date, r.metal_code)):
        parts.append(
            f'<Record Date="{_day(record.record_date)}" Code="{record.metal_code}">'
            f"<Buy>{format_metal_price(record.buy)}</Buy>"
            f"<Sell>{format_metal_price(record.sell)}</Sell></Record>"
        )
    parts.append("</Metall>")
    return "".join(parts).encode(ENCODING)


def render_daily(list_date: date, rates: Iterable[RateRecord]) -> bytes:
    """An ``XML_daily.asp`` list dated ``list_date``, Bank bytes, ``Valute``s in the order given.

    Every rate needs ``num_code``, ``currency_code`` and ``name``; ``VunitRate`` is printed only
    for records that had it served.
    """
    parts = [XML_DECLARATION, f'<ValCurs Date="{_day(list_date)}" name="Foreign Currency Market">']
    for rate in rates:
        if rate.num_code is None or rate.currency_code is None or rate.name is None:
            raise ValueError(f"{rate.currency_id} lacks NumCode, CharCode or Name for a daily list")
        parts.append(
            f'<Valute ID="{_attr(rate.currency_id)}"><NumCode>{escape(rate.num_code)}</NumCode>'
            f"<CharCode>{escape(rate.currency_code)}</CharCode><Nominal>{rate.nominal}</Nominal>"
            f"<Name>{escape(rate.name)}</Name><Value>{format_value(rate.value)}</Value>"
            f"{_vunit_element(rate)}</Valute>"
        )
    parts.append("</ValCurs>")
    return "".join(parts).encode(ENCODING)


def _vunit_element(record: RateRecord) -> str:
    if not record.vunit_rate_served:
        return ""
    return f"<VunitRate>{format_vunit_rate(record.vunit_rate)}</VunitRate>"


# --------------------------------------------------------------------------- the archive


@dataclass(frozen=True)
class _Label:
    num_code: str
    currency_code: str
    name: str


@dataclass
class CbrArchive:
    """The sample responses of a folder, parsed with the product's parsers.

    ``rates`` holds every currency's records, oldest first: those of the ``XML_dynamic_*.xml``
    files plus those of the real daily lists (``XML_daily_*.xml``, which must agree with the
    former where both have a record). ``daily_lists`` keeps the real lists' bytes by their
    ``ValCurs/@Date``; ``catalogue`` the ``XML_valFull.asp`` bytes.
    """

    folder: Path
    rates: dict[str, tuple[RateRecord, ...]]
    metals: tuple[MetalRecord, ...]
    daily_lists: dict[date, bytes]
    catalogue: bytes
    currencies: list[Currency]
    _labels: dict[tuple[str, int], _Label] = field(default_factory=dict, repr=False)
    _list_dates: list[date] = field(default_factory=list, repr=False)

    @classmethod
    def load(cls, folder: Path | str | None = None) -> CbrArchive:
        """Load a samples folder (default :data:`DEFAULT_SAMPLES_DIR`)."""
        root = Path(folder) if folder is not None else DEFAULT_SAMPLES_DIR
        if not root.is_dir():
            raise FileNotFoundError(f"no Bank of Russia samples folder at {root}")
        by_key: dict[tuple[str, date], RateRecord] = {}
        for path in sorted(root.glob("XML_dynamic_*.xml")):
            for record in parse_dynamic_rates(path.read_bytes(), source=path.name).records:
                _add_rate(by_key, record, path.name)
        daily_lists: dict[date, bytes] = {}
        labels: dict[tuple[str, int], _Label] = {}
        for path in sorted(root.glob("XML_daily_*.xml")):
            body = path.read_bytes()
            daily = parse_daily_rates(body, source=path.name)
            daily_lists[daily.list_date] = body
            for rate in daily.rates:
                _add_rate(by_key, rate, path.name)
                if rate.num_code and rate.currency_code and rate.name:
                    labels[(rate.currency_id, rate.nominal)] = _Label(
                        rate.num_code, rate.currency_code, rate.name
                    )
        metals: dict[tuple[date, int], MetalRecord] = {}
        for path in sorted(root.glob("xml_metall*.xml")):
            for metal in parse_metal_prices(path.read_bytes(), source=path.name).records:
                metals[(metal.record_date, metal.metal_code)] = metal
        catalogue_path = root / CATALOGUE_FILE
        catalogue = catalogue_path.read_bytes()
        currencies = parse_currency_catalogue(catalogue, source=catalogue_path.name)
        rates: dict[str, list[RateRecord]] = {}
        for key in sorted(by_key):
            rates.setdefault(key[0], []).append(by_key[key])
        archive = cls(
            folder=root,
            rates={currency: tuple(records) for currency, records in rates.items()},
            metals=tuple(metals[key] for key in sorted(metals)),
            daily_lists=daily_lists,
            catalogue=catalogue,
            currencies=currencies,
            _labels=labels,
        )
        archive._list_dates = sorted(
            {r.record_date for records in archive.rates.values() for r in records}
            | set(daily_lists)
        )
        return archive

    # -- queries

    def dynamic(self, currency_id: str, start: date, end: date) -> tuple[RateRecord, ...]:
        """``currency_id``'s records dated ``start``..``end`` (inclusive), oldest first."""
        return tuple(r for r in self.rates.get(currency_id, ()) if start <= r.record_date <= end)

    def metal_records(self, start: date, end: date) -> tuple[MetalRecord, ...]:
        """Metal records dated ``start``..``end`` (inclusive), by date then code."""
        return tuple(m for m in self.metals if start <= m.record_date <= end)

    def list_date(self, on_date: date | None = None) -> date | None:
        """Date of the daily list in force on ``on_date`` (the latest list if None), if any."""
        if not self._list_dates:
            return None
        if on_date is None:
            return self._list_dates[-1]
        index = bisect.bisect_right(self._list_dates, on_date)
        return self._list_dates[index - 1] if index else None

    def daily_rates(self, list_date: date) -> tuple[RateRecord, ...]:
        """Every currency's record dated exactly ``list_date``, labelled for a daily list."""
        rates = []
        for currency_id in sorted(self.rates):
            for record in self.rates[currency_id]:
                if record.record_date == list_date:
                    rates.append(self._labelled(record))
        return tuple(rates)

    # -- answers, as bytes the Bank would send

    def dynamic_body(self, currency_id: str, start: date, end: date) -> bytes:
        """The ``XML_dynamic.asp`` answer for this currency and range."""
        return render_dynamic(currency_id, start, end, self.dynamic(currency_id, start, end))

    def metals_body(self, start: date, end: date) -> bytes:
        """The ``xml_metall.asp`` answer for this range."""
        return render_metals(start, end, self.metal_records(start, end))

    def daily_body(self, on_date: date | None = None) -> bytes:
        """The ``XML_daily.asp`` answer for ``on_date`` (no ``date_req`` if None).

        The real list when one is bundled for the date in force, else a list rendered from the
        records dated that day (``ValCurs/@Date`` = that date, as the Bank answers Saturday's
        list for a Sunday); an empty ``ValCurs`` dated ``on_date`` when nothing is in force.
        """
        list_date = self.list_date(on_date)
        if list_date is None:
            return render_daily(on_date or date.today(), ())
        if list_date in self.daily_lists:
            return self.daily_lists[list_date]
        return render_daily(list_date, self.daily_rates(list_date))

    def _labelled(self, record: RateRecord) -> RateRecord:
        """``record`` with NumCode, CharCode and Name: from a real list, else the catalogue."""
        if record.num_code and record.currency_code and record.name:
            return record
        label = self._labels.get((record.currency_id, record.nominal))
        if label is None:
            label = next(
                (
                    _Label(str(c.iso_num_code).zfill(3), c.iso_code, c.name)
                    for c in self.currencies
                    if c.currency_id == record.currency_id and c.iso_code and c.iso_num_code
                ),
                None,
            )
        if label is None:
            raise ValueError(f"no NumCode/CharCode/Name known for {record.currency_id}")
        return replace(
            record, num_code=label.num_code, currency_code=label.currency_code, name=label.name
        )


def _add_rate(by_key: dict[tuple[str, date], RateRecord], record: RateRecord, source: str) -> None:
    key = (record.currency_id, record.record_date)
    known = by_key.get(key)
    if known is None:
        by_key[key] = record
    elif (known.nominal, known.value, known.vunit_rate) != (
        record.nominal,
        record.value,
        record.vunit_rate,
    ):
        raise ValueError(
            f"{source} disagrees with another sample on {record.currency_id} "
            f"{record.record_date:%d.%m.%Y}: {record.value} vs {known.value}"
        )
    elif record.name and not known.name:
        by_key[key] = record  # same figures, but with the daily list's labels


# --------------------------------------------------------------------------- the server


def _parse_day(text: str | None) -> date | None:
    """``dd/mm/yyyy`` (also ``dd.mm.yyyy``) as the Bank accepts it; None when malformed."""
    if not text:
        return None
    for fmt in ("%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


class CbrReplayServer:
    """A loopback HTTP server answering like ``https://www.cbr.ru/scripts/`` from an archive.

    Use as a context manager (or :meth:`start`/:meth:`stop`); :attr:`url` is the base URL to
    give :class:`extract.cbr.CbrClient`. ``latency`` seconds are slept before each answer;
    :attr:`requests` lists the path (with query) of every request received, in order.
    """

    def __init__(
        self,
        archive: CbrArchive | None = None,
        *,
        samples_dir: Path | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        self.archive = archive if archive is not None else CbrArchive.load(samples_dir)
        self.host = host
        self.port = port
        self.latency = latency
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._httpd is None:
            raise RuntimeError("the replay server is not running")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def start(self) -> CbrReplayServer:
        """Bind and serve in a background thread."""
        if self._httpd is not None:
            return self
        httpd = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="cbr-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> CbrReplayServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def respond(self, target: str) -> tuple[int, bytes]:
        """HTTP status and body for a request target such as ``/scripts/XML_daily.asp?...``."""
        parts = urlsplit(target)
        script = parts.path.rstrip("/").lower()
        params = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        if script == "/scripts/xml_dynamic.asp":
            start, end = _parse_day(params.get("date_req1")), _parse_day(params.get("date_req2"))
            currency_id = params.get("val_nm_rq", "").strip().upper()
            if start is None or end is None or not currency_id:
                return 200, ERROR_BODY
            return 200, self.archive.dynamic_body(currency_id, start, end)
        if script == "/scripts/xml_metall.asp":
            start, end = _parse_day(params.get("date_req1")), _parse_day(params.get("date_req2"))
            if start is None or end is None:
                return 200, ERROR_BODY
            return 200, self.archive.metals_body(start, end)
        if script == "/scripts/xml_daily.asp":
            if "date_req" not in params:
                return 200, self.archive.daily_body(None)
            on_date = _parse_day(params["date_req"])
            if on_date is None:
                return 200, ERROR_BODY
            return 200, self.archive.daily_body(on_date)
        if script == "/scripts/xml_valfull.asp" and params.get("d", "0").strip() in ("", "0"):
            return 200, self.archive.catalogue
        return 404, b"Not Found"

    def _record(self, target: str) -> None:
        with self._lock:
            self.requests.append(target)


def _handler_for(server: CbrReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "cbr-replay/1.0"

        def do_GET(self) -> None:
            server._record(self.path)
            if server.latency > 0:
                time.sleep(server.latency)
            status, body = server.respond(self.path)
            self.send_response(status)
            if status == 200:
                self.send_header("Content-Type", CONTENT_TYPE)
            else:
                self.send_header("Content-Type", "text/plain; charset=us-ascii")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: tests and demos read :attr:`CbrReplayServer.requests` instead."""

    return Handler
