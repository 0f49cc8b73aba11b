"""Reading articles: ``.txt``, ``.html`` and ``.jsonl`` files into :class:`Article` rows.

Every input is untrusted. A file that cannot become an article becomes a :class:`Quarantined`
row with a reason and a sentence saying what was wrong; :func:`read_path` never raises for bad
content. The rules, in order: size (5 MB per file, checked before reading), empty, binary (NUL
bytes or mostly control characters), encoding (a BOM, then strict UTF-8, then a declared charset,
then windows-1251 only when the result reads as Russian), language (Russian or English by letter
counts). Text is normalized (NFC, ``\\n`` line ends, no control characters or trailing spaces,
runs of blank lines collapsed to one; a title repeated as the first line is dropped) and
``article_id`` is the first 16 hex digits of its sha256.

Duplicates: the same normalized text read under two names gives two :class:`Article` values with
the same ``article_id``; both are returned, and the loader keeps one ``raw.articles`` row and maps
both sources to it in ``raw.article_sources``.

A page header ticker (``СЕГОДНЯ, 05.12.2025 | КУРСЫ ВАЛЮТ ...``) gives the *view* date, the day
the page was looked at, never the publication date; :func:`parse_ticker` reads its quotes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Literal

import lxml.html
import trafilatura
from lxml import etree

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MIN_LETTERS = 20  # fewer letters than this and the language cannot be told
SOURCES_FILE = "sources.txt"  # URL lists, read by extract.fetch.read_sources, not articles

QuarantineReason = Literal[
    "empty", "binary", "too_large", "encoding", "language", "bad_json", "missing_text",
    "bad_date", "fetch_failed", "not_allowed", "unsupported", "not_regular_file", "too_slow",
]  # fmt: skip


@dataclass(frozen=True)
class Article:
    """One article's normalized text and what is known about it."""

    article_id: str  # first 16 hex digits of content_sha256
    source: str  # file name (relative to the folder read), JSONL id, or URL
    url: str | None
    title: str | None
    published_date: date | None
    view_date: date | None  # a header ticker's "СЕГОДНЯ" date: when the page was viewed
    text: str
    content_sha256: str  # sha256 hex of `text`
    language: Literal["ru", "en"]
    source_sha256: str  # sha256 hex of the source bytes (the file, the JSONL line, the body)
    header: str | None  # the raw header ticker line, when there was one


@dataclass(frozen=True)
class Quarantined:
    """An input that did not become an article, and why."""

    source: str
    reason: QuarantineReason
    detail: str
    source_sha256: str | None = None  # of the bytes, when they were read


@dataclass(frozen=True)
class TickerQuote:
    """One figure from a page header ticker: a currency rate or a metal price, in RUB."""

    quote_date: date
    instrument: str  # USD, EUR, ... or gold, silver, platinum, palladium
    value: Decimal  # exactly as printed
    source_text: str  # the fragment it was read from, e.g. "USD: 76,9708"


# --------------------------------------------------------------------------- the ticker

_HEADER_RE = re.compile(r"^\s*СЕГОДНЯ\s*,\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*\|", re.IGNORECASE)
_NUMBER = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_CURRENCY_RE = re.compile(rf"(?<![A-Za-z])([A-Z]{{3}})\s*:?\s*({_NUMBER})(?![\d.,]*\d)")
_METAL_RE = re.compile(rf"(ЗОЛОТО|СЕРЕБРО|ПЛАТИНА|ПАЛЛАДИЙ)\s*:?\s*({_NUMBER})", re.IGNORECASE)
_METALS = {"ЗОЛОТО": "gold", "СЕРЕБРО": "silver", "ПЛАТИНА": "platinum", "ПАЛЛАДИЙ": "palladium"}


def _header_date(line: str) -> date | None:
    match = _HEADER_RE.match(line)
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_ticker(line: str) -> list[TickerQuote]:
    """Quotes in a ``СЕГОДНЯ, DD.MM.YYYY | ...`` header line; ``[]`` for any other line."""
    quote_date = _header_date(line)
    if quote_date is None:
        return []
    quotes: dict[str, TickerQuote] = {}
    found = [(m, m.group(1)) for m in _CURRENCY_RE.finditer(line)]
    found += [(m, _METALS[m.group(1).upper()]) for m in _METAL_RE.finditer(line)]
    for match, instrument in sorted(found, key=lambda pair: pair[0].start()):
        digits = re.sub(r"[ \u00a0\u202f]", "", match.group(2)).replace(",", ".")
        try:
            value = Decimal(digits)
        except InvalidOperation:
            continue
        quotes.setdefault(instrument, TickerQuote(quote_date, instrument, value, match.group(0)))
    return list(quotes.values())


# --------------------------------------------------------------------------- text helpers

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_LETTER_RE = re.compile(r"[^\W\d_]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_RUSSIAN_RE = re.compile(r"[\u0410-\u044f\u0401\u0451]")  # the 33 Russian letters
_RUSSIAN_LOWER_RE = re.compile(r"[\u0430-\u044f\u0451]")  # lower case
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")


def normalize_text(text: str) -> str:
    """NFC, ``\\n`` line ends, no control characters or trailing spaces, one blank line at most."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = unicodedata.normalize("NFC", _CONTROL_RE.sub("", text.replace("\ufeff", "")))
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip("\n")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reads_as_russian(text: str) -> bool:
    """Whether windows-1251-decoded text looks like Russian (KOI8-R or binary data do not)."""
    cyrillic = len(_RUSSIAN_RE.findall(text))
    lower = len(_RUSSIAN_LOWER_RE.findall(text))
    other = len(_CYRILLIC_RE.findall(text)) - cyrillic  # Ђ, Ї, Ў...: rare in Russian
    letters = len(_LETTER_RE.findall(text))
    return (
        cyrillic >= MIN_LETTERS
        and cyrillic >= 0.5 * letters
        and lower >= 0.6 * cyrillic
        and other <= 0.01 * cyrillic
    )


def _decode(raw: bytes, declared: str | None) -> str | None:
    """A BOM, strict UTF-8, the declared charset, plausible windows-1251; None when none fits."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                return None
    for codec in ["utf-8", declared] if declared else ["utf-8"]:
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    text = raw.decode("windows-1251", errors="replace")
    return text if "\ufffd" not in text and _reads_as_russian(text) else None


def _is_binary(raw: bytes) -> bool:
    """NUL bytes or many control bytes; UTF-16 with a BOM is judged after decoding."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in raw:
        return True
    sample = raw[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f\x1b")
    return controls > 0.05 * len(sample)


def _language(text: str) -> tuple[Literal["ru", "en"] | None, str]:
    """``ru``/``en`` by Cyrillic and Latin letter counts, or None and what the letters were."""
    letters = len(_LETTER_RE.findall(text))
    cyrillic = len(_CYRILLIC_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    counts = f"{letters} letters: {cyrillic} Cyrillic, {latin} Latin"
    if letters < MIN_LETTERS:
        return None, f"too few letters to tell the language ({counts})"
    if cyrillic + latin < 0.5 * letters:
        return None, f"neither Russian nor English ({counts})"
    return ("ru" if cyrillic >= latin else "en"), counts


def _make_article(
    *,
    source: str,
    where: str,
    text: str,
    source_sha256: str,
    url: str | None = None,
    title: str | None = None,
    published_date: date | None = None,
    header: str | None = None,
) -> Article | Quarantined:
    """Drop ticker lines, normalize, check the language and hash: the end of every reader."""
    kept = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _HEADER_RE.match(line):
            header = header or " ".join(line.split())
        else:
            kept.append(line)
    text = normalize_text("\n".join(kept))
    title = " ".join(normalize_text(title or "").split()) or None
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:  # the title repeated as the first line of the text
        text = rest.strip("\n")
    if not text:
        detail = "has a title but no text" if title else "has no text"
        return Quarantined(source, "empty", f"{where} {detail}", source_sha256)
    language, counts = _language(f"{title or ''}\n{text}")
    if language is None:
        return Quarantined(source, "language", f"{where}: {counts}", source_sha256)
    digest = _sha256(text.encode("utf-8"))
    view_date = _header_date(header) if header else None
    return Article(
        digest[:16], source, url, title, published_date, view_date, text, digest, language,
        source_sha256, header,
    )  # fmt: skip


def _decoded(raw: bytes, source: str, where: str, declared: str | None = None) -> str | Quarantined:
    digest = _sha256(raw)
    if not raw.strip():
        return Quarantined(source, "empty", f"{where} is empty", digest)
    if _is_binary(raw):
        return Quarantined(source, "binary", f"{where} holds binary data, not text", digest)
    text = _decode(raw, declared)
    if text is None:
        return Quarantined(
            source,
            "encoding",
            f"{where} is neither UTF-8 nor windows-1251 Russian text",
            digest,
        )
    if len(_CONTROL_RE.findall(text)) > 0.05 * len(text):
        return Quarantined(source, "binary", f"{where} is mostly control characters", digest)
    if not text.strip():
        return Quarantined(source, "empty", f"{where} holds only whitespace", digest)
    return text


# --------------------------------------------------------------------------- .txt

_MONTHS = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
_MONTH_NUMBERS = {name: number for number, name in enumerate(_MONTHS.split(), start=1)}
_DATE_LINE_RE = re.compile(
    r"^(?:(?:дата публикации|опубликовано|дата)\s*:?\s*)?"
    r"(?:(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<month>{'|'.join(_MONTHS.split())})\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))"
    r"(?:\s*(?:\u0433\.?|года))?(?:\s*,?\s*\d{1,2}:\d{2})?\.?$",
    re.IGNORECASE,
)


def _date_line(line: str, where: str) -> tuple[bool, date | None]:
    """Whether ``line`` is a publication date line, and its date (None if impossible or future)."""
    match = _DATE_LINE_RE.match(" ".join(line.split()))
    if not match:
        return False, None
    g = match.groupdict()
    if g["month"]:
        parts = (g["y2"], _MONTH_NUMBERS[g["month"].lower()], g["d2"])
    else:
        parts = (g["y"] or g["y3"], g["m"] or g["m3"], g["d"] or g["d3"])
    try:
        published = date(*(int(p) for p in parts))
    except ValueError:
        log.warning("%s: %r is not a calendar date; publication date left empty", where, line)
        return True, None
    if published > date.today():
        log.warning("%s: publication date %s is in the future; left empty", where, published)
        return True, None
    return True, published


def article_from_txt(
    raw: bytes | str,
    source: str,
    url: str | None = None,
    *,
    charset: str | None = None,
    where: str | None = None,
) -> Article | Quarantined:
    """A plain-text article: the first non-empty line is the title, a date line may follow.

    Among the first five non-empty lines (the header ticker aside), the first that is only a
    date (``Дата публикации: 12.02.2021``, ``12.02.2021``, ``12 февраля 2021`` with
    or without «года», ``2021-02-12``) gives the publication date and is dropped from the text.
    A future or impossible date is logged as a warning and left empty (the article is kept).
    ``charset`` is the one a server declared, if any.
    """
    where = where or source
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    text = _decoded(data, source, where, charset)
    if isinstance(text, Quarantined):
        return text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    content = [i for i, line in enumerate(lines) if line.strip() and not _HEADER_RE.match(line)]
    published = None
    for i in content[:5]:
        is_date, published = _date_line(lines[i], where)
        if is_date:
            lines[i] = ""
            content.remove(i)
            break
    title = lines[content[0]].strip() if content else None
    if content:
        lines[content[0]] = ""
    return _make_article(
        source=source,
        where=where,
        text="\n".join(lines),
        source_sha256=_sha256(data),
        url=url,
        title=title,
        published_date=published,
    )


# --------------------------------------------------------------------------- .html

_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_HEADER_XPATH = (
    "//body//*[starts-with(normalize-space(.), 'СЕГОДНЯ')"
    " or starts-with(normalize-space(.), 'Сегодня')][not(self::script or self::style)]"
)


def _pop_header(tree: lxml.html.HtmlElement) -> str | None:
    """Remove the innermost element whose text is the header ticker; return that text."""
    found = [el for el in tree.xpath(_HEADER_XPATH) if isinstance(el.tag, str)]
    for element in sorted(found, key=lambda el: -sum(1 for _ in el.iterancestors())):
        line = " ".join(element.text_content().split())
        if _HEADER_RE.match(line):
            element.drop_tree()
            return line
    return None


def article_from_html(
    raw_html: bytes | str,
    source: str,
    url: str | None = None,
    *,
    charset: str | None = None,
    where: str | None = None,
) -> Article | Quarantined:
    """A web page: trafilatura keeps the main text, title and date; the header ticker is kept aside.

    ``charset`` is the one declared by the server, if any; a ``<meta charset>`` counts too. The
    ticker element is removed before extraction and dates are taken from the page's markup only
    (no search of free text), so the ticker's "today" never passes for a publication date.
    """
    where = where or source
    data = raw_html.encode("utf-8") if isinstance(raw_html, str) else raw_html
    meta = _META_CHARSET_RE.search(data[:4096])
    declared = charset or (meta.group(1).decode("ascii", "replace") if meta else None)
    text = _decoded(data, source, where, declared)
    if isinstance(text, Quarantined):
        return text
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str with an encoding declaration
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        detail = f"{where} is not a readable HTML page: {exc}"
        return Quarantined(source, "empty", detail, _sha256(data))
    header = _pop_header(tree)
    extracted = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    body = getattr(extracted, "text", None) or ""
    if not body.strip():
        return Quarantined(source, "empty", f"{where} has no main text", _sha256(data))
    published = None
    if page_date := getattr(extracted, "date", None):
        try:
            published = date.fromisoformat(page_date[:10])
        except ValueError:
            log.warning("%s: page date %r is not a date", where, page_date)
    return _make_article(
        source=source,
        where=where,
        text=body,
        source_sha256=_sha256(data),
        url=url or getattr(extracted, "url", None),
        title=getattr(extracted, "title", None),
        published_date=published,
        header=header,
    )


# --------------------------------------------------------------------------- .jsonl


def _published_at(value: object) -> date | None:
    """An ISO date or date-time (its date part); None when absent; ValueError when bad."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"published_at is {type(value).__name__}, not an ISO date string")
    try:
        return date.fromisoformat(value)
    except ValueError:
        return datetime.fromisoformat(value).date()


def _jsonl_line(line: bytes, source: str, where: str) -> Article | Quarantined:
    digest = _sha256(line)
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        return Quarantined(source, "bad_json", f"{where} is not JSON: {exc}", digest)
    if not isinstance(record, dict):
        detail = f"{where} is a JSON {type(record).__name__}, not an object"
        return Quarantined(source, "bad_json", detail, digest)
    article_id, text = record.get("id"), record.get("text")
    if isinstance(article_id, int) and not isinstance(article_id, bool):
        article_id = str(article_id)
    if not isinstance(article_id, str) or not article_id.strip():
        return Quarantined(source, "missing_text", f"{where} has no string `id`", digest)
    if not isinstance(text, str) or not text.strip():
        return Quarantined(source, "missing_text", f"{where} ({article_id}) has no `text`", digest)
    try:
        published = _published_at(record.get("published_at"))
    except ValueError:
        bad = record.get("published_at")
        detail = f"{where} ({article_id}): published_at {bad!r} is not an ISO date"
        return Quarantined(source, "bad_date", detail, digest)
    if published and published > date.today():
        log.warning("%s: published_at %s is in the future; left empty", where, published)
        published = None
    url, title = record.get("url"), record.get("title")
    result = _make_article(
        source=article_id.strip(),
        where=f"{where} ({article_id})",
        text=text,
        source_sha256=digest,
        url=url if isinstance(url, str) and url.strip() else None,
        title=title if isinstance(title, str) else None,
        published_date=published,
    )
    if isinstance(result, Quarantined):  # quarantine rows name the line, not the id
        return Quarantined(source, result.reason, result.detail, digest)
    return result


def _read_jsonl(data: bytes, name: str, where: str) -> list[Article | Quarantined]:
    text = _decoded(data, name, where)
    if isinstance(text, Quarantined):
        return [text]
    results: list[Article | Quarantined] = []
    for number, line in enumerate(text.encode("utf-8").split(b"\n"), start=1):
        if line.strip():
            line = line.rstrip(b"\r")
            results.append(_jsonl_line(line, f"{name}:{number}", f"{where}:{number}"))
    return results


# --------------------------------------------------------------------------- files and folders

_READERS = {".txt": "txt", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)
# Never follow a link, never wait for a writer on a FIFO, never adopt a terminal.
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY


def _symlink(source: str, where: str, target: str) -> Quarantined:
    shown = f" to {target!r}" if target else ""
    detail = f"{where} is a symbolic link{shown}; links in the article folder are not followed"
    return Quarantined(source, "not_regular_file", detail)


def _not_regular(source: str, where: str, mode: int) -> Quarantined | None:
    """A ``not_regular_file`` row for a FIFO, socket, device or folder (``mode`` from fstat)."""
    if stat.S_ISREG(mode):
        return None
    kind = next((text for test, text in _NOT_REGULAR if test(mode)), "not a regular file")
    return Quarantined(
        source, "not_regular_file", f"{where} is {kind}; only regular files are read"
    )


def _readlink(name: str, dir_fd: int | None) -> str:
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return ""


def _read_bytes(
    name: str, source: str, where: str, max_bytes: int, *, dir_fd: int | None, follow: bool
) -> bytes | Quarantined:
    """The bytes of a regular file, read through a descriptor that is checked after opening.

    ``name`` is opened relative to ``dir_fd`` (a folder found by the walk) with ``O_NOFOLLOW``, so
    a link is refused even when it was swapped in after the listing; ``follow`` is only for a file
    the caller named itself. ``O_NONBLOCK`` keeps a FIFO from blocking the open, and ``fstat`` on
    the opened descriptor decides: anything but a regular file is closed unread.
    """
    flags = _OPEN_FLAGS & ~os.O_NOFOLLOW if follow else _OPEN_FLAGS
    try:
        # Look first, so a device or FIFO is normally never even opened.
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=follow)
        if stat.S_ISLNK(info.st_mode):
            return _symlink(source, where, _readlink(name, dir_fd))
        if refused := _not_regular(source, where, info.st_mode):
            return refused
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and not follow:  # O_NOFOLLOW met a new link
            return _symlink(source, where, _readlink(name, dir_fd))
        return Quarantined(source, "fetch_failed", f"cannot read {where}: {exc.strerror or exc}")
    with os.fdopen(fd, "rb") as file:  # closes fd on every path below
        try:
            info = os.fstat(fd)
            if refused := _not_regular(source, where, info.st_mode):  # swapped after the look
                return refused
            os.set_blocking(fd, True)
            size = info.st_size
            if size > max_bytes:  # read only files that say they fit, and never more than fits
                data = None
            else:
                data = file.read(max_bytes + 1)
                size = len(data)
        except OSError as exc:
            detail = f"cannot read {where}: {exc.strerror or exc}"
            return Quarantined(source, "fetch_failed", detail)
    if data is None or size > max_bytes:
        limit = f"{max_bytes / 1024 / 1024:g} MB"
        return Quarantined(
            source, "too_large", f"{where} is {size:,} bytes, over the {limit} limit"
        )
    return data


def read_regular_file(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES
) -> bytes | Quarantined:
    """The bytes of ``path`` when it is a regular file (not a link, FIFO, socket or device) of
    at most ``max_bytes``; otherwise a :class:`Quarantined` row saying why. Never blocks.

    For other files found in an article folder, such as ``sources.txt``.
    """
    file = Path(path)
    return _read_bytes(str(file), file.name, str(file), max_bytes, dir_fd=None, follow=False)


def _read_file(
    name: str, source: str, where: str, max_bytes: int, *, dir_fd: int | None, follow: bool
) -> list[Article | Quarantined]:
    data = _read_bytes(name, source, where, max_bytes, dir_fd=dir_fd, follow=follow)
    if isinstance(data, Quarantined):
        return [data]
    kind = _READERS[PurePosixPath(name).suffix.lower()]
    if kind == "jsonl":
        return _read_jsonl(data, source, where)
    reader = article_from_html if kind == "html" else article_from_txt
    return [reader(data, source, where=where)]


def _is_article_name(name: str) -> bool:
    if name.startswith(".") or name.lower() == SOURCES_FILE:
        return False
    return PurePosixPath(name).suffix.lower() in _READERS


def _read_folder(root: Path, max_bytes: int) -> list[Article | Quarantined]:
    """Every article file under ``root``, in order of relative name; hidden files, hidden folders
    and sources.txt skipped.

    ``root`` itself may be a link (the caller chose it); below it nothing is followed. The walk
    holds a descriptor for each folder and opens names relative to it, so a folder swapped for
    a link mid-walk is not entered either. Links to folders are quarantined, not walked; links
    to files, FIFOs, sockets and devices with an article suffix are quarantined unread.
    """
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NONBLOCK)
    except OSError as exc:
        return [Quarantined(root.name, "fetch_failed", f"cannot read {root}: {exc.strerror}")]
    found: list[tuple[str, list[Article | Quarantined]]] = []
    try:
        for folder, dirs, files, dir_fd in os.fwalk(".", dir_fd=root_fd):
            relative = PurePosixPath(folder)
            kept = []
            for name in dirs:
                if name.startswith("."):
                    continue
                try:
                    is_link = stat.S_ISLNK(
                        os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
                    )
                except OSError:
                    is_link = False  # gone since the listing: fwalk skips it
                if is_link:
                    source = (relative / name).as_posix()
                    link = _readlink(name, dir_fd)
                    detail = (
                        f"{root / source} is a symbolic link to a folder ({link!r}); links in the"
                        " article folder are not followed, so nothing under it is read"
                    )
                    found.append((source, [Quarantined(source, "not_regular_file", detail)]))
                else:
                    kept.append(name)
            dirs[:] = kept
            for name in files:
                if not _is_article_name(name):
                    continue
                source = (relative / name).as_posix()
                where = str(root / source)
                results = _read_file(name, source, where, max_bytes, dir_fd=dir_fd, follow=False)
                found.append((source, results))
    finally:
        os.close(root_fd)
    found.sort(key=lambda pair: pair[0])
    return [result for _, results in found for result in results]


def read_path(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES
) -> tuple[list[Article], list[Quarantined]]:
    """Read an article file, or every ``.txt``/``.html``/``.htm``/``.jsonl`` under a folder.

    Sources are file names relative to the folder (the name alone for a single file) and
    ``file.jsonl:LINE`` for quarantined JSONL lines. Other files, hidden ones and
    ``sources.txt`` (URL lists for :mod:`extract.fetch`) are skipped.

    Only regular files are read, and never by blocking: inside a folder every symbolic link (to a
    file or a folder, inside the folder or out of it), FIFO, socket and device with an article
    name is quarantined as ``not_regular_file`` unread, and links to folders are not walked.
    A single file the caller names may be a link, but must resolve to a regular file.
    """
    root = Path(path)
    if root.is_dir():
        results = _read_folder(root, max_bytes)
    elif root.suffix.lower() in _READERS and root.name.lower() != SOURCES_FILE:
        # A file named by the caller: a link to it is followed, but it must be a regular file.
        results = _read_file(str(root), root.name, str(root), max_bytes, dir_fd=None, follow=True)
    elif root.exists():
        detail = f"{root} is not a .txt, .html, .htm or .jsonl file"
        return [], [Quarantined(root.name, "unsupported", detail)]
    else:
        raise FileNotFoundError(f"no such article file or folder: {root}")
    articles: list[Article] = []
    quarantined: list[Quarantined] = []
    for result in results:
        (quarantined if isinstance(result, Quarantined) else articles).append(result)
    return articles, quarantined
