"""The report page: one HTML file that needs nothing else. The charts are embedded as base64
data URIs and the style is inline, so it opens offline, from a mail attachment or a share."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from extract.formatting import ru_number, ru_percent

if TYPE_CHECKING:
    from reports.charts import Chart, LatestMetal, LatestRate

STYLE = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; margin: 2rem auto;
       max-width: 1040px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9rem; }
"""


def build_html(
    charts: Sequence[Chart],
    images: Sequence[bytes],
    metals: Sequence[LatestMetal],
    rates: Sequence[LatestRate],
    warehouse: Path,
) -> str:
    """The page: latest values first, then every chart with its caption."""
    made = datetime.now(ZoneInfo("Europe/Moscow"))
    metal_rows = [
        [
            m.name,
            f"{m.day:%d.%m.%Y}",
            _number(m.rub_per_gram, 2),
            _percent(m.change_pct),
            _number(m.usd_per_troy_ounce, 2),
        ]
        for m in metals
    ]
    rate_rows = [
        [
            f"{r.name} ({r.currency_code})",
            f"{r.day:%d.%m.%Y}",
            _number(r.rub_per_unit, 4),
            _percent(r.change_pct),
            "да" if r.set_on_date else "нет (действует прежний)",
        ]
        for r in rates
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ru"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Технополис: курсы, металлы, экспорт</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Технополис: курсы, драгоценные металлы, экспорт</h1>",
        f'<p class="meta">Сформирован {made:%d.%m.%Y %H:%M} (МСК) из '
        f"<code>{escape(str(warehouse))}</code></p>",
        "<h2>Драгоценные металлы: последний загруженный день</h2>",
        _table(
            ["Металл", "Дата", "руб. за грамм", "изм. за день", "долл. США за тр. унцию"],
            metal_rows,
            numeric={2, 3, 4},
            table_id="latest-metals",
        ),
        "<h2>Курсы валют: последний загруженный день</h2>",
        _table(
            ["Валюта", "Дата", "руб. за единицу", "изм. за день", "установлен в этот день"],
            rate_rows,
            numeric={2, 3},
            table_id="latest-rates",
        ),
    ]
    for chart, png in zip(charts, images, strict=True):
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure id="{escape(chart.name)}"><img alt="{escape(chart.title)}" '
            f'src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(chart.title)}: {escape(chart.note)}</figcaption></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _table(header: list[str], rows: list[list[str]], numeric: set[int], table_id: str) -> str:
    if not rows:
        return f'<p id="{table_id}">Нет данных.</p>'
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(cell)}</td>'
            if index in numeric
            else f"<td>{escape(cell)}</td>"
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _number(value: Decimal | None, min_decimals: int) -> str:
    """A stored decimal exactly, Russian style, with trailing zeros dropped down to
    ``min_decimals``: (10419.09, 2) -> «10 419,09», (83.1259000000, 4) -> «83,1259»."""
    return "—" if value is None else ru_number(value, min_decimals, max_decimals=10)


def _percent(value: Decimal | None) -> str:
    """A day's change, rounded to hundredths of a percent: «+1,48 %», «−5,04 %»."""
    return "—" if value is None else ru_percent(value)
