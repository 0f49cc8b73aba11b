"""The fact vocabulary: the one place that knows metrics, units, qualifiers, subjects and
products. Extraction, the evaluation harness and the dbt tests all follow these names
(docs/facts.md has the annotation rules). Countries, regions and blocs are the gazetteer of
:mod:`extract.facts.places`."""

from __future__ import annotations

import re
from dataclasses import dataclass

METRIC_UNITS: dict[str, str | None] = {
    "export_volume": "RUB",
    "export_growth": "x",
    "export_destination": None,
    "exporters_share": "ratio",
    "export_countries": "count",
    "export_share": "ratio",
    "revenue": "RUB",
    "investment": "RUB",
    "revenue_growth": "x",
    "output_growth": "x",
    "investment_growth": "x",
    "resident_count": "count",
    "company_count": "count",
    "new_residents": "count",
    "jobs": "count",
    "site_count": "count",
    "land_area": "m2",
    "floor_area": "m2",
    "production_count": "count",
    "building_count": "count",
}
"""Every metric with its unit (``None``: the fact carries a region, not a number)."""

FLOW_METRICS = frozenset(
    {
        "export_volume",
        "export_growth",
        "export_destination",
        "exporters_share",
        "export_countries",
        "export_share",
        "revenue",
        "investment",
        "revenue_growth",
        "output_growth",
        "investment_growth",
        "new_residents",
    }
)
"""Metrics that describe a period (they get period_start/period_end); the rest are stocks."""

QUALIFIERS = ("exact", "approx", "over", "under", "almost")

ZONE = "Технополис Москва"
SITES = ("Печатники", "Микрон", "МИЭТ", "Ангстрем", "Алабушево", "Руднево")


@dataclass(frozen=True)
class Term:
    """A canonical name and the regular expression (over lower-cased text) that finds it."""

    name: str
    pattern: re.Pattern[str]


def _terms(rows: list[tuple[str, str]]) -> tuple[Term, ...]:
    return tuple(Term(name, re.compile(pattern)) for name, pattern in rows)


# Subjects: the zone under its spelling variants, then its sites.
SUBJECT_TERMS = _terms(
    [
        (
            ZONE,
            r"технополис\w*(?:\s*[«\"“„']?\s*москв\w*[»\"”']?)?|technopolis(?:\s+moscow)?|"
            r"\bоэз\b|особ\w+ экономическ\w+ зон\w*",
        ),
        ("Печатники", r"\bпечатник"),
        ("Микрон", r"«микрон»|\"микрон\"|площадк\w* «?микрон"),
        ("МИЭТ", r"\bмиэт\b"),
        ("Ангстрем", r"\bангстрем"),
        ("Алабушево", r"\bалабушев"),
        ("Руднево", r"\bруднев"),
    ]
)

PRODUCT_TERMS = _terms(
    [
        ("микроэлектроника", r"микроэлектрон|микросхем|полупроводник"),
        ("литий-ионные батареи", r"литий-ионн|аккумулятор"),
        ("установки для дезинфекции", r"дезинфекц|обеззараж"),
        ("досмотровое оборудование", r"досмотров|антитеррористическ"),
        ("медицинская техника", r"медицинск\w* (?:техник|издели|оборудован|прибор)"),
        ("ювелирные изделия", r"ювелирн\w* (?:издели|украшен|продукц)|украшени"),
        ("фармацевтика", r"фармацевт|лекарств"),
        ("оборудование для нефтегазовой отрасли", r"нефтегаз"),
        ("IT-оборудование", r"it-оборудован|серверн\w* оборудован|вычислительн\w* техник"),
        ("робототехника", r"робот"),
        ("композитные материалы", r"композит"),
        ("электротранспорт", r"электробус|электромобил|зарядн\w* станц"),
        ("светотехника", r"светодиод|светотехн|светильник"),
        ("продукты питания", r"продукт\w* питани|пищев"),
    ]
)
"""Product categories, canonical names in Russian."""


def find_terms(terms: tuple[Term, ...], text: str) -> list[tuple[int, int, str]]:
    """``(start, end, name)`` for every term found in ``text`` (case-insensitive), in order."""
    lowered = text.lower()
    found = [
        (m.start(), m.end(), term.name) for term in terms for m in term.pattern.finditer(lowered)
    ]
    return sorted(found)
