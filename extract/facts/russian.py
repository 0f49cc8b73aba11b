"""Facts from Russian text: quantities get a metric from the words around them.

The pipeline per article: :func:`~extract.facts.sentences.split_sentences`; the quantities of each
sentence (:mod:`extract.facts.russian_numbers`); each quantity's metric from its unit, counted noun
and the words around it (:func:`classify`, a list of small rules); the period
(:mod:`extract.facts.periods`); the subject (:mod:`extract.facts.russian_names`); destinations from
the gazetteer of :mod:`extract.facts.places` and products from :mod:`extract.vocabulary`.

Everything a sentence says that the rules ask about (keywords of each metric family, clause
bounds, places, products) is found once per sentence (:class:`Reading`), so that the work per
quantity does not grow with the sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date

from extract.facts.dedupe import deduplicate
from extract.facts.model import Fact, Quantity, Sentence, Span, check_deadline
from extract.facts.periods import Period, russian_period, russian_target_year
from extract.facts.places import PlaceMention, find_places, place_named, region_code
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
from extract.vocabulary import FLOW_METRICS, METRIC_UNITS, PRODUCT_TERMS, find_terms

# --------------------------------------------------------------------------- words

# Words that tie a number to a metric family (lower-case text, "ё" as "е").
CONTEXT: dict[str, re.Pattern[str]] = {
    "export": re.compile(
        r"экспорт|за рубеж|зарубежн|за границ|внешн\w* рын|постав\w*\s+(?:в|на)\s|поставк|поставок|"
        r"поставля|отправ|вывез|востребован|приходил\w* на|пришл\w* на|"
        r"пришел\w* на|зарубежн\w* (?:выручк|продаж)"
    ),
    "revenue": re.compile(
        r"(?<!зарубежной )выручк|оборот|объем\w*(?:\s+\w+){0,2}\s+продаж|"
        r"продаж\w* (?:вырос|состав|достиг)|объем\w* рынк|заработа|отгруж|отгрузи|отгрузк|"
        r"реализовал\w* продукц|(?:россияне|покупатели|потребители|посетители)\s+(?:\w+\s+)?купил|"
        r"купил\w*\s+(?:\w+\s+)?(?:украшени|ювелирн|издели)"
    ),
    "investment": re.compile(
        r"инвестиц|инвестир|инвестор|проинвест|влож|вкладыва|капиталовлож|сумм\w* сделк|"
        r"сделк\w* (?:оценива|состав)"
    ),
    "output": re.compile(
        r"(?<!для )(?:\bвыпуск(?:а|у|ом|е)?\b|выпустил\w*|выпущен|\bпроизводств(?:о|а|у|ом)\b|"
        r"выработк|изготов|произвел|произведен)"
    ),
    # What grows and is none of the above: «сократила использование золота на 22%».
    "other": re.compile(
        r"\b(?:использовани|потреблени|цен[аыуе]?\b|инфляц|ключев\w* ставк|налог|бюджет|зарплат|"
        r"заработн\w* плат)"
    ),
}
GROWTH_METRICS = {
    "export": "export_growth",
    "revenue": "revenue_growth",
    "investment": "investment_growth",
    "output": "output_growth",
}
MONEY_METRICS = {"export": "export_volume", "revenue": "revenue", "investment": "investment"}
ABROAD_AFTER = re.compile(r"^\s*[—–-]?\s*(?:за рубеж|за границ|на экспорт|в друг\w+ стран)")
# Shipping is a sale at home and an export when the clause names a foreign place.
SHIPPING = re.compile(r"отгруж|отгрузи|отгрузк")
# Words that speak of exports only when a foreign place is named in the same sentence.
WEAK_EXPORT = re.compile(
    r"спрос\w* (?:в|на)|нашл\w* (?:спрос|покупател|клиент)|покупател|главн\w* рынк|основн\w* рынк|"
    r"рынк\w* сбыта|рынком для|крупнейш\w* рынк|закупил|закупа|уходил|уходят|уходит|ушл[аи]|"
    r"обеспечил|"
    r"направлени|рынк\w* (?:стран|государств)|на рынк|потребител|заказчик|партнер|покупа"
)
GROWTH = re.compile(
    r"вырос|выросл|возрос|увелич|прирост|рост|прибав|превыша|превыс|больше|выше|поднял|нарастил|"
    r"наращива|удво|утро"
)
DECLINE = re.compile(r"сократ|снизил|снижен|уменьш|упал|упало|падени|ниже")
GROWTH_RIGHT_BEFORE = re.compile(
    r"(?:прибави|вырос|выросл|возрос|увеличи|снизи|сократи|упа|нарасти|превыси|подня)\w*\s+"
    r"(?:на\s+)?$"
)
# «рост ... составил 61,6%», «прирост — 18%», «рост в 18%»
GROWTH_NOUN_BEFORE = re.compile(
    r"(?:\bрост|прирост|увеличени|снижени|падени)\w*"
    r"(?:\s+[^\s,.;:]+){0,6}?\s*(?:состав\w*|достиг\w*|оказал\w*|—|-|:|в)?\s*(?:около|почти|"
    r"более|свыше|порядка)?\s*$"
)
SHARE_WORDS = re.compile(
    r"дол[яию]|приход|пришл|пришел|составля|составил|из них|от общего|обеспечи|занял|принес|"
    r"дал[аи]?\b|дают|дает|ушл[оаи]|ушел|уходит|забрал|досталось|на долю"
)
NEW_RESIDENTS = re.compile(
    r"нов\w* резидент|статус\w*\s+резидент.{0,80}?получил|получил\w*.{0,40}статус|"
    r"статус\w*\s+(?:резидент.{0,80}?|(?:\w+\s+){0,2}?)(?:получил|получат|присво)|"
    r"присво\w*\s+(?:\w+\s+){0,2}?статус|"
    r"стали резидент|резидент\w*\s+(?:\S+\s+){0,6}?стал[аи]?\b|пополнил|присоедин"
)
# Who said it is not what it is about: «..., — добавил руководитель департамента инвестиционной
# политики» must not make a figure an investment.
ATTRIBUTION = re.compile(
    r"(?:департамент|министерств|комитет|управлени|заместител|руководител|мэр)\w*"
    r"(?:\s+(?:по\s+)?[а-яё-]+){0,5}\s+(?:политик|развити|предпринимательств)\w*",
    re.I,
)
# A sentence that goes on about what the one before spoke of: it takes that one's subject,
# period and metric family.
ANAPHORA = re.compile(
    r"^(?:их|это|этот|эта|эти|там|на последней|на ней|при этом|из них|такж|так,|кроме того|"
    r"в том числе|в частности)",
    re.I,
)
# A sentence whose figure is that of the sentence before («за полгода он составил ...»): it takes
# that one's metric family only.
CONTINUES = re.compile(r"^(?:\S+\s+){0,6}?(?:он|она|оно|они|этот показатель)\b", re.I)
NOT_DESTINATIONS = {"Россия"}
PLANNED = re.compile(
    r"рассчитыва|планиру|намерен|собира|выйти на|в перспектив|в будущем|переговор|обсужда|"
    r"посетил|делегаци|из (?:\w+ )?(?:стран|государств)|импорт|закупа\w* (?:в|из)|выставк|"
    r"\bплан|выход на рынк|ставит цел|(?:за|по)?купа(?:ем|ют|ет|ли|л)\s+(?:\w+\s+)?(?:в|из|на)\s"
)
# A price is not a flow: «средний чек», «грамм золота», «стоимость билета».
PRICE = re.compile(
    r"средн\w* чек|\bцен[аыуе]?\b|стоимост\w*(?! (?:экспорт|поставок|продукц))|"
    r"\bграмм\w*|за (?:штуку|единицу|грамм|метр|час)|\bтариф|\bставк\w*|\bзарплат|\bоклад"
)
EXCHANGE_RATE = re.compile(r"(?:курс\w*|доллар\w*|евро|юан\w*)\s+(?:\w+\s+){0,6}$")
# The zone's or a site's land, even when given in square metres.
LAND_WORDS = re.compile(
    r"площад(?:ь|и|ью)\s+(?:\w+\s+)?(?:особой экономической зоны|оэз|зоны|технополис\w*|"
    r"территори\w*|"
    r"земельн\w* участ\w*)|земельн\w+ участ\w*|(?:\bга|гектар\w*),? или\s*$"
)
# A figure for the whole city is not the zone's: «в столице имеется 20 тыс. га ...».
CITY_WIDE = re.compile(r"\bв (?:столице|москве|городе|регионе|стране)\b|по (?:городу|москве)")
# «увеличить площадь до 3,8 млн кв. м», «выросла до 95»: the new value itself.
RISE_TO = re.compile(
    r"(?:вырос|выросл|увелич|расшир|дорос|подня|достиг|нарасти|довед|довел|доведя|удво|утро)\w*"
    r"(?:\s+\S+){0,6}?\s+до\s*$"
)
# Figures for more than the zone: a wider area, the whole city or country, a comparison.
WIDER_AREA = re.compile(
    r"\bвсего(?: же)? в (?:промзон|город|москв|столиц|стран|росси|регион|экономик)|\bв промзон|"
    r"для сравнения|всех московских|по (?:всей )?(?:москве|городу|стране|россии) в целом|"
    r"экономик\w* (?:москвы|города|столицы|страны)|всего же|"
    r"(?:москвы|столицы|города|страны|россии) в целом|"
    r"(?:зеленоградск|московск|столичн)\w+ (?:производител|предприяти|промышленност)"
)
# A sentence that opens on a wider total: «Для сравнения, ...», «Всего же в ...».
WIDER_OPENING = re.compile(r"^\W*(?:для сравнения|всего же|всего,? (?:в|по) |в целом по )")
# An industry-wide figure has no subject: «в России занято 30 тыс. человек».
NATIONAL = re.compile(
    r"\bв росси|\bпо росси|по стране|\bв стране|российск\w+ (?:рын|ювелир|производител|отрасл|"
    r"промышленн|компани)|отрасл\w* в целом|ювелирн\w+ (?:отрасл|промышленн)"
)
JEWELRY = re.compile(r"ювелир|украшени|драгоценн|золот|серебр")
# Counting who does something is not counting how many there are: «десять резидентов покажут».
EVENT = re.compile(
    r"покаж|представ|прим\w* участи|участву|посет|выступ|подпис|награ|обучени|экскурси|"
    r"соревн|конкурс|вед[уеё]т|переговор|отгружа|экспортиру|поставля"
)
# Lines that are a site's navigation, not the article: «Читайте также: ...».
NOISE = re.compile(
    r"^\W*(?:читайте также|смотрите также|новости по теме|по теме|подписывайтесь|реклама|"
    r"материалы по теме|популярное|самое читаемое)",
    re.I,
)
MARKET_QUESTION = re.compile(r"рынк|экспорт|направлени|куда|покупател|заказчик|стран")
# A sentence that goes on with the list of destinations of the one before.
LIST_GOES_ON = re.compile(r"добавил|впервые|к (?:этому |ним |списку )|также|а еще|кроме того")
# «перевалила за 600 человек»: qualifiers the number grammar leaves exact.
OVER_BEFORE = re.compile(r"(?:перевал\w*|перешагнул\w*|превзош\w*)\s+(?:за\s+)?$|более чем\s*$")
ALMOST_BEFORE = re.compile(r"(?:почти|без малого|практически)\s*$")
_SCALED = re.compile(r"(?:млн|млрд|трлн|миллион\w*|миллиард\w*|триллион\w*)\.?$")
WORK = re.compile(r"работ|труд|занят|штат|трудоустро|рабоч|вакан|персонал|коллектив|нанят|найм")
# Nouns for what the vocabulary counts (lemmas).
COMPANY_NOUNS = frozenset(
    {"компания", "предприятие", "организация", "фирма", "производитель", "стартап", "company"}
)
PEOPLE_AT_WORK = frozenset({"сотрудник", "работник", "специалист", "инженер", "работающий"})
BUILDING_NOUNS = frozenset({"корпус", "здание", "комплекс", "строение"})
LEFT_NOUNS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"резидент"), "резидент", ()),
    (re.compile(r"арендатор"), "арендатор", ()),
    (re.compile(r"рабоч\w+ мест"), "место", ("рабочий",)),
    (re.compile(r"компани"), "компания", ()),
    (re.compile(r"предприяти"), "предприятие", ()),
    (re.compile(r"сотрудник|работник|штат\b|численност\w* персонал"), "сотрудник", ()),
    (re.compile(r"площадок|площадки"), "площадка", ()),
)
NUMBER_OF = re.compile(r"(?:число|количеств\w*|численност\w*)\s+(\w+)(?:\s+\S+){0,5}?\s*$")
RESIDENT_AFTER = re.compile(
    r"\s*(?:из (?:них|которых)\s+)?(?:(?:являются|являлись|стали|были|[—–-])\s*)?"
    r"(?:\w+\s+)?(?:статус\w* )?резидент"
)
# Verbs that multiply: «удвоили экспорт», «утроил выручку».
MULTIPLYING_VERBS = re.compile(r"\b(?:удво|утро|учетвер)(?:ил[аио]?|ил[аи]сь|ен[аоы]?|ени[еяю])\b")
BY_HALF = re.compile(r"\bнаполовину\b")  # «выросла наполовину»: growth by half
_VERB_FACTORS = {"удво": 2.0, "утро": 3.0, "учетвер": 4.0}
_BOUNDARY = re.compile(r"(?<!\d),|,(?!\d)|;|:|\s[—–-]\s|\(|\)")


# --------------------------------------------------------------------------- one sentence


@dataclass
class Reading:
    """What a sentence says that the rules ask about, found once per sentence.

    ``lower`` is the sentence in lower case with "ё" as "е" and attributions blanked; keywords
    are ``(start, end, family)`` sorted; ``bounds`` the clause boundaries ``(start, end)``.
    """

    sentence: Sentence
    lower: str
    quantities: list[Quantity]
    places: list[Span]
    products: list[Span]
    keywords: list[tuple[int, int, str]]
    bounds: list[tuple[int, int]]
    context_family: str | None = None

    @classmethod
    def of(cls, sentence: Sentence) -> Reading:
        lower = blank(ATTRIBUTION, sentence.text.lower().replace("ё", "е"))
        keywords = sorted(
            (m.start(), m.end(), family)
            for family, pattern in CONTEXT.items()
            for m in pattern.finditer(lower)
        )
        return cls(
            sentence,
            lower,
            find_quantities(sentence.text) + _multiplying_verbs(lower),
            destinations_named(sentence.text),
            find_terms(PRODUCT_TERMS, sentence.text),
            keywords,
            [m.span() for m in _BOUNDARY.finditer(lower)],
        )

    def family_at(self, position: int, among: Collection[str] = ()) -> str | None:
        """The metric family whose keyword stands nearest before ``position``, else after it
        (only the families ``among``, when given)."""
        keywords = [k for k in self.keywords if k[2] in among] if among else self.keywords
        ends = [end for _, end, _ in keywords]
        before = keywords[: bisect_right(ends, position)]
        if before:
            return max(before, key=lambda k: k[1])[2]
        after = [k for k in keywords if k[0] >= position]
        return after[0][2] if after else None

    @property
    def family(self) -> str | None:
        """The family of the sentence's last keyword, or the one carried from before."""
        return self.keywords[-1][2] if self.keywords else self.context_family

    def clause(self, position: int) -> tuple[int, int]:
        """Bounds of the clause around ``position``: commas (not decimal ones), semicolons,
        colons, dashes and brackets end a clause."""
        starts = [start for start, _ in self.bounds]
        index = bisect_left(starts, position)
        start = self.bounds[index - 1][1] if index > 0 else 0
        end = self.bounds[index][0] if index < len(self.bounds) else len(self.lower)
        if start > position:  # inside a boundary
            start = position
        return start, end

    def clause_with_heading(self, position: int) -> str:
        """The clause, and the one before when a dash joins them («новых резидентов — шесть»)."""
        start, end = self.clause(position)
        if start >= 2 and re.search(r"[—–-]\s*$", self.lower[max(0, start - 3) : start]):
            start = self.clause(start - 3)[0]
        return self.lower[start:end]

    def exporting(self) -> bool:
        """Whether the sentence speaks of exports (weak words count when a place is named)."""
        if any(family == "export" for *_, family in self.keywords):
            return True
        return bool(self.places and WEAK_EXPORT.search(self.lower))


# After a place's adjective, what makes it a market: «азиатские страны», «турецким партнерам».
_MARKET_AFTER = re.compile(
    r"^\s+(?:\w+\s+)?(?:рын|стран|государств|покупател|заказчик|партнер|компани|клиент|"
    r"потребител|дистрибьютор|направлени)",
    re.I,
)


def destinations_named(text: str) -> list[Span]:
    """Countries, regions and blocs a sentence names that could be destinations: Russia is
    not, and a place named by an adjective only as a market («европейский рынок»)."""
    return [
        (m.start, m.end, m.place.name)
        for m in find_places(text)
        if m.place.name not in NOT_DESTINATIONS and (not m.adjective or _is_market(m, text))
    ]


def _is_market(mention: PlaceMention, text: str) -> bool:
    return bool(_MARKET_AFTER.match(text[mention.end : mention.end + 40]))


def _multiplying_verbs(lower: str) -> list[Quantity]:
    found = [
        Quantity(m.start(), m.end(), 0.5, "share", None, "exact", None, (), "на", "by_half")
        for m in BY_HALF.finditer(lower)
    ]
    for match in MULTIPLYING_VERBS.finditer(lower):
        factor = next(v for stem, v in _VERB_FACTORS.items() if match.group(0).startswith(stem))
        before = lower[max(0, match.start() - 20) : match.start()]
        qualifier = "over" if OVER_BEFORE.search(before) else "exact"
        qualifier = "almost" if ALMOST_BEFORE.search(before) else qualifier
        found.append(Quantity(match.start(), match.end(), factor, "multiplier", None, qualifier,
                              None, (), None, "verb_multiplier"))  # fmt: skip
    return found


# --------------------------------------------------------------------------- metrics


def classify(q: Quantity, reading: Reading) -> tuple[str, float] | None:
    """The metric and the value in its unit for a quantity, or None if it is not a fact."""
    family = reading.family_at(q.start) or reading.context_family
    for rule in (_money, _area, _multiplier, _growth_or_share, _count):
        decided = rule(q, reading, family)
        if decided is not _NOT_MINE:
            return decided  # type: ignore[return-value]
    return None


_NOT_MINE = object()
"""What a rule returns for a quantity of another shape (None means: not a fact)."""


def _money(q: Quantity, reading: Reading, family: str | None) -> object:
    """Roubles: exports, revenue or investment by the nearest keyword."""
    if q.unit not in ("RUB", "USD", "EUR", "CNY"):
        return _NOT_MINE
    if q.unit != "RUB" or EXCHANGE_RATE.search(reading.lower[max(0, q.start - 60) : q.start]):
        return None  # «курс доллара превысил 97 рублей»
    if PRICE.search(reading.lower[max(reading.clause(q.start)[0], q.start - 50) : q.start]):
        return None  # «средний чек снизился до 14,2 тыс. рублей»
    family = reading.family_at(q.start, among=MONEY_METRICS) or family
    if ABROAD_AFTER.match(reading.lower[q.end : q.end + 25]):
        family = "export"  # «из них на 190 млн рублей — за рубеж»
    start, end = reading.clause(q.start)
    clause = reading.lower[start:end]
    if family == "revenue" and SHIPPING.search(clause) and _foreign_place_in(reading, start, end):
        family = "export"  # «отгрузили в Казахстан продукции на ...»
    metric = MONEY_METRICS.get(family or "")
    return (metric, q.value) if metric else None


def _area(q: Quantity, reading: Reading, family: str | None) -> object:
    """Hectares are land; square metres are floor space unless the text speaks of land."""
    if q.unit not in ("ha", "km2", "m2"):
        return _NOT_MINE
    start, end = reading.clause(q.start)
    clause = reading.lower[start:end]
    if CITY_WIDE.search(clause) and not find_subjects(reading.sentence.text[start:end], []):
        return None  # a figure for the whole city
    if q.unit == "ha":
        return "land_area", q.value * 10_000
    if q.unit == "km2":
        return "land_area", q.value * 1_000_000
    before = reading.lower[max(0, start - 15) : q.start]
    return ("land_area" if LAND_WORDS.search(before) else "floor_area"), q.value


def _multiplier(q: Quantity, reading: Reading, family: str | None) -> object:
    """«в 3,3 раза», «втрое», «удвоили»: growth of what grew (a verb's object follows it)."""
    if q.kind != "multiplier":
        return _NOT_MINE
    if q.rule == "verb_multiplier":
        following = [k for k in reading.keywords if q.end <= k[0] <= q.end + 30]
        family = following[0][2] if following else family
    metric = GROWTH_METRICS.get(family or "")
    return (metric, q.value) if metric else None


def _growth_or_share(q: Quantity, reading: Reading, family: str | None) -> object:
    """A percentage or a fraction: growth («на 32% больше»), a share of exporters or of exports."""
    if q.kind not in ("percent", "share"):
        return _NOT_MINE
    text = reading.lower
    ratio = q.value / 100 if q.kind == "percent" else q.value
    before = text[max(0, q.start - 80) : q.start]
    grows, declines = GROWTH.search(text), DECLINE.search(text)
    growth_phrase = (
        q.sign
        or GROWTH_RIGHT_BEFORE.search(before[-25:])
        or (q.preposition == "на" and (grows or declines))
        or (q.kind == "percent" and GROWTH_NOUN_BEFORE.search(before))
    )
    if growth_phrase:
        metric = GROWTH_METRICS.get(family or "")
        factor = 1 - ratio if declines and not grows else 1 + ratio
        return (metric, factor) if metric else None
    noun = q.noun
    if noun is None and q.kind == "share":  # «отгружает 41 резидент — почти каждый седьмой»
        left = text[max(reading.clause(q.start)[0] - 40, 0) : q.start]
        noun = "резидент" if "резидент" in left else ("компания" if "компани" in left else None)
    exporting_firm = noun in ("резидент", "компания", "предприятие", "участник", "производитель")
    if exporting_firm and family == "export":
        return "exporters_share", ratio
    # a share of exports is about a product or a place; «треть от всего экспорта» is not
    about = reading.products or reading.places
    if family == "export" and (SHARE_WORDS.search(text) or q.kind == "share") and about:
        return "export_share", ratio
    return None


def _count(q: Quantity, reading: Reading, family: str | None) -> object:
    """A counted noun: residents, companies, jobs, sites, productions, buildings, countries."""
    noun, words = q.noun, set(q.noun_words)
    if noun is None:
        return None
    clause = reading.clause_with_heading(q.start)
    new = bool(NEW_RESIDENTS.search(clause)) or "новый" in words
    counts_firms = noun in ("резидент", "арендатор") or noun in COMPANY_NOUNS
    bounds = reading.clause(q.start)
    after = reading.lower[q.end : min(q.end + 40, bounds[1])]
    before = reading.lower[max(bounds[0], q.start - 25) : q.start]
    if counts_firms and not new and (EVENT.search(after) or EVENT.search(before)):
        return None  # «десять резидентов покажут свои разработки»
    if noun in ("резидент", "арендатор"):
        return ("new_residents" if new else "resident_count"), q.value
    if noun in COMPANY_NOUNS:
        if new:
            return "new_residents", q.value
        if "резидент" in clause:
            return "resident_count", q.value
        return "company_count", q.value
    if (noun == "место" and "рабочий" in words) or noun in PEOPLE_AT_WORK:
        return "jobs", q.value
    if noun == "человек" and WORK.search(clause):
        return "jobs", q.value
    if noun == "площадка":
        return "site_count", q.value
    if noun == "производство":
        return "production_count", q.value
    if noun in BUILDING_NOUNS:
        return "building_count", q.value
    if noun in ("страна", "государство") and (family == "export" or WEAK_EXPORT.search(clause)):
        return "export_countries", q.value
    return None


def _single_product(products: list[Span]) -> str | None:
    named = {name for *_, name in products}
    return named.pop() if len(named) == 1 else None


RELATIVE_BEFORE = re.compile(r"\b(?:куда|где|на которые|на который|на которую|на них)\b")
_SHARE_OWNER = re.compile(r"на долю\s+$|(?:^|\s)на\s+$")


def _share_owner(q: Quantity, reading: Reading) -> str | None:
    """«На долю СНГ приходится больше половины экспорта»: the place whose share it is."""
    start = reading.clause(q.start)[0]
    for place_start, _, name in reading.places:
        if start <= place_start < q.start and _SHARE_OWNER.search(
            reading.lower[max(0, place_start - 10) : place_start]
        ):
            return name
    return None


def _list_head(places: list[Span], last: Span) -> str:
    """«Ближний Восток — ОАЭ, Катар и Оман, куда ушло 60%»: a share after a region and its
    countries is the region's."""
    index = places.index(last)
    head = index
    while head > 0 and (found := place_named(places[head - 1][2])) is not None:
        if found.kind != "country":
            return places[head - 1][2]
        head -= 1
    return last[2]


def _foreign_place_in(reading: Reading, start: int, end: int) -> bool:
    return any(start <= p[0] < end for p in reading.places)


def _with_left_noun(q: Quantity, text: str) -> Quantity:
    """A bare number («превышает 240», «около 90 из них являются резидентами») takes the counted
    noun on its left, or «резидент» when residents follow."""
    if q.noun or q.unit or q.kind != "number":
        return q
    left = text[max(0, q.start - 60) : q.start]
    counted = NUMBER_OF.search(left)  # «число резидентов площадки достигло 24»
    if counted:
        left = counted.group(1)
    best: tuple[int, str, tuple[str, ...]] | None = None
    for pattern, noun, words in LEFT_NOUNS:
        for match in pattern.finditer(left):
            if best is None or match.start() > best[0]:
                best = (match.start(), noun, words)
    if RESIDENT_AFTER.match(text[q.end : q.end + 50]):
        best = (0, "резидент", ())
    if best is None:
        return q
    return q.but(noun=best[1], noun_words=(*best[2], best[1]), rule=q.rule + "_left")


def _qualifier(q: Quantity, text: str) -> str:
    """«до X» after a verb of growth is the new value itself, not a ceiling; «перевалила за X»
    is more than X."""
    before = text[max(0, q.start - 80) : q.start]
    if q.qualifier == "under" and RISE_TO.search(before):
        return "exact"
    if q.qualifier == "exact" and OVER_BEFORE.search(before):
        return "over"
    return q.qualifier


def _about_a_wider_area(q: Quantity, reading: Reading) -> bool:
    """Whether the words leading to a figure (from the figure before it) speak of a wider area:
    «Всего в промзоне «Печатники» ... работают около 300 предприятий»."""
    begin = max([o.end for o in reading.quantities if o.end <= q.start] + [0])
    return bool(WIDER_AREA.search(reading.lower[begin : q.end]))


def _implied_roubles(q: Quantity, reading: Reading, previous: Reading | None) -> Quantity:
    """«из них 940 млн пришлось на ...», «оборот составлял 1,07 млрд»: millions and billions
    without a currency are roubles where the sentence or the one before speaks of roubles."""
    if q.unit is not None or q.kind != "number" or q.value < 1e6:
        return q
    if not _SCALED.search(reading.sentence.text[q.start : q.end].lower()):
        return q
    roubles = any(other.unit == "RUB" for other in reading.quantities) or (
        previous is not None and any(other.unit == "RUB" for other in previous.quantities)
    )
    return q.but(unit="RUB", noun=None, noun_words=(), rule=q.rule + "_rub") if roubles else q


# --------------------------------------------------------------------------- the whole article


@dataclass
class _Article:
    """What the reader knows of the article so far."""

    article: str
    published: date | None
    main_subject: str | None
    main_place: str | None
    main_company: str | None
    main_site: str | None = None
    previous: Reading | None = None
    previous_period: Period | None = None
    previous_subjects: list[tuple[int, int, str, str]] | None = None


def extract_facts(
    text: str,
    *,
    article: str = "",
    published: date | None = None,
    title: str | None = None,
    deadline: float | None = None,
) -> list[Fact]:
    """All facts of an article's text, de-duplicated, in reading order (by ``deadline``, a
    ``time.monotonic()`` value, or :class:`~extract.facts.model.ExtractionTooSlow`)."""
    aliases = company_aliases((title or "") + "\n" + text)
    state = _Article(article, published, *article_subjects(text, title or "", aliases))
    sites = Counter(s[2] for s in find_subjects(f"{title or ''}\n{text}", []) if s[3] == "site")
    state.main_site = sites.most_common(1)[0][0] if sites else None
    facts: list[Fact] = []
    for sentence in split_sentences(text):
        check_deadline(deadline, article)
        facts += _sentence_facts(Reading.of(sentence), state)
    facts = [
        replace(f, subject=aliases.get(f.subject, f.subject)) if f.subject else f for f in facts
    ]
    return deduplicate(facts)


def _sentence_facts(reading: Reading, state: _Article) -> list[Fact]:
    """The facts of one sentence; updates ``state`` with what the sentence said."""
    sentence = reading.sentence
    previous = state.previous
    if NOISE.match(sentence.text):
        return []
    anaphoric = bool(ANAPHORA.match(sentence.text.strip()))
    if previous is not None and (anaphoric or CONTINUES.match(sentence.text.strip())):
        reading.context_family = previous.family
    export_here = reading.exporting()
    previous_export = previous is not None and previous.exporting()
    goes_on = anaphoric or bool(LIST_GOES_ON.search(reading.lower))
    asked = previous is not None and _asks_about_markets(previous)  # «— Какие рынки главные?»
    places_exported = reading.places and (export_here or (goes_on and previous_export) or asked)
    period = russian_period(sentence.text, state.published)
    if not reading.quantities and not places_exported:
        state.previous, state.previous_period = reading, period
        state.previous_subjects = find_subjects(sentence.text, [])
        return []
    period = period or (state.previous_period if anaphoric else None)
    subjects = find_subjects(sentence.text, [])
    # natasha's NER is the costly part: it runs only for a sentence that gives a fact, where the
    # gazetteers and quoted names leave nobody it is about and a name could be there.
    with_names: list[list[tuple[int, int, str, str]]] = []

    def named() -> list[tuple[int, int, str, str]]:
        if not with_names:
            found = subjects
            if not subjects and NAME_LIKE.search(sentence.text[1:]):
                found = find_subjects(sentence.text, named_entities(sentence.text))
            with_names.append(found)
        return with_names[0]

    default = _default_subject(reading.lower, state)
    earlier = (state.previous_subjects or []) if anaphoric else []
    national = not subjects and bool(NATIONAL.search(reading.lower))
    if national:
        default, earlier = None, []  # an industry-wide figure
    elsewhere = (
        bool(WIDER_OPENING.match(reading.lower))
        or bool(CITY_WIDE.search(reading.lower) and not subjects and not reading.products)
        or (national and not JEWELRY.search(reading.lower))  # only that industry is followed
    )

    def subject_at(position: int) -> str | None:
        return subject_for(position, named(), earlier, default)

    facts: list[Fact] = []
    used: set[int] = set()
    if places_exported:
        facts += _destination_facts(reading, state.article, period, subject_at, used)
    for index, q in enumerate(reading.quantities):
        if index in used or elsewhere or _about_a_wider_area(q, reading):
            continue
        q = _with_left_noun(_implied_roubles(q, reading, previous), reading.lower)
        decided = classify(q, reading)
        if decided is None:
            continue
        metric, value = decided
        flow = metric in FLOW_METRICS
        region, product = _place_and_product(metric, q, reading)
        own = _own_period(q, reading, state.published) if flow else None
        facts.append(Fact(
            state.article, metric, value, METRIC_UNITS[metric], _qualifier(q, reading.lower),
            *((own or period or (None, None)) if flow else (None, None)),
            subject_at(q.start), region, region_code(region), product,
            sentence.text.strip(), sentence.start + q.start, sentence.start + q.end, q.rule,
            None if flow else russian_target_year(sentence.text),
        ))  # fmt: skip
    state.previous, state.previous_period = reading, period
    state.previous_subjects = with_names[0] if with_names else subjects
    return facts


_YEAR = re.compile(r"(?:19|20)\d\d")
RELATIVE_YEAR = re.compile(r"(?:прошл|позапрошл|текущ|этом|нынешн)\w* год")
_YEAR_SAID = re.compile(r"(?<!\d)((?:19|20)\d\d)(?:-?м|-го)?\s*(?:году|года|г\.)?(?=[\s,.;)]|$)")


def _own_period(q: Quantity, reading: Reading, published: date | None) -> Period | None:
    """A figure whose clause names its own year («в 2022-м, когда оборот составлял 1,07 млрд»),
    or a value whose stretch of text up to the next figure does («1,06 млрд рублей против 812 млн
    рублей в 2023-м»), has that period, not the sentence's. Growth keeps the sentence's: its
    comparison base names the earlier year."""
    start, end = reading.clause(q.start)
    if q.kind == "number" and len(reading.quantities) > 1:
        others = [o for o in reading.quantities if o is not q]
        begin = max([o.end for o in others if o.end <= q.start] + [start])
        stop = min([o.start for o in others if o.start >= q.end] + [end])
        stretch = reading.sentence.text[begin:stop]
        if _YEAR.search(stretch) or RELATIVE_YEAR.search(stretch.lower()):
            if found := russian_period(stretch, published, comparisons=True):
                return found
            years = [  # «против 812 млн рублей в 2023-м»; «до 2028 года» is a target
                m.group(1)
                for m in _YEAR_SAID.finditer(stretch.lower())
                if not re.search(r"(?:\bдо|\bк|\bс|после)\s*$", stretch.lower()[: m.start()])
            ]
            if len(years) == 1:
                return date(int(years[0]), 1, 1), date(int(years[0]), 12, 31)
    clause = reading.sentence.text[start:end]
    if _YEAR.search(clause) or RELATIVE_YEAR.search(clause.lower()):
        return russian_period(clause, published)
    return None


def _asks_about_markets(reading: Reading) -> bool:
    text = reading.sentence.text.rstrip()
    return text.endswith("?") and bool(MARKET_QUESTION.search(reading.lower) or reading.exporting())


def _default_subject(lower: str, state: _Article) -> str | None:
    """A sentence that says «площадки», «резидентов» speaks of the place; «компания», of the
    company; otherwise of whom the article is about."""
    place_word, company_word = GENERIC_PLACE.search(lower), GENERIC_COMPANY.search(lower)
    if (
        place_word
        and state.main_place
        and (not company_word or place_word.start() < company_word.start())
    ):
        if place_word.group(0).startswith("площадк") and state.main_site:
            return state.main_site  # «на площадке работают 104 компании»: the site
        return state.main_place
    if company_word and state.main_company:
        return state.main_company
    return state.main_subject


def _destination_facts(
    reading: Reading, article: str, period: Period | None, subject_at, used: set[int]
) -> list[Fact]:
    """One ``export_destination`` per place the sentence exports to, with its product."""
    facts = []
    lower, products = reading.lower, reading.products
    for start, end, region in reading.places:
        clause = reading.clause(start)
        if PLANNED.search(lower[max(0, clause[0] - 30) : clause[1]]):
            continue
        count = None
        for index, q in enumerate(reading.quantities):
            if q.noun in ("страна", "государство") and 0 <= start - q.end <= 2:
                count = q.value
                used.add(index)
        in_clause = [p for p in products if clause[0] <= p[0] < clause[1]]
        if not in_clause and re.match(r"\s*[—–-]\s", lower[clause[1] : clause[1] + 3]):
            following = reading.clause(clause[1] + 3)  # «в Казахстан — светильники»
            in_clause = [p for p in products if following[0] <= p[0] < following[1]]
        before = [p for p in products if p[0] < start]
        product = (in_clause[0][2] if in_clause else (before[-1][2] if before else None)) or (
            products[0][2] if len(products) == 1 else None
        )
        sentence = reading.sentence
        facts.append(Fact(
            article, "export_destination", count, None, "exact", *(period or (None, None)),
            subject_at(start), region, region_code(region), product, sentence.text.strip(),
            sentence.start + start, sentence.start + end, "destination",
        ))  # fmt: skip
    return facts


def _place_and_product(metric: str, q: Quantity, reading: Reading) -> tuple[str | None, ...]:
    """The region and product a figure is about, where the sentence ties one to it."""
    products, places = reading.products, reading.places
    if metric == "export_share" and (owner := _share_owner(q, reading)):
        return owner, _single_product(products)
    clause_start = reading.clause(q.start)[0]
    if metric == "export_share" and RELATIVE_BEFORE.search(reading.lower[clause_start : q.start]):
        before = [r for r in places if r[0] < q.start]  # «Ближний Восток — ОАЭ, куда ушло 46%»
        if before:
            return _list_head(places, before[-1]), None
    if metric in ("export_share", "export_volume"):
        after = sorted(
            [(p[0], "product", p[2]) for p in products if p[0] > q.start]
            + [(r[0], "region", r[2]) for r in places if r[0] > q.start]
        )
        if after and after[0][1] == "region":
            return after[0][2], None
        if after:
            return None, after[0][2]
        clause_start = reading.clause(q.start)[0]
        near = [r for r in places if clause_start - 40 <= r[0] < q.start]
        if metric == "export_share" and near:
            return _list_head(places, near[-1]), None  # «на Малайзию — менее 15%»
        return None, _single_product(products)
    if metric in (
        "export_growth",
        "export_countries",
        "revenue",
        "output_growth",
        "revenue_growth",
    ):
        return None, _single_product(products)
    return None, None


__all__ = ["Reading", "classify", "extract_facts"]
