"""Numeric facts from English articles about Technopolis Moscow and the jewelry industry.

The English counterpart of :func:`extract.facts.extract_facts`, in plain regular expressions:
each sentence's quantities (roubles, areas, percentages, shares, multipliers, counted nouns) get
a metric from their unit, noun and the words around them; periods are resolved against the
article's date; subjects, destinations and products are found in English and given their
Russian canonical names from :mod:`extract.vocabulary`. Rules and examples: docs/facts.md.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from extract.facts.dedupe import deduplicate
from extract.facts.model import MAX_QUANTITIES, Fact, Quantity, Sentence, check_deadline
from extract.facts.periods import english_period, english_target_year
from extract.facts.places import find_places, place_named, region_code
from extract.facts.sentences import blank, split_sentences
from extract.vocabulary import FLOW_METRICS, METRIC_UNITS, SITES, ZONE

# --------------------------------------------------------------------------- numbers

UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
WORD_NUMBERS: dict[str, int] = {
    **{word: n for n, word in enumerate(UNITS, start=1)},
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "a dozen": 12, "a hundred": 100,
}  # fmt: skip
ORDINALS: dict[str, int] = {
    "other": 2, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
FRACTIONS: dict[str, float] = {
    "half": 1 / 2, "third": 1 / 3, "quarter": 1 / 4, "fifth": 1 / 5, "sixth": 1 / 6,
    "tenth": 1 / 10, "two thirds": 2 / 3, "three quarters": 3 / 4,
}  # fmt: skip
SCALES = {"trillion": 1e12, "trn": 1e12, "tn": 1e12, "billion": 1e9, "bln": 1e9, "bn": 1e9,
          "million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}  # fmt: skip
MULTIPLIER_VERBS: dict[str, float] = {
    "doubled": 2.0, "twice": 2.0, "twofold": 2.0, "tripled": 3.0, "trebled": 3.0,
    "threefold": 3.0, "quadrupled": 4.0, "fourfold": 4.0, "fivefold": 5.0, "tenfold": 10.0,
}  # fmt: skip

_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
WORD_NUM = (
    rf"(?:(?:{_TENS})(?:-(?:{'|'.join(UNITS)}))?|eleven|twelve|thirteen|fourteen|fifteen|"
    rf"sixteen|seventeen|eighteen|nineteen|ten|{'|'.join(UNITS)}|a dozen|a hundred)"
)
DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUM = rf"(?:{DIGITS}|{WORD_NUM})"
# No letter, digit, decimal point or hyphen glued to either side of a number.
B, E = r"(?<![\w.,$€£₽+-])", r"(?![\w%-]|[.,]\d)"


def _number(text: str) -> float:
    text = text.lower().strip()
    if text in WORD_NUMBERS:
        return float(WORD_NUMBERS[text])
    if "-" in text:
        tens, unit = text.split("-")
        return float(WORD_NUMBERS[tens] + WORD_NUMBERS[unit])
    return float(text.replace(",", ""))


# --------------------------------------------------------------------------- quantity patterns

_SCALE = r"(?:trillion|billion|million|thousand|trn|tn|bln|bn|mln|mn|m|k)"
_RUB = r"(?:roubles?|rubles?|ru[br]\b\.?|₽)"
_FOREIGN = r"(?:us\$|\$|€|£|usd|eur|cny|gbp|dollars?|euros?|yuan|pounds)"
_AREA = (
    r"(?P<unit>hectares?|ha\b|square[\s-]kilomet(?:re|er)s?|sq\.?\s?km\b|km2|km²|"
    r"square[\s-]met(?:re|er)s?|sq\.?\s?m\b|m2|m²)"
)
NOUNS = {
    "resident": r"residents?",
    "company": r"compan(?:y|ies)|firms?|enterprises?|businesses|manufacturers?|producers?|"
    r"makers?|start-?ups?|jewell?ers",
    "job": r"jobs|workplaces|work places",
    "site": r"sites?",
    "production": r"production facilities|manufacturing facilities|productions|factories|plants",
    "building": r"buildings?|complex(?:es)?",
    "country": r"countries|country",
}
_STOP = (  # words that end the adjectives between a number and its noun
    r"(?:of|in|to|and|or|the|a|an|from|for|with|on|by|at|than|per|that|which|are|were|is|was|"
    r"have|has|had|its|their|more|over|about)\b"
)

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "money",
        re.compile(
            rf"(?<![a-z])(?P<cur>ru[br](?![a-z])|₽|{_FOREIGN})\s?(?P<num>{DIGITS})\s?"
            rf"(?P<scale>{_SCALE})?\b"
            rf"|{B}(?P<num2>{DIGITS})\s?(?P<scale2>{_SCALE})?\s?(?P<cur2>{_RUB}|{_FOREIGN})(?!\w)",
            re.I,
        ),
    ),
    (
        "area",
        re.compile(rf"{B}(?P<num>{DIGITS})(?:\s(?P<scale>thousand|million))?[\s-]?{_AREA}", re.I),
    ),
    ("percent", re.compile(rf"(?:(?P<sign>\+)|{B})(?P<num>{NUM})\s?(?:%|per\s?cent\b)", re.I)),
    (
        "storey",
        re.compile(
            rf"\b(?:a|an|one)\s+(?:new\s+)?(?:{NUM})-stor(?:e)?y\s+(?:[a-z-]+\s+){{0,2}}?"
            r"(?:building|complex|block)\b",
            re.I,
        ),
    ),
    (
        "multiplier",
        re.compile(
            rf"\b(?P<half>one|two|three) and a half times\b|{B}(?P<num>{NUM})[\s-]?(?:times|fold)"
            rf"\b|\b(?P<verb>{'|'.join(MULTIPLIER_VERBS)})\b",
            re.I,
        ),
    ),
    (
        "share",
        re.compile(
            r"\bevery\s+(?P<ord>" + "|".join(ORDINALS) + r")\b"
            rf"|\bone\s+(?:(?:resident|company|firm|manufacturer|exporter)\s+)?in\s+(?P<den>{NUM}){E}"
            r"|\b(?P<frac>two[\s-]thirds|three[\s-]quarters|(?:a|one)\s+(?:third|fifth|sixth|tenth)"
            r"(?!\s+quarter)|(?:a|one)\s+quarter(?=\s+(?:of|more|higher|up|less|lower|above)\b)|"
            r"(?<=\bby )(?:a|one)\s+quarter|"
            r"(?<!first )(?<!second )half)\b"
            r"(?![-\s]year|\sof\s(?:the\s)?year|\sof\s\d)",
            re.I,
        ),
    ),
    (
        "count",
        re.compile(
            rf"(?<!top ){B}(?P<num>{NUM}){E}\s+(?P<adj>(?:(?!{_STOP})[a-z][a-z-]*\s+){{0,2}}?)"
            rf"(?P<noun>{'|'.join(NOUNS.values())})\b",
            re.I,
        ),
    ),
    (
        # "24 companies, 15 of them residents": the part that is resident
        "count",
        re.compile(
            rf"{B}(?P<num>{NUM}){E}\s+of\s+(?:them|which|these)\s+(?:are\s+|being\s+)?(?P<adj>)"
            r"(?P<noun>residents?)\b",
            re.I,
        ),
    ),
    (
        "employ",
        re.compile(
            rf"\bemploy\w*\s+(?:\w+\s+){{0,2}}?(?P<num>{DIGITS})\s+"
            r"(?:people|workers|staff|employees)\b",
            re.I,
        ),
    ),
    (
        # "Some 21,500 people work at ...", "1,150 employees are employed"
        "employ",
        re.compile(
            rf"{B}(?P<num>{DIGITS})\s+(?:people|workers|employees|specialists|engineers)\s+"
            r"(?:now\s+|already\s+)?(?:work|are\s+employed|will\s+work|are\s+working)\b",
            re.I,
        ),
    ),
    (
        # "the number of people employed ... stood at more than 43,000"
        "employ",
        re.compile(
            r"\bnumber\s+of\s+(?:people|employees|workers|staff|jobs)\b(?:\s+[\w,]+){0,6}?\s+"
            r"(?:stood\s+at|reached|rose\s+to|grew\s+to|came\s+to|was|is|totalled|exceeded)\s+"
            rf"(?:(?:more\s+than|over|about|around|some|nearly|almost)\s+)?(?P<num>{DIGITS}){E}",
            re.I,
        ),
    ),
    (
        # "bringing the number of residents there to 27"
        "count",
        re.compile(
            r"\bnumber\s+of\s+(?P<adj>)(?P<noun>residents|companies)\b(?:\s+\w+){0,4}?\s+"
            rf"(?:to|at|reached|stood\s+at|is|was)\s+(?P<num>{DIGITS}){E}",
            re.I,
        ),
    ),
    (
        # "five companies became residents, bringing the total to 294"
        "total",
        re.compile(
            r"\bresidents?\b[^.;]{0,120}?\bbringing\s+(?:the\s+|their\s+)?(?:total|number|count)"
            rf"(?:\s+of\s+residents)?(?:\s+\w+)?\s+to\s+(?P<num>{DIGITS}){E}",
            re.I,
        ),
    ),
    (
        # "plans to hire about 200 more", "will recruit 40 engineers"
        "employ",
        re.compile(
            rf"\b(?:hire|hiring|hired|recruit\w*|take\s+on)\s+(?:(?:about|around|some|another|"
            rf"up\s+to|over|more\s+than|nearly|almost)\s+)?(?P<num>{DIGITS}){E}",
            re.I,
        ),
    ),
    (
        # "its workforce has grown to 310", "headcount reached 1,200"
        "employ",
        re.compile(
            r"\b(?:workforce|headcount|staff|payroll)\s+(?:\w+\s+){0,3}?(?:to|of|at|reached|"
            rf"exceeded|totals?|totalled)\s+(?:(?:about|around|some|over|nearly)\s+)?"
            rf"(?P<num>{DIGITS}){E}",
            re.I,
        ),
    ),
]

QUALIFIERS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(rf"(?:^|\W)(?:{words})\s*$", re.I))
    for name, words in (
        ("almost", r"almost|nearly|close\s+to|just\s+under|just\s+short\s+of|practically|"
                   r"virtually"),
        ("over", r"more\s+than|over|above|exceeding|exceeded|exceeds?|in\s+excess\s+of|at\s+least|"
                 r"no\s+less\s+than|not\s+less\s+than|upwards?\s+of"),
        ("approx", r"about|around|approximately|approx\.|roughly|some|circa|an\s+estimated|"
                   r"estimated\s+at|~"),
        ("under", r"less\s+than|fewer\s+than|under|below|up\s+to|no\s+more\s+than|"
                  r"not\s+more\s+than|at\s+most"),
    )
]  # fmt: skip
_QUAL = (
    r"(?:more than|over|above|almost|nearly|about|around|approximately|roughly|some|"
    r"less than|under|just under|close to|at least)"
)
GROWTH_BEFORE = re.compile(
    r"\b(?:(?<!made )(?<!make )(?<!makes )up|rose|risen|rise|rising|grew|grown|grow|growing|"
    r"increased?|increasing|climbed|jumped|gained|added|expanded|surged|soared|higher|"
    r"(?:increase|rise|growth|gain) of)"
    rf"(?:\s+by)?(?:\s+{_QUAL})?\s*$",
    re.I,
)
DECLINE_BEFORE = re.compile(
    r"\b(?:down|fell|fallen|dropped|declined|decreased|shrank|slipped|contracted|"
    rf"(?:decrease|decline|drop|fall) of)(?:\s+by)?(?:\s+{_QUAL})?\s*$",
    re.I,
)
GROWTH_AFTER = re.compile(r"^\s*(?:increase|rise|growth|jump|gain|higher|more|up)\b", re.I)
DECLINE_AFTER = re.compile(r"^\s*(?:decrease|decline|drop|fall|lower|less|down)\b", re.I)

# --------------------------------------------------------------------------- context words

CONTEXT: dict[str, re.Pattern[str]] = {
    "export": re.compile(
        r"export|abroad|overseas|foreign\s+(?:markets?|buyers|customers|sales)|shipments?|"
        r"shipped|deliveries|supplies\s+(?:to|abroad|grew|rose|increased)|sold\s+to|supplied\s+to|"
        r"\bsen[dt]s?\s+(?:\w+\s+){0,3}?to\b|\bsells?\s+in\b|\bgo(?:es)?\s+to\s+(?:\w+\s+)?in\b|"
        r"outside\s+russia|"
        r"(?:buyers|customers|clients)\s+(?:in|from|abroad)",
        re.I,
    ),
    "revenue": re.compile(r"revenues?|turnover|sales|proceeds|\bsold\b(?!\s+to\b)", re.I),
    "investment": re.compile(
        r"invest|capital\s+expenditure|capex|\bdeal\b|put\s+(?:RU[BR]|\d)", re.I
    ),
    "other": re.compile(
        r"\b(?:prices?|inflation|(?:key|interest|exchange)\s+rates?|budget|salar(?:y|ies)|wages?|"
        r"tax(?:es)?)\b",
        re.I,
    ),
    "output": re.compile(
        r"\boutput|production\s+(?:of|volumes?|rose|grew|increased|fell|was|climbed|jumped)|"
        r"volume\s+of\s+production|\bproduced\b|manufactured",
        re.I,
    ),
}
# Words that speak of exports only when a foreign place is named in the same sentence.
WEAK_EXPORT = re.compile(
    r"\b(?:purchased|bought|sold|used|in\s+demand|popular)\s+in\b|\bmarkets?\b|"
    r"\b(?:buyers|customers|clients|consumers|partners)\b|\bdestinations?\b",
    re.I,
)
# «24 companies, 15 of them residents»: the residents are a part, the count is of companies.
OF_THEM_RESIDENTS = re.compile(
    r"(?:\d+|\w+(?:\s+\w+)?)\s+of\s+(?:them|which|these)\s+(?:are\s+|being\s+)?"
    r"(?:residents?|resident\s+companies)"
)
# Figures for more than the zone: the city, a district, the country, a comparison.
WIDER_AREA = re.compile(
    r"\b(?:moscow|the\s+city|zelenograd|russia)'s\b|\bcity[\s-]?wide\b|\bfor\s+comparison\b|"
    r"\bnationwide\b|\bacross\s+(?:moscow|the\s+city|russia)\b",
    re.I,
)
JEWELRY = re.compile(r"jewell?e?ry|jewell?ers?|\bgold\b|\bsilver\b", re.I)
THE_SITE = re.compile(r"\b(?:the|its|this)\s+site(?:'s)?\b", re.I)
# Places that are not (yet) destinations: plans, contacts, visits, imports.
PLANNED = re.compile(
    r"\b(?:plan|plans|planned|planning|intends?|aims?|hopes?|expects?|contacts?|developing|"
    r"negotiat\w*|talks|visit\w*|delegation|exhibition|fair|import\w*|from\s+(?:china|abroad))\b",
    re.I,
)
PRODUCT_METRICS = frozenset({"export_volume", "export_growth", "export_countries", "revenue",
                             "revenue_growth", "output_growth"})  # fmt: skip
GROWTH_METRICS = {"export": "export_growth", "revenue": "revenue_growth",
                  "investment": "investment_growth", "output": "output_growth"}  # fmt: skip
SHARE_WORDS = re.compile(
    r"\bshare|accounted\s+for|account\s+for|made\s+up|make\s+up|\btook\b|went\s+to|came\s+from|"
    r"\bof\s+(?:all\s+|total\s+|the\s+\w+'s\s+|the\s+|its\s+|their\s+)?"
    r"(?:exports|shipments|deliveries|foreign\s+sales)",
    re.I,
)
OF_EXPORTERS = re.compile(
    r"^\s*(?:of\s+(?:the\s+|all\s+|its\s+|their\s+|the\s+zone's\s+)?)?(?:resident|"
    r"compan(?:y|ies)(?!'s)|firm|enterprise)",
    re.I,
)
NEW_RESIDENTS = re.compile(
    r"\bnew\s+(?:\w+\s+)?residents?|\bjoined\b|became\s+residents?|"
    r"(?:granted|received|obtained|given|awarded)\s+(?:the\s+)?resident\s+status|admitted",
    re.I,
)
ATTRIBUTION = re.compile(
    r"\b(?:department|ministry|committee|minister|head|deputy|director)s?\s+(?:of|for)\s+"
    r"(?:(?:the\s+)?[a-z]+(?:\s+and)?\s+){0,4}?(?:policy|development|relations|affairs)\b|"
    r"\binvestment\s+agency\b",
    re.I,
)
BASE_VALUE = re.compile(
    r"(?:\bfrom|\bcompared\s+(?:with|to)|\bagainst|\bversus|\bvs\.?|"
    r"(?<!more )(?<!less )(?<!fewer )\bthan)\s*$",
    re.I,
)
COUNT_OF_PLACE = re.compile(r"\s*(?:in|of|across)\s+(?:the\s+)?$", re.I)
TO_PLACE = re.compile(r"\b(?:to|into)\s+(?:the\s+)?$", re.I)
CLAUSE_BREAK = re.compile(
    r";|:\s|,\s*(?:while|whereas|but|although|though|bringing)\b|\s(?:while|whereas)\s"
)
PHONE = re.compile(r"\+\d[\d\s().-]{6,}\d|\(\d{3,5}\)\s*\d[\d\s-]{4,}\d")
DATE = re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b")
YEAR_BEFORE = re.compile(
    r"(?:^|[,;:(]|\b(?:in|by|since|for|of|until|till|from|to|during|year|before|after|"
    r"early|late|mid|end|start|beginning|than))\s*$",
    re.I,
)
NATIONAL = re.compile(r"\b(?:russia|russian|nationwide|the country's|the industry|the market)\b",
                      re.I)  # fmt: skip

# --------------------------------------------------------------------------- periods

# --------------------------------------------------------------------------- names

SUBJECTS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        (ZONE, r"\btechnopolis\b(?:\s+[\"«“]?moscow\b[\"»”]?)?|\bspecial\s+economic\s+zone\b|"
               r"\bthe\s+zone\b|\bSEZ\b"),
        ("Печатники", r"\bpechatniki\b"),
        ("Микрон", r"\bmikron\b"),
        ("МИЭТ", r"\bmiet\b"),
        ("Ангстрем", r"\bangstrem\b"),
        ("Алабушево", r"\balabushevo\b"),
        ("Руднево", r"\brudnevo\b"),
    )
]  # fmt: skip
ORG_NAME = re.compile(
    r"[«\"“](?P<quoted>[A-Z][\w&'-]*(?:\s[\w&'-]+){0,3})[»\"”]"
    r"|\b(?i:company|firm|jewell?er|manufacturer|\w*maker|producer|developer|start-?up|group|"
    r"holding|resident|exporter)\s+(?P<bare>[A-Z][\w-]+(?:\s[A-Z][\w-]+){0,2})"
    # "Kvantor, a resident of the Mikron site, ...": a name followed by what it is
    r"|(?:^|(?<=[.!?]\s))(?:(?:When|While|After|Before|Since|As|Although|In|At|For|Then|Today|"
    r"Now|Last\s+year|This\s+year)\s+)?"
    r"(?P<apposed>[A-Z][\w-]+(?:\s[A-Z][\w-]+){0,2}),\s+(?:a|an|the)\s+"
    r"(?:[\w-]+\s+){0,3}?(?i:resident|company|firm|manufacturer|maker|producer|developer|"
    r"start-?up|jewell?er|supplier)\b",
    re.M,
)
THE_COMPANY = re.compile(
    r"\b(?:the|this)\s+(?:company|firm|jewell?er|manufacturer|maker|producer)\b",
    re.I,
)
ANAPHORA = re.compile(
    r"^\W*(?:it|its|their|they|this|these|those|there|of\s+(?:these|them)|also|in\s+addition)\b",
    re.I,
)

PRODUCTS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("микроэлектроника", r"micro-?electronic|micro-?chips?|\bchips\b|semiconductor|"
                             r"integrated\s+circuit"),
        ("литий-ионные батареи", r"lithium-ion|\bli-ion|\bbatter(?:y|ies)\b|accumulator"),
        ("установки для дезинфекции", r"disinfect|sterili[sz]"),
        ("досмотровое оборудование", r"(?:screening|inspection|security)\s+(?:equipment|systems|"
                                     r"scanners)|x-ray\s+scanners"),
        ("медицинская техника", r"cardiac\s+monitors?|patient\s+monitors?|"
                                r"medical\s+(?:equipment|devices?|instruments|products|"
                                r"technology|hardware)"),
        ("ювелирные изделия", r"jewell?e?ry|\bjewels\b"),
        ("фармацевтика", r"pharmaceutic|\bdrugs\b|\bmedicines\b"),
        ("оборудование для нефтегазовой отрасли", r"\boil\s+(?:and|&)\s+gas"),
        ("IT-оборудование", r"\bit\s+(?:equipment|hardware)|\bservers?\b|computer\s+equipment|"
                            r"computing\s+equipment"),
        ("робототехника", r"\brobot"),
        ("композитные материалы", r"\bcomposite"),
        ("электротранспорт", r"electric\s+(?:bus|buses|vehicles?|cars?)|charging\s+stations?"),
        ("светотехника", r"\bled\b|\blighting\b|\blamps\b|\bluminaires?\b"),
        ("продукты питания", r"\bfood\b|\bfoodstuffs?\b"),
    )
]  # fmt: skip
"""English terms of the product categories of extract.vocabulary.PRODUCT_TERMS."""


def _find(terms: list[tuple[str, re.Pattern[str]]], text: str) -> list[tuple[int, int, str]]:
    found = [(m.start(), m.end(), name) for name, pattern in terms for m in pattern.finditer(text)]
    kept: list[tuple[int, int, str]] = []
    for start, end, name in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]))):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, name))
    return kept


_MARKET_AFTER = re.compile(
    r"^\s+(?:\w+\s+)?(?:markets?|countries|buyers|customers|clients|partners|distributors)\b",
    re.I,
)


def find_regions(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, Russian name)`` of every country, region or bloc named in ``text`` that
    could be a destination: Russia is not; an adjective only as a market ("Asian markets")."""
    return [
        (m.start, m.end, m.place.name)
        for m in find_places(text)
        if m.place.code != "RU"
        and (not m.adjective or _MARKET_AFTER.match(text[m.end : m.end + 40]))
    ]


def find_products(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, Russian product category)`` of every product named in ``text``."""
    return _find(PRODUCTS, text)


def _canonical(name: str) -> str:
    """A company name, or the zone's or a site's Russian name when it is one of them."""
    for canonical, pattern in SUBJECTS:
        if pattern.match(name):
            return canonical
    return name


def find_organisations(text: str) -> list[str]:
    """Company names of an article: quoted names and names after a company word."""
    names = []
    for match in ORG_NAME.finditer(text):
        name = (match.group("quoted") or match.group("bare") or match.group("apposed")).strip()
        if _canonical(name) == name and name not in names:
            names.append(name)
    return names


# --------------------------------------------------------------------------- quantities


def _qualifier(before: str) -> str:
    for name, pattern in QUALIFIERS:
        if pattern.search(before):
            return name
    return "exact"


def _read(kind: str, m: re.Match[str]) -> tuple[str, float, str, str | None]:
    """``(kind, value, rule, noun)`` of one pattern match."""
    if kind == "money":
        cur = (m.group("cur") or m.group("cur2")).lower()
        number, scale = m.group("num") or m.group("num2"), m.group("scale") or m.group("scale2")
        value = _number(number) * SCALES.get((scale or "").lower(), 1)
        rouble = cur.startswith(("rub", "roub", "₽"))
        return ("rub" if rouble else "foreign"), value, "en_money", None
    if kind == "area":
        unit = m.group("unit").lower()
        value = _number(m.group("num")) * {"thousand": 1e3, "million": 1e6}.get(
            (m.group("scale") or "").lower(), 1
        )
        area = "ha" if unit.startswith(("ha", "hect")) else "km2" if "k" in unit else "m2"
        return area, value, f"en_area_{area}", None
    if kind == "percent":
        return "percent", _number(m.group("num")), "en_percent", None
    if kind == "storey":
        return "building1", 1.0, "en_storey_building", "building"
    if kind == "multiplier":
        if m.group("half"):
            return "multiplier", WORD_NUMBERS[m.group("half").lower()] + 0.5, "en_times", None
        if m.group("verb"):
            return "multiplier", MULTIPLIER_VERBS[m.group("verb").lower()], "en_verb_times", None
        return "multiplier", _number(m.group("num")), "en_times", None
    if kind == "share":
        if m.group("ord"):
            return "share", 1 / ORDINALS[m.group("ord").lower()], "en_every_nth", None
        if m.group("den"):
            return "share", 1 / _number(m.group("den")), "en_one_in_n", None
        words = re.sub(r"^(?:a|one)\s+|[\s-]+", " ", m.group("frac").lower()).strip()
        return "share", FRACTIONS[words], "en_fraction", None
    if kind == "employ":
        return "count", _number(m.group("num")), "en_employ", "job"
    if kind == "total":
        return "count", _number(m.group("num")), "en_total", "resident"
    noun = next(name for name, pattern in NOUNS.items() if re.fullmatch(pattern, m.group("noun"),
                                                                        re.I))  # fmt: skip
    return "count", _number(m.group("num")), "en_count", noun


# What _read calls a match: the shared Quantity's kind and unit.
_SHAPES: dict[str, tuple[str, str | None]] = {
    "rub": ("number", "RUB"), "foreign": ("number", "USD"), "ha": ("number", "ha"),
    "km2": ("number", "km2"), "m2": ("number", "m2"), "percent": ("percent", None),
    "share": ("share", None), "multiplier": ("multiplier", None), "count": ("number", None),
    "building1": ("number", None),
}  # fmt: skip


def _is_year(sentence: str, m: re.Match[str]) -> bool:
    """«in 2020», «by 2030»: 19xx or 20xx after a preposition, a punctuation mark or nothing.

    :data:`YEAR_BEFORE` ends at the number, so only the word before the spaces that precede it
    is searched (not the whole sentence before it: that cost the sentence's length per number).
    """
    number = m.group("num")
    if not re.fullmatch(r"(?:19|20)\d\d", number or ""):
        return False
    end = start = m.start("num")
    while start > 0 and sentence[start - 1].isspace():
        start -= 1
    # 40 characters hold any word of YEAR_BEFORE; «^» matches only where the sentence starts
    return bool(YEAR_BEFORE.search(sentence, max(0, start - 40), end))


def find_quantities(sentence: str) -> list[Quantity]:
    """The quantities of one English sentence, in order, none overlapping (at most
    :data:`MAX_QUANTITIES`).

    Every pattern runs once over the sentence; the matches are sorted by start, longest first,
    then by pattern, and each one kept unless it starts inside the last one kept.
    """
    masked = DATE.sub(lambda x: " " * len(x.group(0)), PHONE.sub(lambda x: " " * len(x.group(0)),
                                                                 sentence))  # fmt: skip
    found: list[tuple[int, int, int, str, re.Match[str]]] = []
    for priority, (kind, pattern) in enumerate(PATTERNS):
        for m in pattern.finditer(masked):
            if kind in ("count", "employ", "total") and _is_year(masked, m):
                continue
            found.append((m.start(), -(m.end() - m.start()), priority, kind, m))
    quantities: list[Quantity] = []
    last_end = -1
    for start, _, _, kind, m in sorted(found, key=lambda f: f[:3]):
        if start < last_end:
            continue
        last_end = m.end()
        qkind, value, rule, noun = _read(kind, m)
        begin = m.start("num") if kind in ("employ", "total") else start
        end = m.end("num") if kind in ("employ", "total") else m.end()
        shape, unit = _SHAPES[qkind]
        adjectives = (m.group("adj") or "").lower().split() if kind == "count" else []
        quantities.append(Quantity(
            begin, end, value, shape, unit, _qualifier(masked[max(0, begin - 30) : begin]), noun,
            (*adjectives, noun) if noun else tuple(adjectives), None, rule,
            kind == "percent" and bool(m.group("sign")),
        ))  # fmt: skip
        if len(quantities) == MAX_QUANTITIES:
            break
    return quantities


# --------------------------------------------------------------------------- metrics


def _family(text: str, position: int) -> str | None:
    """The metric family whose keyword stands nearest ``position`` (before it preferred)."""
    best: tuple[int, str] | None = None
    for family, pattern in CONTEXT.items():
        for match in pattern.finditer(text):
            if match.end() <= position:
                distance = position - match.end()
            elif match.start() >= position:
                distance = (match.start() - position) * 2
            else:
                continue
            if best is None or distance < best[0]:
                best = (distance, family)
    return best[1] if best else None


def _growth(q: Quantity, text: str) -> float | None:
    """The growth factor a percentage or share states (``up 15%`` -> 1.15), if it states one."""
    before, after = text[max(0, q.start - 40) : q.start], text[q.end : q.end + 20]
    ratio = q.value / 100 if q.kind == "percent" else q.value
    if q.sign or GROWTH_BEFORE.search(before) or GROWTH_AFTER.match(after):
        return 1 + ratio
    if DECLINE_BEFORE.search(before) or DECLINE_AFTER.match(after):
        return 1 - ratio
    return None


def classify(q: Quantity, text: str, carried: str | None = None) -> tuple[str, float] | None:
    """The metric and the value in its unit for a quantity of ``text``, or None.

    ``carried`` is the family of the sentence before, for a share that goes on about it
    ("India alone accounted for 27 percent of the total")."""
    start, end = _clause(text, q.start)  # "revenue rose 21 percent, while output grew ..."
    family = _family(text[start:end], q.start - start) or _family(text, q.start)
    if family is None and q.kind in ("percent", "share") and SHARE_WORDS.search(text):
        family = carried
    exporting = CONTEXT["export"].search(text) is not None or bool(
        WEAK_EXPORT.search(text) and find_regions(text)
    )
    if q.unit == "RUB":
        metric = {"export": "export_volume", "revenue": "revenue", "investment": "investment"}
        return (metric[family], q.value) if family in metric else None
    if q.unit in ("ha", "km2", "m2"):
        factor = {"ha": 10_000, "km2": 1_000_000, "m2": 1}[q.unit]
        return ("floor_area" if q.unit == "m2" else "land_area"), q.value * factor
    if q.unit is not None:
        return None  # foreign currencies
    if q.kind == "multiplier":
        return (GROWTH_METRICS[family], q.value) if family in GROWTH_METRICS else None
    if q.kind in ("percent", "share"):
        growth = _growth(q, text)
        if growth is not None:
            return (GROWTH_METRICS[family], growth) if family in GROWTH_METRICS else None
        ratio = q.value / 100 if q.kind == "percent" else q.value
        firms = re.search(r"resident|compan|firm|manufacturer", text[q.start : q.end], re.I)
        if exporting and (OF_EXPORTERS.match(text[q.end :]) or firms):
            return "exporters_share", ratio
        about = find_products(text) or find_regions(text)
        if family == "export" and about and (q.kind == "share" or SHARE_WORDS.search(text)):
            return "export_share", ratio
        return None
    if q.noun == "building":
        return "building_count", q.value
    if q.noun in ("resident", "company"):
        clause = text[slice(*_clause(text, q.start))]
        if NEW_RESIDENTS.search(clause) or "new" in q.noun_words:
            return "new_residents", q.value
        if q.noun == "resident" or "resident" in OF_THEM_RESIDENTS.sub("", text.lower()):
            return "resident_count", q.value
        return "company_count", q.value
    metric = {"job": "jobs", "site": "site_count", "production": "production_count"}.get(
        q.noun or ""
    )
    if metric:
        return metric, q.value
    if q.noun == "country" and exporting:
        return "export_countries", q.value
    return None


# --------------------------------------------------------------------------- the whole article


Span = tuple[int, int, str]


def _subjects(text: str, organisations: list[str], last_org: str | None) -> list[Span]:
    """The zone, sites and companies a sentence names (``the company``: the last one named)."""
    found = _find(SUBJECTS, text)
    for name in organisations:
        found += [(m.start(), m.end(), name) for m in re.finditer(rf"\b{re.escape(name)}\b", text)]
    if last_org:
        found += [(m.start(), m.end(), last_org) for m in THE_COMPANY.finditer(text)]
    kept: list[Span] = []
    for item in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]))):
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def _clause(text: str, position: int) -> tuple[int, int]:
    """The bounds of the clause of ``text`` that holds ``position``."""
    start, end = 0, len(text)
    for match in CLAUSE_BREAK.finditer(text):
        if match.end() <= position:
            start = match.end()
        elif match.start() >= position:
            end = min(end, match.start())
    return start, end


def _within(items: list[Span], bounds: tuple[int, int]) -> list[Span]:
    return [item for item in items if bounds[0] <= item[0] < bounds[1]]


def _nearest(items: list[Span], position: int) -> str | None:
    """The name standing last before ``position``, else the first one after it."""
    before = [item for item in items if item[0] < position]
    if before:
        return before[-1][2]
    return items[0][2] if items else None


def _list_head(regions: list[Span], name: str) -> str:
    """The region or bloc heading the run of countries that ``name`` ends, else ``name``."""
    index = max(i for i, item in enumerate(regions) if item[2] == name)
    while index > 0 and (place := place_named(regions[index - 1][2])) is not None:
        if place.kind != "country":
            return regions[index - 1][2]
        index -= 1
    return name


def _closest(items: list[Span], start: int, end: int) -> str | None:
    if not items:
        return None
    return min(items, key=lambda i: start - i[1] if i[1] <= start else (i[0] - end) * 1.5)[2]


@dataclass
class _Reader:
    """The article being read and what its previous sentence said."""

    article: str
    published: date | None
    period: tuple[date, date] | None  # the article's most frequent period
    subject: str | None  # the zone or site the article mentions most
    organisations: list[str]
    subjects: list[Span] = field(default_factory=list)
    products: list[Span] = field(default_factory=list)
    export: bool = False
    last_org: str | None = None
    site: str | None = None  # the site the article mentions most ("the site's residents")


def _sentence_facts(sentence: Sentence, reader: _Reader) -> list[Fact]:
    """The facts of one sentence; updates ``reader`` with what the sentence named."""
    raw = sentence.text
    text = blank(ATTRIBUTION, raw)
    quantities = find_quantities(raw)
    regions, products = find_regions(raw), find_products(raw)
    subjects = _subjects(raw, reader.organisations, reader.last_org)
    anaphoric = bool(ANAPHORA.match(raw))
    export_here = CONTEXT["export"].search(text) is not None or bool(
        regions and WEAK_EXPORT.search(text)
    )
    period = english_period(raw, reader.published) or reader.period
    target = english_target_year(raw)
    national = bool(NATIONAL.search(raw))

    def subject_at(position: int) -> str | None:
        companies = [s for s in subjects if s[2] in reader.organisations]
        if companies:  # a company beats its site, a site beats the zone (as in Russian)
            return _nearest(companies, position)
        bounds = _clause(raw, position)
        sites = [s for s in subjects if s[2] in SITES and s[0] < bounds[1]]
        if sites:
            return _nearest(sites, position)
        if reader.site and THE_SITE.search(raw):
            return reader.site  # "exports by the site's residents"
        here = _nearest(_within(subjects, _clause(raw, position)), position)
        before = [name for start, _, name in subjects if start < position]
        if here or before:
            return here or before[-1]
        if anaphoric and reader.subjects:
            return reader.subjects[-1][2]
        return None if national else reader.subject

    def fact(metric: str, value: float | None, q: Quantity | Span, region=None, product=None):
        flow = metric in FLOW_METRICS
        if isinstance(q, Quantity):
            start, end, qualifier, rule = q.start, q.end, q.qualifier, q.rule
        else:
            (start, end, _), qualifier, rule = q, "exact", "en_destination"
        return Fact(
            reader.article, metric, value, METRIC_UNITS[metric], qualifier,
            *((period if flow else None) or (None, None)), subject_at(start), region,
            region_code(region), product, raw.strip(), sentence.start + start,
            sentence.start + end, rule, target if not flow else None,
        )  # fmt: skip

    facts: list[Fact] = []
    used: set[int] = set()
    if export_here or (reader.export and anaphoric):
        for place in regions:
            bounds = _clause(raw, place[0])
            if PLANNED.search(raw[max(0, bounds[0] - 40) : bounds[1]]):
                continue  # a market in view, a delegation, an import
            count = None
            for index, q in enumerate(quantities):  # «to five countries of South-East Asia»
                if q.noun == "country" and COUNT_OF_PLACE.match(raw[q.end : place[0]]):
                    count, used = q.value, used | {index}
            product = _nearest(_within(products, _clause(raw, place[0])), place[0])
            if product is None and anaphoric:
                product = _nearest(reader.products, 10**9)
            facts.append(fact("export_destination", count, place, place[2], product))

    for index, q in enumerate(quantities):
        if index in used or BASE_VALUE.search(text[max(0, q.start - 25) : q.start]):
            continue  # «up from 45 billion roubles»: the comparison base, not the figure
        bounds = _clause(raw, q.start)
        clause = raw[bounds[0] : bounds[1]]
        wider = WIDER_AREA.search(clause) and not _within(subjects, bounds)
        if wider and not JEWELRY.search(clause):  # only jewelry is followed as a whole
            continue  # «Moscow's manufacturers as a whole employ ...»
        decided = classify(q, text, "export" if reader.export else None)
        if decided is None:
            continue
        metric, value = decided
        region = product = None
        bounds = _clause(raw, q.start)
        products_here, regions_here = _within(products, bounds), _within(regions, bounds)
        if metric == "export_share":
            product = _closest(products_here, q.start, q.end)
            region = _closest(regions_here, q.start, q.end)
            if region is not None:  # "the Middle East - the UAE and Jordan - took 45 percent"
                region = _list_head(regions_here, region)
        elif metric in PRODUCT_METRICS:
            if len({name for *_, name in products_here}) == 1:
                product = products_here[0][2]
            places = [r for r in regions_here if TO_PLACE.search(raw[max(0, r[0] - 12) : r[0]])]
            if metric in ("export_volume", "export_growth") and len(places) == 1:
                region = places[0][2]  # «exports to India doubled»
        facts.append(fact(metric, value, q, region, product))

    named = [name for *_, name in subjects if name in reader.organisations]
    reader.last_org = named[-1] if named else reader.last_org
    reader.subjects, reader.products, reader.export = subjects, products, export_here
    return facts


def extract_facts(
    text: str,
    *,
    article: str = "",
    published: date | None = None,
    title: str | None = None,
    deadline: float | None = None,
) -> list[Fact]:
    """All facts of an English article's text, de-duplicated, in reading order.

    ``published`` resolves relative periods (``last year``, ``in the first quarter``);
    ``char_start``/``char_end`` of each fact are the quantity's (or place's) span in ``text``.
    """
    sentences = split_sentences(text)
    periods = Counter(p for s in sentences if (p := english_period(s.text, published)) is not None)
    mentions = Counter(name for *_, name in _find(SUBJECTS, text))
    organisations = find_organisations(text)
    # News names its protagonist first: a company in the lead is what the article is about.
    lead = " ".join(s.text for s in sentences[:2])
    in_lead = [name for name in organisations if re.search(rf"\b{re.escape(name)}\b", lead)]
    reader = _Reader(
        article,
        published,
        periods.most_common(1)[0][0] if periods else None,
        in_lead[0]
        if in_lead
        else (top[0][0] if (top := mentions.most_common(1)) and top[0][1] >= 2 else None),
        organisations,
        site=next((name for name, _ in mentions.most_common() if name in SITES), None),
    )
    facts = []
    for sentence in sentences:
        check_deadline(deadline, article)
        facts += _sentence_facts(sentence, reader)
    return deduplicate(facts)


__all__ = ["extract_facts", "find_quantities"]
