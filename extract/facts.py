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
from dataclasses import dataclass
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

EXTRACTOR_VERSION = "1.0"


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
        r"экспорт|export|за рубеж|зарубежн|внешн\w* рын|постав\w*\s+(?:в|на)\s|поставк|отправ|"
        r"вывез|востребован|приходил\w* на|пришл\w* на|пришел\w* на"
    ),
    "revenue": re.compile(
        r"выручк|оборот|объем\w* продаж|продаж\w* (?:вырос|состав|достиг)|revenue"
    ),
    "investment": re.compile(
        r"инвестиц|инвестир|вложени|вложит|вложат|вложил|капиталовлож|investment"
    ),
    "output": re.compile(
        r"\bвыпуск(?:а|у|ом|е)?\b|объем\w* (?:выпуска|производств)|производств\w* (?:вырос|увелич|"
        r"сократ)|выработк|выпустил\w*|output"
    ),
}
GROWTH = re.compile(r"вырос|выросл|увелич|прирост|рост|прибав|превыша|больше|поднял|grew|increase")
DECLINE = re.compile(r"сократ|снизил|снижен|уменьш|упал|упало|падени")
SHARE_WORDS = re.compile(r"дол[яию]|приход|пришл|пришел|составля|составил|из них|от общего|share")
NEW_RESIDENTS = re.compile(
    r"нов\w* резидент|статус резидента получил|получил\w* статус резидент|стали резидент|"
    r"пополнил|присоедин|new resident"
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
    if stem.startswith("ма"):
        return 5
    for index, prefix in enumerate(MONTH_STEMS, start=1):
        if stem.startswith(prefix):
            return index
    raise ValueError(stem)


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1).fromordinal(date(year, month + 1, 1).toordinal() - 1)


def find_period(sentence: str, published: date | None) -> tuple[date, date] | None:
    """The period a sentence's flow figure covers, resolved against the article's date."""
    text = sentence.lower().replace("ё", "е")
    base_year = published.year if published else None
    explicit = [
        (m.start(), int(m.group(1)))
        for m in re.finditer(r"(?<!\d)((?:19|20)\d\d)(?:-?м|-го)?\s*(?:году|года|год|г\.|гг)", text)
        if not re.search(r"(?:показател|уровн|сравнени|чем в|против|относительно|отношению)\w*\s*$",
                         text[max(0, m.start() - 30) : m.start()])
    ]  # fmt: skip
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
    """The metric family whose keyword stands nearest the number (before it preferred)."""
    best: tuple[int, str] | None = None
    for family, pattern in CONTEXT.items():
        for match in pattern.finditer(text):
            distance = (
                position - match.end()
                if match.end() <= position
                else (match.start() - position) * 2
            )
            if best is None or abs(distance) < best[0]:
                best = (abs(distance), family)
    return best[1] if best else None


def _growth_metric(family: str | None) -> str | None:
    return {
        "export": "export_growth",
        "revenue": "revenue_growth",
        "investment": "investment_growth",
        "output": "output_growth",
    }.get(family or "")


def classify(q: Quantity, text: str, context: str) -> tuple[str, float] | None:
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
        if q.preposition == "на" and (GROWTH.search(text) or DECLINE.search(text)):
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
    if noun == "резидент":
        return (
            "new_residents" if NEW_RESIDENTS.search(text) or "новый" in words else "resident_count"
        ), q.value
    if noun in (
        "компания",
        "предприятие",
        "организация",
        "фирма",
        "производитель",
        "стартап",
        "company",
    ):
        if NEW_RESIDENTS.search(text) or "новый" in words:
            return "new_residents", q.value
        if "резидент" in text or "resident" in text:
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
    if noun == "страна" and family == "export":
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


def find_regions(
    sentence: str, entities: list[tuple[int, int, str, str]]
) -> list[tuple[int, int, str]]:
    """Regions and countries of a sentence: gazetteer first, then natasha's LOC spans."""
    found = find_terms(REGION_TERMS, sentence) + find_terms(COUNTRY_TERMS, sentence)
    for start, end, kind, normal in entities:
        if (
            kind == "LOC"
            and normal not in NOT_DESTINATIONS
            and not any(s < end and start < e for s, e, _ in found)
        ):
            found.append((start, end, normal))
    return _non_overlapping(found)


def _nearest_before(items: list[tuple[int, int, str]], position: int) -> str | None:
    before = [item for item in items if item[0] < position]
    return before[-1][2] if before else None


def find_subjects(
    sentence: str, entities: list[tuple[int, int, str, str]]
) -> list[tuple[int, int, str]]:
    """The zone, its sites and named companies mentioned in a sentence."""
    found = find_terms(SUBJECT_TERMS, sentence)
    for match in COMPANY_NAME.finditer(sentence):
        name = match.group(1).strip()
        if not find_terms(SUBJECT_TERMS, f"«{name}»") and name.lower() != "москва":
            found.append((match.start(1), match.end(1), name))
    for start, end, kind, normal in entities:
        if (
            kind == "ORG"
            and re.search(r"[«\"]", sentence[start:end])
            and not any(s < end and start < e for s, e, _ in found)
        ):
            name = re.sub(r"^.*?[«\"]|[»\"].*$", "", normal).strip()
            if name and not re.search(
                r"департамент|министерств|мэри|правительств|администрац", normal.lower()
            ):
                found.append((start, end, name))
    return _non_overlapping(found)


def article_subject(text: str, title: str = "") -> str | None:
    """The subject an article is mostly about: the most mentioned (a title counts thrice)."""
    counts = Counter(name for _, _, name in find_terms(SUBJECT_TERMS, text))
    counts.update({name: 3 for _, _, name in find_terms(SUBJECT_TERMS, title)})
    if not counts:
        return None
    top, _ = counts.most_common(1)[0]
    return top


# --------------------------------------------------------------------------- the whole article


def extract_facts(
    text: str, *, article: str = "", published: date | None = None, title: str | None = None
) -> list[Fact]:
    """All facts of an article's text (and title), de-duplicated, in reading order."""
    body_subject = article_subject(text, title or "")
    sentences = split_sentences(text)
    periods = Counter(p for s in sentences if (p := find_period(s.text, published)) is not None)
    article_period = periods.most_common(1)[0][0] if periods else None
    facts: list[Fact] = []
    previous: Sentence | None = None
    previous_subjects: list[tuple[int, int, str]] = []
    previous_products: list[tuple[int, int, str]] = []
    previous_export = False
    for sentence in sentences:
        lower = _blank(ATTRIBUTION, sentence.text.lower().replace("ё", "е"))
        quantities = find_quantities(sentence.text)
        regions_here = find_terms(REGION_TERMS, sentence.text) + find_terms(
            COUNTRY_TERMS, sentence.text
        )
        anaphoric = bool(ANAPHORA.match(sentence.text.strip()))
        context = (
            (_blank(ATTRIBUTION, previous.text.lower()) + " ")
            if previous is not None and anaphoric
            else ""
        ) + lower
        export_here = bool(CONTEXT["export"].search(lower))
        if not quantities and not (regions_here and (export_here or previous_export)):
            previous, previous_export = sentence, export_here
            previous_subjects = find_terms(SUBJECT_TERMS, sentence.text)
            previous_products = find_terms(PRODUCT_TERMS, sentence.text)
            continue
        entities = named_entities(sentence.text)
        subjects = find_subjects(sentence.text, entities)
        products = find_terms(PRODUCT_TERMS, sentence.text)
        period = find_period(sentence.text, published)
        used: set[int] = set()

        def subject_at(
            position: int, _subjects=subjects, _anaphoric=anaphoric, _prev=previous_subjects
        ) -> str | None:
            before = _nearest_before(_subjects, position)
            if before:
                return before
            if _subjects:
                return _subjects[0][2]
            if _anaphoric and _prev:
                return _prev[-1][2]
            return body_subject

        # Destinations: places in an export context, each with the product named before it.
        if export_here or (previous_export and anaphoric) or (previous_export and regions_here):
            for start, end, region in find_regions(sentence.text, entities):
                count = None
                for index, q in enumerate(quantities):
                    if q.noun == "страна" and 0 <= start - q.end <= 40:
                        count, used = q.value, used | {index}
                product = _nearest_before(products, start) or (products[0][2] if products else None)
                if product is None and anaphoric:
                    product = _nearest_before(previous_products, 10**9)
                facts.append(Fact(
                    article, "export_destination", count, None, "exact",
                    *(period or article_period or (None, None)),
                    subject_at(start), region, region_code(region), product,
                    sentence.text.strip(), sentence.start + start, sentence.start + end,
                    "destination",
                ))  # fmt: skip

        for index, q in enumerate(quantities):
            if index in used:
                continue
            decided = classify(q, lower, context)
            if decided is None:
                continue
            metric, value = decided
            unit = METRIC_UNITS[metric]
            flow = metric in FLOW_METRICS
            product = None
            region = None
            if metric in ("export_share", "export_volume", "exporters_share"):
                after = [p for p in products if p[0] > q.start]
                product = (
                    (after[0][2] if after else _nearest_before(products, q.start))
                    if metric != "exporters_share"
                    else None
                )
                if metric == "export_volume" and len(products) > 1:
                    product = None  # a figure for several products together
            start, end = sentence.start + q.start, sentence.start + q.end
            fact_period = (period or article_period) if flow else None
            facts.append(Fact(
                article, metric, value, unit, q.qualifier,
                *(fact_period or (None, None)),
                subject_at(q.start), region, region_code(region), product,
                sentence.text.strip(), start, end, q.rule,
                None if flow else _target_year(sentence.text),
            ))  # fmt: skip
        previous, previous_export = sentence, export_here
        previous_subjects, previous_products = subjects, products
    return deduplicate(facts)


def _blank(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with ``pattern``'s matches replaced by spaces (offsets kept)."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def deduplicate(facts: list[Fact]) -> list[Fact]:
    """Keep the first of facts that say the same thing (a title repeated in the text)."""
    seen: set[tuple] = set()
    kept = []
    for fact in facts:
        value = round(fact.value, 6) if fact.value is not None else None
        key = (fact.metric, value, fact.unit, fact.qualifier, fact.period_start, fact.period_end,
               fact.subject, fact.region, fact.product)  # fmt: skip
        if key in seen:
            continue
        seen.add(key)
        kept.append(fact)
    return kept


def extract_article_facts(article: Article) -> list[Fact]:
    """The facts of one article read by :mod:`extract.articles`; spans point into its text."""
    published = article.published_date or article.view_date
    return extract_facts(
        article.text, article=article.source, published=published, title=article.title
    )


__all__ = ["EXTRACTOR_VERSION", "ZONE", "Fact", "extract_facts", "find_period", "split_sentences"]
