"""The fact vocabulary: the one place that knows metrics, units, qualifiers, subjects, regions
and products. Extraction, the evaluation harness and the dbt tests all follow these names
(DESIGN.md, "Fact vocabulary"; docs/facts.md for the annotation rules)."""

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
        ("светотехника", r"светодиод|светотехн"),
        ("продукты питания", r"продукт\w* питани|пищев"),
    ]
)
"""Product categories, canonical names in Russian."""

# Regions that NER does not tag or tags inconsistently; countries come from natasha's NER too.
REGION_TERMS = _terms(
    [
        ("Юго-Восточная Азия", r"юго-восточн\w* ази"),
        ("Северная Америка", r"северн\w* америк"),
        ("Латинская Америка", r"латинск\w* америк"),
        ("Западная Европа", r"западн\w* европ"),
        ("Восточная Европа", r"восточн\w* европ"),
        ("Ближний Восток", r"ближн\w* восток"),
        ("Центральная Азия", r"центральн\w* ази"),
        ("СНГ", r"\bснг\b|содружеств\w* независим"),
        ("ЕАЭС", r"\bеаэс\b|евразийск\w* экономическ\w* союз"),
        ("постсоветское пространство", r"постсоветск"),
        ("Африка", r"\bафрик"),
        ("Европа", r"\bевроп"),
        ("Азия", r"\bази[июяей]\b"),
    ]
)

COUNTRIES: dict[str, tuple[str, str]] = {
    # name (nominative): (ISO 3166 alpha-2, regex over lower-cased text)
    "Индия": ("IN", r"\bинди[яиюе]"),
    "Китай": ("CN", r"\bкита[йяюе]|\bкнр\b"),
    "Казахстан": ("KZ", r"казахстан"),
    "Беларусь": ("BY", r"беларус|белорусси"),
    "Узбекистан": ("UZ", r"узбекистан"),
    "Киргизия": ("KG", r"киргиз|кыргыз"),
    "Армения": ("AM", r"армени"),
    "Азербайджан": ("AZ", r"азербайджан"),
    "Таджикистан": ("TJ", r"таджикистан"),
    "Турция": ("TR", r"турци"),
    "Вьетнам": ("VN", r"вьетнам"),
    "Индонезия": ("ID", r"индонези"),
    "Малайзия": ("MY", r"малайзи"),
    "Таиланд": ("TH", r"таиланд"),
    "Египет": ("EG", r"египт|египет"),
    "ОАЭ": ("AE", r"\bоаэ\b|эмират"),
    "Иран": ("IR", r"\bиран"),
    "Германия": ("DE", r"германи"),
    "Италия": ("IT", r"итали"),
    "Франция": ("FR", r"франци"),
    "Швейцария": ("CH", r"швейцари"),
    "США": ("US", r"\bсша\b|соединенн\w* штат"),
    "Бразилия": ("BR", r"бразили"),
    "Сербия": ("RS", r"серби"),
    "Монголия": ("MN", r"монголи"),
    "Саудовская Аравия": ("SA", r"саудовск"),
    "Южная Корея": ("KR", r"южн\w* коре"),
    "Япония": ("JP", r"япони"),
}
COUNTRY_TERMS = _terms([(name, pattern) for name, (_, pattern) in COUNTRIES.items()])


def region_code(region: str | None) -> str | None:
    """ISO 3166 alpha-2 code of a country name, None for macro-regions."""
    if region is None:
        return None
    entry = COUNTRIES.get(region)
    return entry[0] if entry else None


def find_terms(terms: tuple[Term, ...], text: str) -> list[tuple[int, int, str]]:
    """``(start, end, name)`` for every term found in ``text`` (case-insensitive), in order."""
    lowered = text.lower()
    found = [
        (m.start(), m.end(), term.name) for term in terms for m in term.pattern.finditer(lowered)
    ]
    return sorted(found)
