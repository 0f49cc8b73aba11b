"""Facts from Russian text: quantities get a metric from the words around them.

The pipeline per article: :func:`~extract.facts.sentences.split_sentences`; the quantities of each
sentence (:mod:`extract.facts.russian_numbers`); each quantity's metric from its unit, counted noun
and the words around it (:func:`classify`); the period (:mod:`extract.facts.periods`); the subject
(:mod:`extract.facts.russian_names`); destinations and products from the gazetteers.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from extract.facts.dedupe import deduplicate
from extract.facts.model import Fact, Quantity, Sentence
from extract.facts.periods import russian_period, russian_target_year
from extract.facts.russian_names import (
    GENERIC_COMPANY,
    GENERIC_PLACE,
    NAME_LIKE,
    article_subjects,
    company_aliases,
    find_subjects,
    named_entities,
    subject_for,
)
from extract.facts.russian_numbers import find_quantities
from extract.facts.sentences import blank, split_sentences
from extract.vocabulary import (
    COUNTRY_TERMS,
    FLOW_METRICS,
    METRIC_UNITS,
    PRODUCT_TERMS,
    REGION_TERMS,
    find_terms,
    region_code,
)

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
        lower = blank(ATTRIBUTION, raw_lower)
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
                russian_period(sentence.text, published),
            )
            previous_subjects = find_subjects(sentence.text, [])
            continue
        context = (
            (blank(ATTRIBUTION, previous.text.lower()) + " ") if previous and anaphoric else ""
        ) + lower
        # natasha's NER is the costly part: it runs only where the gazetteers and quoted names
        # leave a sentence with a figure but nobody it is about, and a name could be there.
        subjects = find_subjects(sentence.text, [])
        if not subjects and NAME_LIKE.search(sentence.text[1:]):
            subjects = find_subjects(sentence.text, named_entities(sentence.text))
        products = find_terms(PRODUCT_TERMS, sentence.text)
        period = russian_period(sentence.text, published) or (
            previous_period if anaphoric else None
        )

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
            return subject_for(position, _subjects, _previous if _anaphoric else [], _default)

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
                None if flow else russian_target_year(sentence.text),
            ))  # fmt: skip
        previous, previous_export, previous_subjects = sentence, export_here, subjects
        previous_period = period
    facts = [
        replace(f, subject=aliases.get(f.subject, f.subject)) if f.subject else f for f in facts
    ]
    return deduplicate(facts)


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
