"""A grammar for quantities in Russian news: the numbers of a sentence with their scale, unit,
qualifier and counted noun, and where they stand in the text.

It reads digits with decimal commas and grouped thousands («1 250», «223,3»), number words in any
case («пяти», «двух тысяч», «полторы тысячи»), scale words (тыс., млн, млрд, тысяч, миллиона,
миллиардов), units (рублей, руб., гектаров, га, кв. м, квадратных метров, м²), qualifiers (около,
порядка, более чем, свыше, не менее, почти, до), shares («каждый седьмой», «почти половина»,
«две трети», «70%»), multipliers («в 3,3 раза», «втрое», «вдвое», «+48,9%») and storey adjectives
(«семиэтажный комплекс» is one building). Dates, years, phone numbers, times, article and house
numbers are skipped. Lemmas come from pymorphy2 (the gazetteer's analyzer) over all parses.

:func:`find_quantities` is a list of rules (:data:`RULES`), each a small function that reads the
tokens from one index and says what it read and where reading goes on; a number is then followed
by the rules of :data:`AFTER_NUMBER` (percent, «раза», unit, «трети», a span of time, the counted
noun). Every rule looks at a few tokens around its own, so a sentence is read in time linear in its
length, and at most :data:`MAX_QUANTITIES` quantities are read from one sentence piece.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from razdel import tokenize

from extract.facts.model import MAX_QUANTITIES, Quantity

if TYPE_CHECKING:
    from pymorphy2 import MorphAnalyzer

CARDINALS: dict[str, float] = {
    "ноль": 0, "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7,
    "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12,
    "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16,
    "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19, "двадцать": 20, "тридцать": 30,
    "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80,
    "девяносто": 90, "сто": 100, "двести": 200, "триста": 300, "четыреста": 400,
    "пятьсот": 500, "шестьсот": 600, "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
    "полтора": 1.5, "полторы": 1.5, "оба": 2,
}  # fmt: skip
ORDINALS: dict[str, int] = {
    "второй": 2, "третий": 3, "четвёртый": 4, "четвертый": 4, "пятый": 5, "шестой": 6,
    "седьмой": 7, "восьмой": 8, "девятый": 9, "десятый": 10, "двадцатый": 20, "сотый": 100,
}  # fmt: skip
SCALES: dict[str, float] = {
    "тыс": 1e3, "тысяча": 1e3, "млн": 1e6, "миллион": 1e6, "млрд": 1e9, "миллиард": 1e9,
    "трлн": 1e12, "триллион": 1e12,
}  # fmt: skip
FRACTIONS: dict[str, float] = {"половина": 0.5, "треть": 1 / 3, "четверть": 0.25}
# Nouns that are numbers: «почти сотня предприятий», «больше сотни компаний», «полсотни».
COLLECTIVES: dict[str, float] = {"сотня": 100, "полсотня": 50, "десяток": 10, "дюжина": 12}
_COLLECTIVE_SINGULAR = re.compile(r"^(?:сотн[яюе]|сотней|полсотни|десят(?:ок|ка|ком)|дюжин[аыуе])$")
_QUALIFIER_WORD = re.compile(
    r"(?:больше|более|свыше|около|почти|порядка|примерно|менее|меньше|до|уже)\s*$"
)
ADVERB_MULTIPLIERS: dict[str, float] = {
    "вдвое": 2,
    "втрое": 3,
    "вчетверо": 4,
    "впятеро": 5,
    "вшестеро": 6,
    "вдесятеро": 10,
}
STOREY_PREFIX = re.compile(
    r"^(одно|двух|трех|трёх|четырех|четырёх|пяти|шести|семи|восьми|девяти|десяти|"
    r"двенадцати|шестнадцати|двадцати|\d+-?)этажн"
)
FUNCTION_WORDS = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "с",
        "со",
        "по",
        "до",
        "от",
        "за",
        "к",
        "ко",
        "у",
        "о",
        "об",
        "из",
        "а",
        "но",
        "или",
        "же",
        "ли",
        "не",
        "ни",
        "что",
        "как",
        "для",
        "при",
        "без",
        "под",
        "над",
    ]
)
BUILDING_NOUNS = frozenset({"корпус", "здание", "комплекс", "центр", "строение", "башня", "цех"})

# Each pattern starts a word (``(?<![\w-])``): «оборот 5 млн» is not «от 5 млн», «кредо» not «до».
QUALIFIER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("almost", re.compile(r"(?<![\w-])(?:почти|без малого|практически|едва ли не)\s*$")),
    (
        "approx",
        re.compile(
            r"(?<![\w-])(?:около|порядка|примерно|приблизительно|ориентировочно|вокруг|~)\s*$"
        ),
    ),
    (
        "over",
        re.compile(
            r"(?<![\w-])(?:более чем|более|свыше|больше|не менее чем|не менее|не меньше|превысит|"
            r"превысила|превысил|превысило|превысили|превысят|превышает|превышают|от)\s*$"
        ),
    ),
    (
        "under",
        re.compile(r"(?<![\w-])(?:менее чем|менее|меньше|не более чем|не более|не больше|до)\s*$"),
    ),
)

PHONE = re.compile(
    r"(?:\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}|\(\d{3,5}\)\s*[\d-]{5,}"
)
DATE = re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b")
MONTHS = (
    "январ", "феврал", "март", "апрел", "мая", "май", "мае", "июн", "июл", "август", "сентябр",
    "октябр", "ноябр", "декабр",
)  # fmt: skip
NUMBERED = re.compile(  # starts a word: «доходом 12 млн» is not «дом 12»
    r"(?<![\w-])(?:№|ст\.|ч\.|п\.|д\.|дом|стр\.|корп\.|к\.|тел\.|офис|кабинет|ул\.|улица|проезд|переулок|"
    r"пер\.|шоссе|проспект|пр-т|квартал|мкр\.?|серии|модел\w*|версии)\s*$"
)


_GROUP = re.compile(r"\d{3}(?:,\d+)?")  # «250», «250,5»: a group of thousands, maybe the last
_GROUPED = re.compile(r"\d{1,3}(?:[\s\u00a0\u202f\u2009]\d{3})*")  # «1», «1 250»: takes a group
_GLUE = frozenset(" \u00a0\u202f\u2009")  # the one space between groups
_NTH = re.compile(r"(\d+)-?(?:й|я|е|го|ый|ая|ое)")  # «10-й»
_EVERY = frozenset({"каждый"})
_THIRDS = frozenset({"треть", "трети", "третью", "третей", "третям"})  # not «третий», «третьего»
_LONE_SCALES = frozenset({"тысяча", "миллион", "миллиард"})
_SCALE_ABBREVIATIONS = ("тыс", "млн", "млрд", "трлн")
_PERCENT_WORDS = ("процент", "процента", "процентов")
_TIMES_WORDS = ("раз", "раза")
_SPANS_OF_TIME = frozenset(
    {"год", "г", "час", "минута", "день", "неделя", "месяц", "квартал", "полугодие", "лет", "раз"}
)


@dataclass(frozen=True, slots=True)
class _Token:
    """A token of a sentence and where it stands."""

    text: str
    start: int
    stop: int
    lower: str  # lower case, «ё» as «е»


def _token(sentence: str, start: int, stop: int) -> _Token:
    """The token of ``sentence[start:stop]``."""
    text = sentence[start:stop]
    return _Token(text, start, stop, text.lower().replace("ё", "е"))


def _tokens(sentence: str) -> list[_Token]:
    """razdel's tokens; groups of three digits glued to a number by one space are one token
    («1 250», «1 200 000», «1 250,5»: the last group may carry the decimals).

    A growing number remembers whether it can take another group, so each token is looked at
    once and a long run of glued groups costs linear time.
    """
    spans: list[tuple[int, int]] = []
    takes_group = False  # the last span is a number that a further group joins
    for token in tokenize(sentence):
        if (
            takes_group
            and token.start - spans[-1][1] == 1
            and sentence[spans[-1][1]] in _GLUE
            and _GROUP.fullmatch(token.text)
        ):
            spans[-1] = (spans[-1][0], token.stop)
            takes_group = "," not in token.text
            continue
        spans.append((token.start, token.stop))
        takes_group = _GROUPED.fullmatch(token.text) is not None
    return [_token(sentence, start, stop) for start, stop in spans]


def _skipped(sentence: str, tokens: list[_Token]) -> list[bool]:
    """Which tokens start inside a phone number, a date or a time: one pass, in order."""
    spans = sorted(m.span() for pattern in (PHONE, DATE) for m in pattern.finditer(sentence))
    flags: list[bool] = []
    k, reach = 0, -1  # spans[:k] start at or before the token; reach is their furthest end
    for token in tokens:
        while k < len(spans) and spans[k][0] <= token.start:
            reach = max(reach, spans[k][1])
            k += 1
        flags.append(token.start < reach)
    return flags


@dataclass(frozen=True)
class _Text:
    """A sentence being read: its tokens, and which of them are in a phone number or a date."""

    sentence: str
    tokens: list[_Token]
    skipped: list[bool]

    @classmethod
    def of(cls, sentence: str) -> _Text:
        """``sentence`` cut into tokens."""
        tokens = _tokens(sentence)
        return cls(sentence, tokens, _skipped(sentence, tokens))

    def lower(self, i: int) -> str | None:
        """Token ``i`` in lower case, None past the end."""
        return self.tokens[i].lower if i < len(self.tokens) else None


def _morph() -> MorphAnalyzer:
    """The process's one pymorphy2 analyzer, the gazetteer's (each analyzer loads the
    dictionaries anew, ~0.3 s)."""
    from extract.facts.places import _morph as shared

    return shared()


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> tuple[tuple[str, str], ...]:
    """Every (lemma, part of speech) pymorphy2 sees for ``word`` (not just the first parse)."""
    return tuple(
        (p.normal_form.replace("ё", "е"), p.tag.POS or "") for p in _morph().parse(word.lower())
    )


def _has_lemma(word: str, table: Collection[str]) -> str | None:
    """The first lemma of ``word`` that is in ``table``."""
    for lemma, _ in lemmas(word):
        if lemma in table:
            return lemma
    return None


def _pos(word: str) -> set[str]:
    """The parts of speech of ``word``'s parses."""
    return {pos for _, pos in lemmas(word)}


def _parse_digits(text: str) -> float | None:
    """«1 250,5» -> 1250.5; None if ``text`` is not a number in digits."""
    cleaned = re.sub(r"[\s\u00a0\u202f\u2009]", "", text)
    if re.fullmatch(r"\d+(?:[.,]\d+)?", cleaned):
        return float(cleaned.replace(",", "."))
    return None


def _qualifier(sentence: str, start: int) -> tuple[str, str | None]:
    """The qualifier written before ``start``, and the preposition right before the number."""
    before = sentence[max(0, start - 40) : start].lower().replace("ё", "е")
    before = re.sub(r"[«\"“„(]+\s*$", "", before)
    preposition = None
    match = re.search(r"(?:^|\s)(в|на|до|от|с|из|по|за|к)\s+$", before)
    stripped = before
    if match:
        preposition = match.group(1)
        stripped = before[: match.start() + (1 if match.group(0)[0].isspace() else 0)]
    for name, pattern in QUALIFIER_PATTERNS:
        if pattern.search(before) and not (name == "over" and before.rstrip().endswith(" от")):
            return name, preposition
        if stripped is not before and pattern.search(stripped):
            return name, preposition
    if preposition == "от" and re.search(r"\bот\s+$", before):
        return "over", preposition
    return "exact", preposition


_UNIT_WORDS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"^(?:рубл\w*|руб\.?|₽)"), "RUB", 1.0),
    (re.compile(r"^(?:доллар\w*|долл\.?|\$)"), "USD", 1.0),
    (re.compile(r"^(?:евро|€)$"), "EUR", 1.0),
    (re.compile(r"^(?:юан\w*)"), "CNY", 1.0),
    (re.compile(r"^(?:гектар\w*|га)$"), "ha", 1.0),
    (re.compile(r"^(?:м²|м2|кв\.?м\.?)$"), "m2", 1.0),
)


def _unit_after(tokens: list[_Token], i: int) -> tuple[str | None, float, int]:
    """Unit starting at token ``i``: (unit, factor to apply, index after the unit)."""
    if i >= len(tokens):
        return None, 1.0, i
    word = tokens[i].lower
    following = [t.lower for t in tokens[i + 1 : i + 4]]
    # кв. м / кв. метров / квадратных метров / кв. км / квадратных километров
    if word in ("кв", "квадратный", "квадратных", "квадратного", "квадратными") or word.startswith(
        "квадратн"
    ):
        rest = [w for w in following if w != "."]
        if rest and re.match(r"^(?:м|метр\w*|м\.)$", rest[0]):
            return "m2", 1.0, _advance(tokens, i, rest[0])
        if rest and re.match(r"^(?:км|километр\w*)$", rest[0]):
            return "km2", 1.0, _advance(tokens, i, rest[0])
    for pattern, unit, factor in _UNIT_WORDS:
        if pattern.match(word):
            nxt = i + 1
            if nxt < len(tokens) and tokens[nxt].text == "." and word in ("руб", "долл"):
                nxt += 1
            if unit == "USD" and nxt < len(tokens) and tokens[nxt].lower == "сша":
                nxt += 1
            return unit, factor, nxt
    return None, 1.0, i


def _advance(tokens: list[_Token], i: int, last: str) -> int:
    """The index after the first token past ``i`` that reads ``last``."""
    j = i + 1
    while j < len(tokens) and tokens[j].lower != last:
        j += 1
    return j + 1


def _noun_after(tokens: list[_Token], i: int) -> tuple[str | None, tuple[str, ...], int]:
    """The counted noun after token ``i``: skips up to three adjectives or participles."""
    words: list[str] = []
    j = i
    while j < len(tokens) and j < i + 5:
        token = tokens[j]
        if not re.match(r"^[а-яёa-z-]+$", token.lower):
            break
        parses = lemmas(token.text)
        pos = {p for _, p in parses}
        if token.lower in FUNCTION_WORDS or (
            pos & {"PREP", "CONJ", "PRCL", "NPRO", "INTJ"} and "NOUN" not in pos
        ):
            break
        if "NOUN" in pos and not pos & {"ADJF", "PRTF"}:
            lemma = _compound_head(next(lemma for lemma, p in parses if p == "NOUN"))
            words.append(lemma)
            return lemma, tuple(words), j + 1
        if pos & {"ADJF", "PRTF", "NUMR"} or "-" in token.lower:
            words.append(parses[0][0] if parses else token.lower)
            j += 1
            continue
        if "NOUN" in pos:
            lemma = _compound_head(next(lemma for lemma, p in parses if p == "NOUN"))
            words.append(lemma)
            return lemma, tuple(words), j + 1
        break
    return None, tuple(words), i


def _compound_head(lemma: str) -> str:
    """«компания-резидент» counts residents; «компания-экспортер» counts companies."""
    if "-" not in lemma:
        return lemma
    first, *_, last = lemma.split("-")
    return last if last == "резидент" else first


def _word_number(tokens: list[_Token], i: int) -> tuple[float, int] | None:
    """A number written in words from token ``i``: («двух тысяч», «полторы тысячи»)."""
    total, current, j = 0.0, 0.0, i
    seen = False
    while j < len(tokens):
        word = tokens[j].lower
        if not re.match(r"^[а-я]+$", word):
            break
        cardinal = _has_lemma(word, CARDINALS)
        scale = _has_lemma(word, SCALES)
        spelled_out = "NUMR" in _pos(word) or cardinal in ("полтора", "полторы", "один", "оба")
        if cardinal is not None and spelled_out:
            current += CARDINALS[cardinal]
            seen = True
            j += 1
            continue
        if scale is not None and seen:
            total += (current or 1) * SCALES[scale]
            current = 0
            j += 1
            continue
        break
    if not seen:
        return None
    return total + current, j


def _collective(tokens: list[_Token], i: int, sentence: str) -> float | None:
    """«сотня», «больше сотни», «полсотни»: a noun that is a round number. A plural («сотни
    компаний», hundreds of them) counts only after a qualifier («более сотни»)."""
    word = tokens[i].lower
    lemma = "полсотня" if word == "полсотни" else _has_lemma(word, COLLECTIVES)
    if lemma is None:
        return None
    before = sentence[max(0, tokens[i].start - 12) : tokens[i].start].lower()
    if _COLLECTIVE_SINGULAR.match(word) or _QUALIFIER_WORD.search(before):
        return COLLECTIVES[lemma]
    return None


# Matched at the position after «р» (not on a slice of the rest of the sentence, which would cost
# the sentence's length per number); case-insensitive as the lower-cased slice was.
_COMPARATIVE_AFTER = re.compile(
    r"\.?\s*(?:$|больше|меньше|выше|ниже|превыш|по сравнению|чем|против)", re.IGNORECASE
)


def _times_abbreviation(sentence: str, tokens: list[_Token], j: int) -> bool:
    """«в 3,2 р. больше»: «р.» is «раза» after «в» and before a comparison (else roubles)."""
    before = sentence[max(0, tokens[j - 1].start - 3) : tokens[j - 1].start].lower()
    return bool(re.search(r"(?:^|\s)в\s+$", before)) and bool(
        _COMPARATIVE_AFTER.match(sentence, tokens[j].stop)
    )


@lru_cache(maxsize=10_000)
def _singular(word: str) -> bool:
    """Whether some parse of ``word`` is singular («миллиона», not «миллионы»)."""
    return any("sing" in str(p.tag) for p in _morph().parse(word.lower()))


def _is_year_or_date(tokens: list[_Token], i: int, value: float) -> bool:
    """Token ``i`` is a year («2019», «1998 г.»), a day of a month («12 февраля») or an ordinal."""
    token = tokens[i]
    following = tokens[i + 1].lower if i + 1 < len(tokens) else ""
    if re.fullmatch(r"(19|20)\d\d", token.text):
        return True  # a year, however it is followed
    if re.fullmatch(r"\d{1,2}", token.text) and following.startswith(MONTHS):
        return True
    if re.fullmatch(r"\d+-(?:й|я|е|го|м|х|ми)", token.text.lower()):
        return True  # ordinals: «2-й этап», «90-х»
    return following in ("г", "гг") and value > 1900


def _make(
    start: int, end: int, value: float, kind: str, rule: str, *, unit: str | None = None,
    noun: str | None = None, words: tuple[str, ...] = (),
) -> Quantity:  # fmt: skip
    """A quantity before its qualifier and preposition are read (:func:`_qualified`)."""
    return Quantity(start, end, float(value), kind, unit, "exact", noun, words, None, rule)


def _qualified(sentence: str, quantity: Quantity) -> Quantity:
    """``quantity`` with the qualifier and preposition written before it."""
    qualifier, preposition = _qualifier(sentence, quantity.start)
    return Quantity(
        quantity.start, quantity.end, quantity.value, quantity.kind, quantity.unit, qualifier,
        quantity.noun, quantity.noun_words, preposition, quantity.rule,
    )  # fmt: skip


# --------------------------------------------------------------------------- the rules

Step = tuple[Quantity | None, int]
"""What a rule read: the quantity (None: the tokens are read and are no quantity) and the index
of the token where reading goes on."""
Rule = Callable[[_Text, int], Step | None]
"""A rule reads from token ``i`` of a sentence, or returns None when it does not apply there."""


def _in_phone_or_date(text: _Text, i: int) -> Step | None:
    """A token inside a phone number, a date or a time («+7 (495) 123-45-67», «05.12.2025»,
    «9:00») is read and dropped."""
    return (None, i + 1) if text.skipped[i] else None


def _signed_percent(text: _Text, i: int) -> Step | None:
    """«+48,9%»: growth written with a sign, the multiplier 1.489."""
    tokens = text.tokens
    if tokens[i].lower != "+" or i + 2 >= len(tokens) or tokens[i + 2].text != "%":
        return None
    number = _parse_digits(tokens[i + 1].text)
    if number is None:
        return None
    end = tokens[i + 2].stop
    return _make(tokens[i].start, end, 1 + number / 100, "multiplier", "plus_percent"), i + 3


def _adverb_multiplier(text: _Text, i: int) -> Step | None:
    """«вдвое», «втрое»: a multiplier in one word."""
    token = text.tokens[i]
    if token.lower not in ADVERB_MULTIPLIERS:
        return None
    value = ADVERB_MULTIPLIERS[token.lower]
    return _make(token.start, token.stop, value, "multiplier", "adverb_multiplier"), i + 1


def _storey_building(text: _Text, i: int) -> Step | None:
    """«семиэтажный комплекс»: one building; the storeys are not counted."""
    token = text.tokens[i]
    if not STOREY_PREFIX.match(token.lower):
        return None
    noun, words, k = _noun_after(text.tokens, i + 1)
    if noun not in BUILDING_NOUNS:
        return None
    end = text.tokens[k - 1].stop
    return _make(token.start, end, 1, "number", "storeys", noun=noun, words=words), k


def _every_nth(text: _Text, i: int) -> Step | None:
    """«каждый седьмой резидент», «каждый 10-й»: the share 1/7, 1/10 of what follows."""
    tokens = text.tokens
    if not _has_lemma(tokens[i].lower, _EVERY) or i + 1 >= len(tokens):
        return None
    nth = tokens[i + 1]
    ordinal = _has_lemma(nth.lower, ORDINALS)
    digits = _NTH.fullmatch(nth.lower)
    denominator = ORDINALS[ordinal] if ordinal else (int(digits.group(1)) if digits else None)
    if not denominator:
        return None
    noun, words, k = _noun_after(tokens, i + 2)
    end = tokens[k - 1].stop if k > i + 2 else nth.stop
    share = _make(
        tokens[i].start, end, 1 / denominator, "share", "every_nth", noun=noun, words=words
    )
    return share, max(k, i + 2)


def _fraction(text: _Text, i: int) -> Step | None:
    """«половина», «треть», «четверть» (not the ordinal «третий»), with the noun that follows."""
    token = text.tokens[i]
    fraction = _has_lemma(token.lower, FRACTIONS)
    if fraction == "треть" and token.lower not in _THIRDS:
        return None
    if fraction is None:
        return None
    noun, words, _ = _noun_after(text.tokens, i + 1)
    value = FRACTIONS[fraction]
    return _make(token.start, token.stop, value, "share", "fraction", noun=noun, words=words), i + 1


def _digits(text: _Text, i: int) -> Step | None:
    """A number in digits («1 250», «223,3»), then :func:`_after_number`. A year, a date, an
    ordinal («2-й») or a house, article or model number is read and dropped."""
    token = text.tokens[i]
    value = _parse_digits(token.text)
    if value is None:
        return None
    numbered = NUMBERED.search(text.sentence[max(0, token.start - 8) : token.start])
    if _is_year_or_date(text.tokens, i, value) or numbered:
        return None, i + 1
    return _after_number(text, i, i + 1, value, "digits")


def _number_words(text: _Text, i: int) -> Step | None:
    """A number in words («двух тысяч», «полторы»), a collective noun («более сотни») or a
    singular scale word alone («более миллиона»), then :func:`_after_number`. «одна из», «один
    и» are no quantity; «тринадцать из них» is counted by what follows."""
    tokens = text.tokens
    spelled = _word_number(tokens, i)
    if spelled is None and (collective := _collective(tokens, i, text.sentence)) is not None:
        spelled = (collective, i + 1)
    word = tokens[i].lower
    if spelled is None and _has_lemma(word, _LONE_SCALES) and _singular(word):
        spelled = (1.0, i)  # «тысяча компаний»: the scale word, read next, is the number
    if spelled is None:
        return None
    value, j = spelled
    if value == 1 and text.lower(j) in ("из", "и"):
        return None, j
    if text.lower(j) == "из" and text.lower(j + 1) in ("них", "которых"):
        return _make(tokens[i].start, tokens[j + 1].stop, value, "number", "words_of_them"), j + 2
    return _after_number(text, i, j, value, "words")


@dataclass
class _Number:
    """A number read from token ``first`` up to token ``next`` (its scale included), for the
    rules of :data:`AFTER_NUMBER` to read what follows it."""

    text: _Text
    first: int
    next: int
    value: float
    end: int  # where the number (with its scale) ends in the sentence
    rule: str  # "digits" or "words"

    @property
    def start(self) -> int:
        """Where the number starts in the sentence."""
        return self.text.tokens[self.first].start

    @cached_property
    def noun(self) -> tuple[str | None, tuple[str, ...], int]:
        """The counted noun after the number (:func:`_noun_after`)."""
        return _noun_after(self.text.tokens, self.next)


def _scaled(text: _Text, i: int, j: int, value: float, rule: str) -> _Number:
    """The number of tokens ``i`` to ``j`` with the scale word after it: тыс. / млн / миллиарда.

    «тыс.» owns its period; after «млн» a period that ends the sentence is the sentence's
    («составил 5 млн.»), one followed by more text is the abbreviation's.
    """
    tokens = text.tokens
    end = tokens[j - 1].stop
    if j < len(tokens) and (scale := _has_lemma(tokens[j].lower, SCALES)) is not None:
        value *= SCALES[scale]
        end = tokens[j].stop
        j += 1
        abbreviation = tokens[j - 1].lower
        if (
            j < len(tokens)
            and tokens[j].text == "."
            and abbreviation in _SCALE_ABBREVIATIONS
            and (
                abbreviation == "тыс"
                or (j + 1 < len(tokens) and not tokens[j + 1].text[:1].isupper())
            )
        ):
            end = tokens[j].stop
            j += 1
    return _Number(text, i, j, value, end, rule)


def _percent(number: _Number) -> Step | None:
    """«70%», «пять процентов»."""
    j, tokens = number.next, number.text.tokens
    if j >= len(tokens) or (tokens[j].text != "%" and tokens[j].lower not in _PERCENT_WORDS):
        return None
    percent = _make(number.start, tokens[j].stop, number.value, "percent", number.rule + "_percent")
    return percent, j + 1


def _times(number: _Number) -> Step | None:
    """«в 3,3 раза», «в 3,2 р. больше»: a multiplier."""
    j, text = number.next, number.text
    word = text.lower(j)
    if word not in _TIMES_WORDS and not (
        word == "р" and _times_abbreviation(text.sentence, text.tokens, j)
    ):
        return None
    end = text.tokens[j].stop
    return _make(number.start, end, number.value, "multiplier", number.rule + "_times"), j + 1


def _unit(number: _Number) -> Step | None:
    """«5 млн рублей», «223,3 гектара», «12 000 кв. м»: money or an area."""
    tokens = number.text.tokens
    unit, factor, k = _unit_after(tokens, number.next)
    if unit is None:
        return None
    value, end = number.value * factor, tokens[k - 1].stop
    return _make(number.start, end, value, "number", number.rule + "_unit", unit=unit), k


def _fraction_of(number: _Number) -> Step | None:
    """«две трети экспорта»: a number of thirds or quarters is a share of what follows."""
    noun, _, k = number.noun
    if noun not in FRACTIONS:
        return None
    counted, words, _ = _noun_after(number.text.tokens, k)
    value = number.value * FRACTIONS[noun]
    end = number.text.tokens[k - 1].stop
    return _make(number.start, end, value, "share", "fraction", noun=counted, words=words), k


def _span_of_time(number: _Number) -> Step | None:
    """«5 лет», «3 часа», «10 раз»: a span of time (or a count of times) is no quantity."""
    noun, _, k = number.noun
    return (None, k) if noun is not None and noun in _SPANS_OF_TIME else None


def _bare_number_word(number: _Number) -> Step | None:
    """A number word with no noun after it («их было пять») is no quantity."""
    return (None, number.next) if number.noun[0] is None and number.rule == "words" else None


def _counted(number: _Number) -> Step:
    """The number with the noun it counts («180 компаний»), or alone («превышает 240»)."""
    noun, words, k = number.noun
    end = number.text.tokens[k - 1].stop if noun is not None else number.end
    rule = number.rule + ("_noun" if noun else "")
    counted = _make(number.start, end, number.value, "number", rule, noun=noun, words=words)
    return counted, max(k, number.next)


AFTER_NUMBER: tuple[Callable[[_Number], Step | None], ...] = (
    _percent,
    _times,
    _unit,
    _fraction_of,
    _span_of_time,
    _bare_number_word,
    _counted,
)
"""What may follow a number, tried in order; :func:`_counted`, the last, always reads."""


def _after_number(text: _Text, i: int, j: int, value: float, rule: str) -> Step:
    """The number of tokens ``i`` to ``j`` with its scale, read by the first of
    :data:`AFTER_NUMBER` that reads what follows it."""
    number = _scaled(text, i, j, value, rule)
    return next(step for read in AFTER_NUMBER if (step := read(number)) is not None)


RULES: tuple[Rule, ...] = (
    _in_phone_or_date,
    _signed_percent,
    _adverb_multiplier,
    _storey_building,
    _every_nth,
    _fraction,
    _digits,
    _number_words,
)
"""The rules, tried in order at each token; a token no rule reads is passed over."""


def find_quantities(sentence: str) -> list[Quantity]:
    """Every quantity in ``sentence``, left to right (at most :data:`MAX_QUANTITIES`)."""
    text = _Text.of(sentence)
    found: list[Quantity] = []
    i = 0
    while i < len(text.tokens) and len(found) < MAX_QUANTITIES:
        step = next((step for rule in RULES if (step := rule(text, i)) is not None), None)
        if step is None:
            i += 1
            continue
        quantity, following = step
        if quantity is not None:
            found.append(quantity)
        i = max(following, i + 1)
    return [_qualified(sentence, q) for q in found]
