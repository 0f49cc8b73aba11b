"""Numbers and tables as people write them, said once for the whole project.

- :func:`plain_number`: a number for a terminal, CSV or Markdown: ``0``, not ``0E-12``;
  ``1200000000``, not ``1.2e+09``; ``83.1259``, not ``83.125900000000``.
- :func:`json_number`: the same number as a JSON number (``int`` or ``float``), not a string.
- :func:`ru_number` / :func:`ru_percent`: Russian style for the report (Babel's ``ru`` locale):
  «10 419,09», «+1,48 %».
- :func:`text_table` / :func:`markdown_table`: the one table printer (aligned text for the
  terminal, Markdown for docs and the Dagster UI); numbers right-aligned, printed plainly.
- :func:`shorten`: text cut to a width at a word boundary, never mid-word.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal

from babel.numbers import format_decimal

from extract.safe_text import printable

NBSP = "\u00a0"
MINUS = "\u2212"  # the minus sign Russian typography uses
NULL = "NULL"
FLOAT_DIGITS = 12  # a DOUBLE's figures that mean something (an article's 1/7, a sum of shares)

Number = int | float | Decimal


def is_number(value: object) -> bool:
    """An int, float or Decimal (a bool is not a number here)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def plain_number(value: Number) -> str:
    """``value`` in positional notation, without an exponent or trailing fractional zeros:
    Decimal('0E-12') -> '0', Decimal('83.125900000000') -> '83.1259', 1.2e9 -> '1200000000',
    5.39256e-05 -> '0.0000539256'; a float to FLOAT_DIGITS significant digits, so that 1/7 is
    '0.142857142857' and 0.1 + 0.2 is '0.3'."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        value = Decimal(f"{value:.{FLOAT_DIGITS}g}")
    if not value.is_finite():
        return "NaN" if value.is_nan() else ("inf" if value > 0 else "-inf")
    if value.is_zero():
        return "0"
    return f"{value.normalize():f}"


def grouped_number(value: Number) -> str:
    """:func:`plain_number` with its whole part in groups of three digits, a space between
    (the SI way, readable in any language): 1.2e9 -> '1 200 000 000', 2233000.5 -> '2 233 000.5'."""
    text = plain_number(value)
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, fraction = digits.partition(".")
    if not whole.isdigit():
        return text
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + " ".join(groups) + dot + fraction


def json_number(value: Number) -> int | float | None:
    """``value`` as a JSON number: an int when whole, else a float (a DECIMAL(18,10) has at most
    18 significant digits; a float keeps 15 of them exactly). NaN and infinities become null."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    return value if math.isfinite(value) else None


def json_value(value: object) -> object:
    """A database value for ``json.dumps``: numbers as numbers, dates as ISO strings, bytes as
    hex, anything else unknown as its text."""
    if value is None or isinstance(value, bool | str):
        return value
    if is_number(value):
        return json_number(value)  # type: ignore[arg-type]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def plain_value(value: object) -> str:
    """A database value for a CSV or text cell: NULL, true/false, plain numbers, ISO dates."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return plain_number(value)  # type: ignore[arg-type]
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")  # as DuckDB prints a timestamp
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def ru_number(value: Number, min_decimals: int = 0, max_decimals: int = 2) -> str:
    """``value`` Russian style: no-break space between thousands, decimal comma, between
    ``min_decimals`` and ``max_decimals`` decimals: 12345.5 -> «12 345,5», (10419.09, 2) ->
    «10 419,09»; a stored Decimal keeps its digits when max_decimals allows them."""
    pattern = "#,##0" + ("." + "0" * min_decimals + "#" * max(0, max_decimals - min_decimals))
    pattern = pattern.rstrip(".")
    return format_decimal(value, format=pattern, locale="ru", decimal_quantization=True)


def ru_percent(value: Number, decimals: int = 2) -> str:
    """A change in percent, signed, rounded to ``decimals``: «+1,48 %», «−5,04 %», «0,00 %»."""
    rounded = round(Decimal(str(value)), decimals)
    text = ru_number(abs(rounded), decimals, decimals)
    sign = "+" if rounded > 0 else MINUS if rounded < 0 else ""
    return f"{sign}{text}{NBSP}%"


def shorten(text: str, width: int, placeholder: str = "…") -> str:
    """``text`` on one line, cut to at most ``width`` characters at a word boundary (the
    placeholder marks the cut): a place name is whole or absent, never «Юго-Восточной Ази»."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    room = max(0, width - len(placeholder))
    cut = text[: room + 1].rsplit(" ", 1)[0] if " " in text[: room + 1] else ""
    return cut.rstrip(" ,;:") + placeholder


def _numeric_columns(rows: Sequence[Sequence[object]]) -> list[bool]:
    width = len(rows[0]) if rows else 0
    return [
        any(row[i] is not None for row in rows)
        and all(row[i] is None or is_number(row[i]) for row in rows)
        for i in range(width)
    ]


def number_column(values: Sequence[object]) -> list[str]:
    """A table column's cells: numbers printed plainly, with as many decimals as the column's
    most precise number needs, so that the decimal points line up (4073.3 beside 10419.09 is
    4073.30); anything else by :func:`plain_value`."""
    texts = [plain_value(v) for v in values]
    decimals = max(
        (len(s.partition(".")[2]) for v, s in zip(values, texts, strict=True) if is_number(v)),
        default=0,
    )
    if decimals == 0:
        return texts
    return [
        s + ("." if "." not in s else "") + "0" * (decimals - len(s.partition(".")[2]))
        if is_number(v) and s.lstrip("-").replace(".", "", 1).isdigit()
        else s
        for v, s in zip(values, texts, strict=True)
    ]


def _columns(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    """Each row's cells as text, numbers aligned per column (:func:`number_column`)."""
    if not rows:
        return []
    by_column = [number_column([row[i] for row in rows]) for i in range(len(rows[0]))]
    return [list(cells) for cells in zip(*by_column, strict=True)]


def looks_numeric(text: str) -> bool:
    """A cell's text that reads as a number: '12', '-0.5', '1,234' (a figure already printed)."""
    digits = text.replace(",", "").replace(".", "", 1).removeprefix("-")
    return digits.isdigit()


def text_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An aligned text table for the terminal: a header, a rule, one line per row; numbers
    (and cells already printed as numbers) right-aligned, printed plainly; every cell through
    :func:`printable` (text from articles must not drive the terminal)."""
    headers = [printable(c) for c in columns]
    cells = [
        [(printable(text), is_number(v) or (isinstance(v, str) and looks_numeric(v)))
         for v, text in zip(row, texts, strict=True)]
        for row, texts in zip(rows, _columns(rows), strict=True)
    ]  # fmt: skip
    widths = [max([len(h)] + [len(r[i][0]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[tuple[str, bool]]) -> str:
        return "  ".join(
            text.rjust(w) if right else text.ljust(w)
            for (text, right), w in zip(values, widths, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line([(h, False) for h in headers]), rule, *(line(r) for r in cells)])


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; columns of numbers right-aligned, numbers plain, text on one line."""

    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    cells = [[cell(v) for v in row] for row in _columns(rows)]
    numeric = _numeric_columns(rows)
    numeric = numeric or [False] * len(columns)
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)
