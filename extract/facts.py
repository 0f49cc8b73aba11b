"""Numeric facts from Russian (and English) news articles, each with the sentence it came from.

The pipeline per article: razdel splits sentences; :mod:`extract.quantities` finds the
quantities; each quantity gets a metric from its unit, counted noun and the words around it (the
vocabulary of :mod:`extract.vocabulary`); periods are resolved against the article's date;
subjects, regions and products come from the gazetteers and from natasha's NER (organisations and
places, normalized with its morphology), which runs only on sentences that hold a quantity or a
place, the costly part kept where it matters. Rules and examples: docs/facts.md.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from razdel import sentenize

from extract.articles import Article
from extract.quantities import Quantity, find_quantities
from extract.vocabulary import (
    COUNTRY_TERMS,
    FLOW_METRICS,
    METRIC_UNITS,
    PRODUCT_TERMS,
    REGION_TERMS,
    SUBJECT_TERMS,
    ZONE,
    find_terms,
    region_code,
)

EXTRACTOR_VERSION = "1.1"


@dataclass(frozen=True)
class Fact:
    """One fact: a metric's value with its qualifier, period, subject, place and evidence."""

    article: str
    metric: str
    value: float | None
    unit: str | None
    qualifier: str
    period_start: date | None
    period_end: date | None
    subject: str | None
    region: str | None
    region_code: str | None
    product: str | None
    evidence: str
    char_start: int
    char_end: int
    rule: str
    target_year: int | None = None


@dataclass(frozen=True)
class Sentence:
    start: int
    text: str


# Words that tie a number to a metric family (lower-case text, "ё" as "е").
CONTEXT: dict[str, re.Pattern[str]] = {
    "export": re.compile(
        r"экспорт|за рубеж|зарубежн|за границ|внешн\w* рын|постав\w*\s+(?:в|на)\s|поставк|"
        r"поставля|отправ|отгруж|отгрузи|вывез|востребован|приходил\w* на|пришл\w* на|"
        r"пришел\w* на|зарубежн\w* (?:выручк|продаж)"
    ),
    "revenue": re.compile(
        r"(?<!зарубежной )выручк|оборот|объем\w*(?:\s+\w+){0,2}\s+продаж|"
        r"продаж\w* (?:вырос|состав|достиг)|"
        r"объем\w* рынк"
    ),
    "investment": re.compile(
        r"инвестиц|инвестир|инвестор|вложени|вложит|вложат|вложил|капиталовлож"
    ),
    "output": re.compile(
        r"\bвыпуск(?:а|у|ом|е)?\b|выпустил\w*|\bпроизводств(?:о|а|у|ом)\b|выработк"
    ),
}
# Words that speak of exports only when a foreign place is named in the same sentence.
WEAK_EXPORT = re.compile(
    r"спрос\w* (?:в|на)|нашл\w* (?:спрос|покупател|клиент)|покупател|главн\w* рынк|основн\w* рынк|"
    r"рынк\w* сбыта|рынком для|закупил|закупа|уходил|уходят|уходит|ушл[аи]|обеспечил"
)
GROWTH = re.compile(r"вырос|выросл|увелич|прирост|рост|прибав|превыша|больше|выше|поднял")
DECLINE = re.compile(r"сократ|снизил|снижен|уменьш|упал|упало|падени|ниже")
SHARE_WORDS = re.compile(
    r"дол[яию]|приход|пришл|пришел|составля|составил|из них|от общего|обеспечи|занял|принес|"
    r"дал[аи]?\b"
)
NEW_RESIDENTS = re.compile(
    r"нов\w* резидент|статус\w*\s+резидент.{0,80}?получил|получил\w*.{0,40}статус\w*\s+резидент|"
    r"стали резидент|пополнил|присоедин"
)
# Who said it is not what it is about: «..., — добавил руководитель департамента инвестиционной
# политики» must not make a figure an investment.
ATTRIBUTION = re.compile(
    r"(?:департамент|министерств|комитет|управлени|заместител|руководител|мэр)\w*"
    r"(?:\s+(?:по\s+)?[а-яё-]+){0,5}\s+(?:политик|развити|предпринимательств)\w*",
    re.I,
)
ANAPHORA = re.compile(
    r"^(?:их|это|этот|эта|эти|там|на последней|на ней|при этом|из них|такж)", re.I
)
COMPANY_NAME = re.compile(
    r"(?:компани\w*|завод\w*|предприяти\w*|фирм\w*|производител\w*|групп\w*|холдинг\w*|"
    r"корпораци\w*|резидент\w*|ювелирн\w+ дом\w*|company)\s+[«\"“]([^»\"”]{2,40})[»\"”]",
    re.I,
)
NOT_DESTINATIONS = {"Москва", "Россия", "РФ", "Зеленоград", "Подмосковье", "Московская область"}
MONTH_STEMS = (
    "январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр",
    "ноябр", "декабр",
)  # fmt: skip
_MONTH = (
    r"(январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяе]\w*|июн\w*|июл\w*|август\w*|сентябр\w*|"
    r"октябр\w*|ноябр\w*|декабр\w*)"
)


# --------------------------------------------------------------------------- sentences and periods


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their offsets in ``text``; headings and lines are never merged."""
    sentences: list[Sentence] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for part in sentenize(line):
                sentences.append(Sentence(offset + part.start, part.text))
        offset += len(line) + 1
    return sentences


def _month(stem: str) -> int:
    stem = stem.lower()
    if stem.startswith("ма") and not stem.startswith("март"):
        return 5
    for index, prefix in enumerate(MONTH_STEMS, start=1):
        if stem.startswith(prefix):
            return index
    raise ValueError(stem)


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1).fromordinal(date(year, month + 1, 1).toordinal() - 1)


COMPARISON = re.compile(
    r"(?:результат|показател|уровн|по сравнению|в сравнении|чем\s|против\s|относительно|"
    r"по отношению|к тому же|аналогичн|годом ранее|\bк\s+(?=(?:19|20)\d\d))[^,;)]*"
)


def find_period(sentence: str, published: date | None) -> tuple[date, date] | None:
    """The period a sentence's flow figure covers, resolved against the article's date."""
    # The base of a comparison is not the period: «в 1,4 раза больше, чем в 2021 году».
    text = _blank(COMPARISON, sentence.lower().replace("ё", "е"))
    base_year = published.year if published else None
    explicit = [
        (m.start(), int(m.group(1)))
        for m in re.finditer(r"(?<!\d)((?:19|20)\d\d)(?:-?м|-го)?\s*(?:году|года|год|г\.|гг)", text)
        if not re.search(
            r"(?:\bс|\bдо|\bдо конца|\bк|\bпосле)\s*$", text[max(0, m.start() - 12) : m.start()]
        )
    ]
    relative = None
    if re.search(r"позапрошл\w* год", text):
        relative = -2
    elif re.search(r"прошл\w* год|прошлогодн|last year", text):
        relative = -1
    elif re.search(r"(?:текущ|этом|нынешн|этого)\w* год|с начала года|this year", text):
        relative = 0
    year = (
        explicit[0][1]
        if explicit
        else (base_year + relative if base_year and relative is not None else None)
    )

    range_match = re.search(
        r"(?<!\d)((?:19|20)\d\d)\s*[-–—]\s*((?:19|20)\d\d)\s*(?:годах|годы|гг)", text
    )
    months = re.search(_MONTH + r"\s*[-–—]\s*" + _MONTH + r"(?:\s+((?:19|20)\d\d))?", text)
    if months:
        first, last = _month(months.group(1)), _month(months.group(2))
        y = int(months.group(3)) if months.group(3) else year or base_year
        if y and first <= last:
            return date(y, first, 1), _month_end(y, last)
    nine = re.search(r"(?:за|по итогам)\s+(девять|9|шесть|6|три|3)\s+месяц", text)
    if nine and (year or base_year):
        count = {"девять": 9, "9": 9, "шесть": 6, "6": 6, "три": 3, "3": 3}[nine.group(1)]
        y = year or base_year
        return date(y, 1, 1), _month_end(y, count)
    quarter = re.search(
        r"\b(iv|iii|ii|i|1|2|3|4|перв\w*|втор\w*|трет\w*|четверт\w*)[-\w]*\s+квартал\w*", text
    )
    if quarter and (year or base_year):
        token = quarter.group(1)
        number = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}.get(token)
        if number is None:
            number = (
                1
                if token.startswith("перв")
                else 2
                if token.startswith("втор")
                else 3
                if token.startswith("трет")
                else 4
            )
        y = year or base_year
        return date(y, 3 * number - 2, 1), _month_end(y, 3 * number)
    half = re.search(r"(перв\w*|втор\w*)\s+(?:полугоди|половин)", text)
    if half and (year or base_year):
        y = year or base_year
        return (
            (date(y, 1, 1), date(y, 6, 30))
            if half.group(1).startswith("перв")
            else (date(y, 7, 1), date(y, 12, 31))
        )
    if range_match:
        return date(int(range_match.group(1)), 1, 1), date(int(range_match.group(2)), 12, 31)
    if year:
        return date(year, 1, 1), date(year, 12, 31)
    return None


def _target_year(sentence: str) -> int | None:
    match = re.search(r"(?:к|до)\s+((?:20)\d\d)\s*(?:году|года|г\.)", sentence.lower())
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- natasha


@lru_cache(maxsize=1)
def _natasha():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

        embedding = NewsEmbedding()
        return Segmenter(), NewsMorphTagger(embedding), NewsNERTagger(embedding), MorphVocab()


def named_entities(sentence: str) -> list[tuple[int, int, str, str]]:
    """natasha NER on one sentence: (start, end, type LOC|ORG|PER, normal form)."""
    from natasha import Doc

    segmenter, morph_tagger, ner_tagger, vocab = _natasha()
    doc = Doc(sentence)
    doc.segment(segmenter)
    doc.tag_ner(ner_tagger)
    if not doc.spans:
        return []
    doc.tag_morph(morph_tagger)
    entities = []
    for span in doc.spans:
        span.normalize(vocab)
        entities.append((span.start, span.stop, span.type, span.normal or span.text))
    return entities


# --------------------------------------------------------------------------- metrics


def _nearest_family(text: str, position: int) -> str | None:
    """The metric family whose keyword stands nearest before the number, else nearest after."""
    before: tuple[int, str] | None = None
    after: tuple[int, str] | None = None
    for family, pattern in CONTEXT.items():
        for match in pattern.finditer(text):
            if match.end() <= position:
                if before is None or position - match.end() < before[0]:
                    before = (position - match.end(), family)
            elif after is None or match.start() - position < after[0]:
                after = (match.start() - position, family)
    chosen = before or after
    return chosen[1] if chosen else None


def _growth_metric(family: str | None) -> str | None:
    return {
        "export": "export_growth",
        "revenue": "revenue_growth",
        "investment": "investment_growth",
        "output": "output_growth",
    }.get(family or "")


def classify(
    q: Quantity, text: str, context: str, clause: str | None = None
) -> tuple[str, float] | None:
    """The metric and the value in its unit for a quantity, or None if it is not a fact.

    ``text`` is the sentence (lower case), ``context`` the sentence plus, for anaphoric
    sentences, the one before.
    """
    family = _nearest_family(text, q.start) or _nearest_family(context, len(context))
    if q.unit == "RUB":
        return {"export": ("export_volume", q.value), "revenue": ("revenue", q.value),
                "investment": ("investment", q.value)}.get(family or "")  # fmt: skip
    if q.unit in ("USD", "EUR", "CNY"):
        return None
    if q.unit == "ha":
        return "land_area", q.value * 10_000
    if q.unit == "km2":
        return "land_area", q.value * 1_000_000
    if q.unit == "m2":
        return "floor_area", q.value
    if q.kind == "multiplier":
        metric = _growth_metric(family)
        if metric and q.preposition == "на":  # «выросла на треть» reads as a share, handled below
            return metric, q.value
        return (metric, q.value) if metric else None
    if q.kind in ("percent", "share"):
        ratio = q.value / 100 if q.kind == "percent" else q.value
        just_before = text[max(0, q.start - 25) : q.start]
        growth_verb = re.search(
            r"(?:прибави|вырос|выросл|увеличи|снизи|сократи|упа)\w*\s+(?:на\s+)?$", just_before
        )
        if (q.preposition == "на" or growth_verb) and (GROWTH.search(text) or DECLINE.search(text)):
            metric = _growth_metric(family)
            factor = 1 - ratio if DECLINE.search(text) and not GROWTH.search(text) else 1 + ratio
            return (metric, factor) if metric else None
        if q.noun in ("резидент", "компания", "предприятие", "участник") and family == "export":
            return "exporters_share", ratio
        # a share of exports is about a product or a place; «треть от всего экспорта» is not
        about = find_terms(PRODUCT_TERMS, text) or find_terms(REGION_TERMS + COUNTRY_TERMS, text)
        if family == "export" and (SHARE_WORDS.search(text) or q.kind == "share") and about:
            return "export_share", ratio
        return None
    noun = q.noun
    words = set(q.noun_words)
    clause = clause if clause is not None else text
    if noun == "резидент":
        new = NEW_RESIDENTS.search(clause) or "новый" in words
        return ("new_residents" if new else "resident_count"), q.value
    if noun in (
        "компания",
        "предприятие",
        "организация",
        "фирма",
        "производитель",
        "стартап",
        "company",
    ):
        if NEW_RESIDENTS.search(clause) or "новый" in words:
            return "new_residents", q.value
        if "резидент" in clause:
            return "resident_count", q.value
        return "company_count", q.value
    if noun == "место" and "рабочий" in words:
        return "jobs", q.value
    if noun == "площадка":
        return "site_count", q.value
    if noun == "производство":
        return "production_count", q.value
    if noun in ("корпус", "здание", "комплекс", "строение"):
        return "building_count", q.value
    if noun in ("страна", "государство") and (family == "export" or WEAK_EXPORT.search(text)):
        return "export_countries", q.value
    return None


# --------------------------------------------------------------------------- places and subjects


def _non_overlapping(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    kept: list[tuple[int, int, str]] = []
    for start, end, name in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]))):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end, name))
    return kept


def find_regions(sentence: str) -> list[tuple[int, int, str]]:
    """Regions and countries of a sentence, by the gazetteer (canonical Russian names).

    natasha tags places too, but also Russian towns and the odd product adjective; a destination
    must be a place the vocabulary knows, so its canonical name and ISO code are reliable.
    """
    found = find_terms(REGION_TERMS, sentence) + find_terms(COUNTRY_TERMS, sentence)
    return _non_overlapping(found)


def _nearest_before(items: list[tuple[int, int, str]], position: int) -> str | None:
    before = [item for item in items if item[0] < position]
    return before[-1][2] if before else None


def _clause(text: str, position: int) -> tuple[int, int]:
    """Bounds of the clause around ``position``: commas (not decimal ones), semicolons, colons,
    dashes and brackets end a clause."""
    boundary = re.compile(r"(?<!\d),|,(?!\d)|;|:|\s[—–-]\s|\(|\)")
    start = 0
    for match in boundary.finditer(text, 0, position):
        start = match.end()
    after = boundary.search(text, position)
    return start, after.start() if after else len(text)


@lru_cache(maxsize=1)
def _pymorphy():
    _natasha()  # natasha patches pymorphy2 for Python 3.11 on import
    import pymorphy2

    return pymorphy2.MorphAnalyzer()


def nominative(name: str) -> str:
    """«Биолинка» -> «Биолинк»: a quoted name's last word back in the nominative."""
    words = name.split()
    if (
        not words
        or not re.fullmatch(r"[А-ЯЁа-яё][А-ЯЁа-яё-]+", words[-1])
        or not name[:1].isupper()
    ):
        return name
    parses = _pymorphy().parse(words[-1])
    grams = [set(str(p.tag).replace(" ", ",").split(",")) for p in parses]
    if any({"NOUN", "nomn", "sing"} <= g for g in grams):
        return name  # it reads as a nominative already («Аурелия», «Биолинк»)
    # A declined name after a noun («украшения «Златограда»») is in the genitive singular.
    genitive = [p for p, g in zip(parses, grams, strict=True) if {"NOUN", "gent", "sing"} <= g]
    if not genitive:
        return name
    inflected = genitive[0].inflect({"nomn"})
    if inflected is None:
        return name
    words[-1] = _recase(words[-1], inflected.word)
    if len(words) > 1:  # «Золотой нити» -> «Золотая нить»: adjectives agree with the noun
        return " ".join([*(_agree(w, inflected.tag) for w in words[:-1]), words[-1]])
    return words[-1]


def _recase(original: str, lowered: str) -> str:
    """``lowered`` with the letter case of ``original`` where they share a stem: «ТермоКомпозит»."""
    common = 0
    while common < min(len(original), len(lowered)) and original[common].lower() == lowered[common]:
        common += 1
    return original[:common] + lowered[common:]


def _agree(word: str, noun_tag: object) -> str:
    for parse in _pymorphy().parse(word):
        if "ADJF" in str(parse.tag):
            inflected = parse.inflect({"nomn", getattr(noun_tag, "gender", None) or "masc", "sing"})
            if inflected is not None:
                return (
                    inflected.word[:1].upper() + inflected.word[1:]
                    if word[:1].isupper()
                    else inflected.word
                )
    return word


QUOTED = re.compile(r"[«\"“]([А-ЯЁA-Z][^»\"”]{1,40})[»\"”]")
COMPANY_WORDS = re.compile(
    r"(?:компани|завод|предприяти|фирм|производител|групп|холдинг|корпораци|фабрик|"
    r"технопарк|дом|бренд|студи|мастерск|стартап|резидент)\w*\s*$",
    re.I,
)
# Quoted things that are not companies: places, slogans, titles of laws («Об обращении ...»).
NOT_COMPANIES = re.compile(
    r"^(?:москва|россия|made in russia|сделано в россии)$|^(?:о|об|про)\s", re.I
)


def find_subjects(
    sentence: str, entities: list[tuple[int, int, str, str]]
) -> list[tuple[int, int, str, str]]:
    """The zone, its sites and named companies of a sentence: (start, end, name, kind).

    Kinds: ``company`` (a quoted name or an organisation natasha finds), ``site``, ``zone``.
    """
    found = [
        (start, end, name, "zone" if name == ZONE else "site")
        for start, end, name in find_terms(SUBJECT_TERMS, sentence)
    ]
    for match in QUOTED.finditer(sentence):
        name = match.group(1).strip()
        if find_terms(SUBJECT_TERMS, f"«{name}»") or NOT_COMPANIES.match(name):
            continue
        if any(s <= match.start() < e for s, e, _, _ in found):
            continue
        found.append((match.start(1), match.end(1), name, "company"))
    for start, end, kind, normal in entities:
        if kind != "ORG" or any(s < end and start < e for s, e, _, _ in found):
            continue
        if re.search(
            r"департамент|министерств|мэри|правительств|администрац|банк|агентств", normal.lower()
        ):
            continue
        if re.search(r"[«\"]", sentence[start:end]) or re.fullmatch(r"[A-Z][\w-]+", normal):
            name = re.sub(r"^.*?[«\"]|[»\"].*$", "", normal).strip()
            if name:
                found.append((start, end, name, "company"))
    found.sort()
    return found


def pick_subject(subjects: list[tuple[int, int, str, str]], position: int) -> str | None:
    """A company beats a site, a site beats the zone; among equals the one nearest the number."""
    for kind in ("company", "site", "zone"):
        candidates = [s for s in subjects if s[3] == kind]
        if candidates:
            return min(
                candidates, key=lambda s: abs(s[0] - position) + (0 if s[0] < position else 5)
            )[2]
    return None


def company_aliases(text: str) -> dict[str, str]:
    """Declined forms of the article's quoted company names mapped to one nominative name.

    «Фармавектора», «Фармавектором» and «Фармавектор» are one company: forms sharing a stem are
    grouped; the name as written after «компания»/«завод» (apposition keeps the nominative) wins,
    else a form the morphology reads as nominative, else the most frequent.
    """
    forms: Counter[str] = Counter()
    apposed: set[str] = set()
    for match in QUOTED.finditer(text):
        name = match.group(1).strip()
        if find_terms(SUBJECT_TERMS, f"«{name}»") or NOT_COMPANIES.match(name):
            continue
        forms[name] += 1
        if COMPANY_WORDS.search(text[max(0, match.start() - 30) : match.start()]):
            apposed.add(name)
    groups: dict[str, list[str]] = {}
    for name in forms:
        stem = name.lower()[: max(4, len(name) - 2)]
        key = next((k for k in groups if k.startswith(stem) or stem.startswith(k)), stem)
        groups.setdefault(key, []).append(name)
    aliases: dict[str, str] = {}
    for names in groups.values():
        nominal = [n for n in names if nominative(n) == n]
        canonical = (
            max((n for n in nominal if n in apposed), key=lambda n: forms[n], default=None)
            or max(nominal, key=lambda n: forms[n], default=None)
            or nominative(max(names, key=lambda n: forms[n]))
        )
        aliases.update({name: canonical for name in names})
    return aliases


GENERIC_MENTION = re.compile(
    r"\b(?:компани|фабрик|завод|предприяти|производител)\w*(?!\s*[«\"“])", re.I
)


def article_subjects(
    text: str, title: str = "", aliases: dict[str, str] | None = None
) -> tuple[str | None, str | None, str | None]:
    """(overall, main place, main company) of an article; see :func:`article_subject`."""
    aliases = aliases or {}
    companies: Counter[str] = Counter()
    places: Counter[str] = Counter()
    for piece, weight in ((title, 2), (text, 1)):
        for _, _, name, kind in find_subjects(piece, []):
            if kind == "company":
                companies[aliases.get(name, name)] += weight
            else:
                places[name] += weight
    place = places.most_common(1)[0][0] if places else None
    company = companies.most_common(1)[0][0] if companies else None
    return article_subject(text, title, aliases), place, company


def article_subject(
    text: str, title: str = "", aliases: dict[str, str] | None = None
) -> str | None:
    """Who an article is about, the subject of figures whose sentence names nobody: the one its
    lead names (news names its protagonist first; a company before its site, a site before the
    zone), else the title's."""
    aliases = aliases or {}
    for sentence in [*split_sentences(text)[:3], Sentence(0, title)]:
        subjects = find_subjects(sentence.text, [])
        if subjects:
            chosen = pick_subject(subjects, 0)
            return aliases.get(chosen, chosen) if chosen else None
    return None


# A capitalised word past the first letter, or a Latin one: where an organisation may be named.
NAME_LIKE = re.compile(
    r"(?<=[\s(«\"])(?!Москв|Росси|Зеленоград|Подмосков|Минпромторг|Депар|Прави|Мэр)[А-ЯЁA-Z][а-яёa-z]+"
    r"|[A-Za-z]{3,}"
)
GENERIC_PLACE = re.compile(r"\b(?:площадк|технопарк|территори|резидент)\w*", re.I)
GENERIC_COMPANY = re.compile(
    r"\b(?:компани|фабрик|завод|предприяти|производител|фирм|ее|его)\w*", re.I
)
PLANNED = re.compile(
    r"рассчитыва|планиру|намерен|собира|выйти на|в перспектив|в будущем|ведет переговор|"
    r"посетил|делегаци"
)
EXCHANGE_RATE = re.compile(r"(?:курс\w*|доллар\w*|евро|юан\w*)\s+(?:\w+\s+){0,6}$")
LEFT_NOUNS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"резидент"), "резидент", ()),
    (re.compile(r"рабоч\w+ мест"), "место", ("рабочий",)),
    (re.compile(r"компани"), "компания", ()),
    (re.compile(r"площадок|площадки"), "площадка", ()),
)


# --------------------------------------------------------------------------- the whole article


def extract_facts(
    text: str, *, article: str = "", published: date | None = None, title: str | None = None
) -> list[Fact]:
    """All facts of an article's text, de-duplicated, in reading order."""
    aliases = company_aliases((title or "") + "\n" + text)
    main_subject, main_place, main_company = article_subjects(text, title or "", aliases)
    sentences = split_sentences(text)
    facts: list[Fact] = []
    previous: Sentence | None = None
    previous_period: tuple[date, date] | None = None
    previous_export = False
    previous_subjects: list[tuple[int, int, str, str]] = []
    for sentence in sentences:
        raw_lower = sentence.text.lower().replace("ё", "е")
        lower = _blank(ATTRIBUTION, raw_lower)
        quantities = find_quantities(sentence.text)
        regions = find_regions(sentence.text)
        anaphoric = bool(ANAPHORA.match(sentence.text.strip()))
        export_here = bool(CONTEXT["export"].search(lower)) or bool(
            regions and WEAK_EXPORT.search(lower)
        )
        if not quantities and not (regions and (export_here or (anaphoric and previous_export))):
            previous, previous_export, previous_period = (
                sentence,
                export_here,
                find_period(sentence.text, published),
            )
            previous_subjects = find_subjects(sentence.text, [])
            continue
        context = (
            (_blank(ATTRIBUTION, previous.text.lower()) + " ") if previous and anaphoric else ""
        ) + lower
        # natasha's NER is the costly part: it runs only where the gazetteers and quoted names
        # leave a sentence with a figure but nobody it is about, and a name could be there.
        subjects = find_subjects(sentence.text, [])
        if not subjects and NAME_LIKE.search(sentence.text[1:]):
            subjects = find_subjects(sentence.text, named_entities(sentence.text))
        products = find_terms(PRODUCT_TERMS, sentence.text)
        period = find_period(sentence.text, published) or (previous_period if anaphoric else None)

        # A sentence that says «площадки», «резидентов» speaks of the place; «компания», of the
        # company; otherwise of whom the article is about.
        default = main_subject
        place_word, company_word = GENERIC_PLACE.search(lower), GENERIC_COMPANY.search(lower)
        if (
            place_word
            and main_place
            and (not company_word or place_word.start() < company_word.start())
        ):
            default = main_place
        elif company_word and main_company:
            default = main_company

        def subject_at(
            position: int,
            _subjects=subjects,
            _anaphoric=anaphoric,
            _previous=previous_subjects,
            _default=default,
        ) -> str | None:
            return _subject_for(position, _subjects, _previous if _anaphoric else [], _default)

        used: set[int] = set()
        if export_here or (anaphoric and previous_export):
            for start, end, region in regions:
                clause = _clause(lower, start)
                if PLANNED.search(lower[clause[0] : clause[1]]):
                    continue
                count = None
                for index, q in enumerate(quantities):
                    if q.noun in ("страна", "государство") and 0 <= start - q.end <= 2:
                        count, used = q.value, used | {index}
                in_clause = [p for p in products if clause[0] <= p[0] < clause[1]]
                if not in_clause and re.match(r"\s*[—–-]\s", lower[clause[1] : clause[1] + 3]):
                    following = _clause(lower, clause[1] + 3)  # «в Казахстан — светильники»
                    in_clause = [p for p in products if following[0] <= p[0] < following[1]]
                product = (in_clause[0][2] if in_clause else _nearest_before(products, start)) or (
                    products[0][2] if len(products) == 1 else None
                )
                facts.append(Fact(
                    article, "export_destination", count, None, "exact", *(period or (None, None)),
                    subject_at(start), region, region_code(region), product,
                    sentence.text.strip(), sentence.start + start, sentence.start + end,
                    "destination",
                ))  # fmt: skip

        for index, q in enumerate(quantities):
            if index in used:
                continue
            if q.unit == "RUB" and EXCHANGE_RATE.search(lower[max(0, q.start - 60) : q.start]):
                continue  # «курс доллара превысил 97 рублей»
            q = _with_left_noun(q, lower)
            clause = _clause(lower, q.start)
            decided = classify(q, lower, context, lower[clause[0] : clause[1]])
            if decided is None:
                continue
            metric, value = decided
            flow = metric in FLOW_METRICS
            product = region = None
            if metric in ("export_share", "export_volume"):
                after = sorted(
                    [(p[0], "product", p[2]) for p in products if p[0] > q.start]
                    + [(r[0], "region", r[2]) for r in regions if r[0] > q.start]
                )
                if after and after[0][1] == "region":
                    region = after[0][2]
                elif after:
                    product = after[0][2]
                elif metric == "export_share" and (
                    near := [r for r in regions if clause[0] - 40 <= r[0] < q.start]
                ):
                    region = near[-1][2]  # «на Малайзию — менее 15%»
                elif len(products) == 1:
                    product = products[0][2]
            elif metric in ("export_growth", "export_countries", "revenue", "output_growth"):
                named = {p[2] for p in products}
                product = named.pop() if len(named) == 1 else None
            start, end = sentence.start + q.start, sentence.start + q.end
            facts.append(Fact(
                article, metric, value, METRIC_UNITS[metric], q.qualifier,
                *((period or (None, None)) if flow else (None, None)),
                subject_at(q.start), region, region_code(region), product,
                sentence.text.strip(), start, end, q.rule,
                None if flow else _target_year(sentence.text),
            ))  # fmt: skip
        previous, previous_export, previous_subjects = sentence, export_here, subjects
        previous_period = period
    facts = [
        replace(f, subject=aliases.get(f.subject, f.subject)) if f.subject else f for f in facts
    ]
    return deduplicate(facts)


def _subject_for(
    position: int,
    subjects: list[tuple[int, int, str, str]],
    previous: list[tuple[int, int, str, str]],
    main_subject: str | None,
) -> str | None:
    """The sentence's own subject, else the previous sentence's (anaphora), else the article's."""
    return pick_subject(subjects, position) or pick_subject(previous, 10**9) or main_subject


def _with_left_noun(q: Quantity, text: str) -> Quantity:
    """A bare number («превышает 240», «являются 19 из них») takes the counted noun on its left."""
    if q.noun or q.unit or q.kind != "number":
        return q
    left = text[max(0, q.start - 60) : q.start]
    best: tuple[int, str, tuple[str, ...]] | None = None
    for pattern, noun, words in LEFT_NOUNS:
        for match in pattern.finditer(left):
            if best is None or match.start() > best[0]:
                best = (match.start(), noun, words)
    if best is None and re.match(
        r"\s*(?:из них\s+)?(?:\w+\s+){0,2}статус\w* резидент", text[q.end : q.end + 50]
    ):
        best = (0, "резидент", ())
    if best is None:
        return q
    return Quantity(
        q.start,
        q.end,
        q.value,
        q.kind,
        q.unit,
        q.qualifier,
        best[1],
        (*best[2], best[1]),
        q.preposition,
        q.rule + "_left",
    )


def _blank(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with ``pattern``'s matches replaced by spaces (offsets kept)."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def deduplicate(facts: list[Fact]) -> list[Fact]:
    """Keep the first of facts that say the same thing (a figure repeated in the text)."""
    seen: set[tuple] = set()
    kept = []
    for fact in facts:
        value = round(fact.value, 6) if fact.value is not None else None
        key = (fact.metric, value, fact.unit, fact.qualifier, fact.period_start, fact.period_end,
               fact.subject, fact.region, fact.product)  # fmt: skip
        if fact.metric == "export_destination":
            key = (fact.metric, fact.region)  # one destination fact per place and article
        if key in seen:
            continue
        seen.add(key)
        kept.append(fact)
    return kept


def extract_article_facts(article: Article) -> list[Fact]:
    """The facts of one article read by :mod:`extract.articles`; spans point into its text."""
    return facts_in(
        article.text,
        article=article.source,
        published=article.published_date or article.view_date,
        title=article.title,
        language=article.language,
    )


def facts_in(
    text: str, *, article: str, published: date | None, title: str | None, language: str = "ru"
) -> list[Fact]:
    """Facts of an article in Russian or English (:mod:`extract.facts_en`)."""
    if language == "en":
        from extract.facts_en import extract_english_facts

        return extract_english_facts(text, article=article, published=published)
    return extract_facts(text, article=article, published=published, title=title)


__all__ = [
    "EXTRACTOR_VERSION",
    "ZONE",
    "Fact",
    "extract_article_facts",
    "extract_facts",
    "facts_in",
    "find_period",
    "split_sentences",
]
