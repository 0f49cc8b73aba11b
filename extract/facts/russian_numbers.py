"""A grammar for quantities in Russian news: the numbers of a sentence with their scale, unit,
qualifier and counted noun, and where they stand in the text.

It reads digits with decimal commas and grouped thousands («1 250», «223,3»), number words in any
case («пяти», «двух тысяч», «полторы тысячи»), scale words (тыс., млн, млрд, тысяч, миллиона,
миллиардов), units (рублей, руб., гектаров, га, кв. м, квадратных метров, м²), qualifiers (около,
порядка, более чем, свыше, не менее, почти, до), shares («каждый седьмой», «почти половина»,
«две трети», «70%»), multipliers («в 3,3 раза», «втрое», «вдвое», «+48,9%») and storey adjectives
(«семиэтажный комплекс» is one building). Dates, years, phone numbers, times, article and house
numbers are skipped. Lemmas come from natasha's morphology (pymorphy2) over all parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from razdel import tokenize

from extract.facts.model import Quantity

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
        re.compile(r"(?<![\w-])(?:около|порядка|примерно|приблизительно|ориентировочно|~)\s*$"),
    ),
    (
        "over",
        re.compile(
            r"(?<![\w-])(?:более чем|более|свыше|больше|не менее чем|не менее|не меньше|превысит|"
            r"превысила|превысил|превысило|превысили|превышает|превышают|от)\s*$"
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


@dataclass
class _Token:
    text: str
    start: int
    stop: int

    @property
    def lower(self) -> str:
        return self.text.lower().replace("ё", "е")


@lru_cache(maxsize=1)
def _morph():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from natasha import MorphVocab

        return MorphVocab()


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> tuple[tuple[str, str], ...]:
    """Every (lemma, part of speech) pymorphy2 sees for ``word`` (not just the first parse)."""
    return tuple(
        (p.normal_form.replace("ё", "е"), p.tag.POS or "") for p in _morph().parse(word.lower())
    )


def _has_lemma(word: str, table: dict) -> str | None:
    for lemma, _ in lemmas(word):
        if lemma in table:
            return lemma
    return None


def _pos(word: str) -> set[str]:
    return {pos for _, pos in lemmas(word)}


def _tokens(sentence: str) -> list[_Token]:
    tokens = [_Token(t.text, t.start, t.stop) for t in tokenize(sentence)]
    merged: list[_Token] = []
    for token in tokens:
        previous = merged[-1] if merged else None
        # "1 250", "1 200 000", "1 250,5": a group of three digits (the last one may carry the
        # decimals) glued to a number by one space.
        if (
            previous is not None
            and re.fullmatch(r"\d{3}(?:,\d+)?", token.text)
            and re.fullmatch(r"\d{1,3}(?:[\s\u00a0\u202f\u2009]\d{3})*", previous.text)
            and sentence[previous.stop : token.start] in (" ", "\u00a0", "\u202f", "\u2009")
        ):
            merged[-1] = _Token(sentence[previous.start : token.stop], previous.start, token.stop)
            continue
        merged.append(token)
    return merged


def _parse_digits(text: str) -> float | None:
    cleaned = re.sub(r"[\s\u00a0\u202f\u2009]", "", text)
    if re.fullmatch(r"\d+(?:[.,]\d+)?", cleaned):
        return float(cleaned.replace(",", "."))
    return None


def _skip_spans(sentence: str) -> list[tuple[int, int]]:
    return [m.span() for pattern in (PHONE, DATE) for m in pattern.finditer(sentence)]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


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


_COMPARATIVE_AFTER = re.compile(
    r"^\.?\s*(?:$|больше|меньше|выше|ниже|превыш|по сравнению|чем|против)"
)


def _times_abbreviation(sentence: str, tokens: list[_Token], j: int) -> bool:
    """«в 3,2 р. больше»: «р.» is «раза» after «в» and before a comparison (else roubles)."""
    before = sentence[max(0, tokens[j - 1].start - 3) : tokens[j - 1].start].lower()
    return bool(re.search(r"(?:^|\s)в\s+$", before)) and bool(
        _COMPARATIVE_AFTER.match(sentence[tokens[j].stop :].lower())
    )


def _singular(word: str) -> bool:
    return any("sing" in str(p.tag) for p in _morph().parse(word.lower()))


def find_quantities(sentence: str) -> list[Quantity]:
    """Every quantity in ``sentence``, left to right."""
    tokens = _tokens(sentence)
    skip = _skip_spans(sentence)
    found: list[Quantity] = []
    i = 0
    n = len(tokens)
    while i < n:
        token = tokens[i]
        word = token.lower
        start = token.start
        value: float | None = None
        rule = ""
        j = i + 1

        if _inside(start, skip):
            i += 1
            continue

        # «+48,9%» growth written with a sign
        if word == "+" and i + 2 < n and tokens[i + 2].text == "%":
            number = _parse_digits(tokens[i + 1].text)
            if number is not None:
                found.append(
                    _make(
                        sentence,
                        start,
                        tokens[i + 2].stop,
                        1 + number / 100,
                        "multiplier",
                        None,
                        None,
                        (),
                        "plus_percent",
                    )
                )
                i += 3
                continue

        # вдвое, втрое
        if word in ADVERB_MULTIPLIERS:
            found.append(
                _make(
                    sentence,
                    start,
                    token.stop,
                    ADVERB_MULTIPLIERS[word],
                    "multiplier",
                    None,
                    None,
                    (),
                    "adverb_multiplier",
                )
            )
            i += 1
            continue

        # «семиэтажный комплекс»: one building
        if STOREY_PREFIX.match(word):
            noun, words, k = _noun_after(tokens, i + 1)
            if noun in BUILDING_NOUNS:
                found.append(
                    _make(
                        sentence,
                        start,
                        tokens[k - 1].stop,
                        1,
                        "number",
                        None,
                        noun,
                        words,
                        "storeys",
                    )
                )
                i = k
                continue

        # «каждый седьмой резидент», «каждый 10-й»
        if _has_lemma(word, {"каждый": 1}) and i + 1 < n:
            nxt = tokens[i + 1]
            ordinal = _has_lemma(nxt.lower, ORDINALS)
            digits = re.fullmatch(r"(\d+)-?(?:й|я|е|го|ый|ая|ое)", nxt.lower)
            denominator = (
                ORDINALS[ordinal] if ordinal else (int(digits.group(1)) if digits else None)
            )
            if denominator:
                noun, words, k = _noun_after(tokens, i + 2)
                end = tokens[k - 1].stop if k > i + 2 else nxt.stop
                found.append(
                    _make(
                        sentence,
                        start,
                        end,
                        1 / denominator,
                        "share",
                        None,
                        noun,
                        words,
                        "every_nth",
                    )
                )
                i = max(k, i + 2)
                continue

        # «половина», «треть», «две трети», «четверть»
        fraction = _has_lemma(word, FRACTIONS)
        if fraction == "треть" and word not in ("треть", "трети", "третью", "третей", "третям"):
            fraction = None  # «третий», «третьего» are ordinals
        if fraction is not None:
            noun, words, k = _noun_after(tokens, i + 1)
            found.append(
                _make(sentence, start, token.stop, FRACTIONS[fraction], "share", None, noun,
                      words, "fraction")
            )  # fmt: skip
            i += 1
            continue

        digits_value = _parse_digits(token.text)
        if digits_value is not None:
            if _is_year_or_date(tokens, i, digits_value) or NUMBERED.search(
                sentence[max(0, start - 8) : start]
            ):
                i += 1
                continue
            value, rule = digits_value, "digits"
        else:
            spelled = _word_number(tokens, i)
            if spelled is None and (collective := _collective(tokens, i, sentence)) is not None:
                spelled = (collective, i + 1)
            lone_scale = _has_lemma(word, {"тысяча": 1, "миллион": 1, "миллиард": 1})
            if spelled is None and lone_scale and _singular(word):
                # «более миллиона рублей», «тысяча компаний»: the scale word is the number
                spelled = (1.0, i)
            if spelled is not None:
                value, j = spelled
                rule = "words"
                if value == 1 and j < n and tokens[j].lower in ("из", "и"):
                    i = j
                    continue
                if (
                    j + 1 < n
                    and tokens[j].lower == "из"
                    and tokens[j + 1].lower in ("них", "которых")
                ):
                    end = tokens[j + 1].stop  # «тринадцать из них»: counted by what follows
                    found.append(
                        _make(
                            sentence, start, end, value, "number", None, None, (), "words_of_them"
                        )
                    )
                    i = j + 2
                    continue

        if value is None:
            i += 1
            continue

        end = tokens[j - 1].stop
        # scale: тыс. / млн / миллиарда
        if j < n and (scale := _has_lemma(tokens[j].lower, SCALES)) is not None:
            value *= SCALES[scale]
            end = tokens[j].stop
            j += 1
            if (
                j < n
                and tokens[j].text == "."
                and tokens[j - 1].lower in ("тыс", "млн", "млрд", "трлн")
                # «тыс.» owns its period; after «млн» a period that ends the sentence is the
                # sentence's («составил 5 млн.»), one followed by more text is the abbreviation's.
                and (
                    tokens[j - 1].lower == "тыс"
                    or (j + 1 < n and not tokens[j + 1].text[:1].isupper())
                )
            ):
                end = tokens[j].stop
                j += 1
        # percent
        if (j < n and tokens[j].text == "%") or (
            j < n and tokens[j].lower in ("процент", "процента", "процентов")
        ):
            end = tokens[j].stop
            found.append(
                _make(sentence, start, end, value, "percent", None, None, (), rule + "_percent")
            )
            i = j + 1
            continue
        # «в 3,3 раза»
        if j < n and (
            tokens[j].lower in ("раз", "раза")
            or (tokens[j].lower == "р" and _times_abbreviation(sentence, tokens, j))
        ):
            found.append(
                _make(
                    sentence,
                    start,
                    tokens[j].stop,
                    value,
                    "multiplier",
                    None,
                    None,
                    (),
                    rule + "_times",
                )
            )
            i = j + 1
            continue
        unit, factor, k = _unit_after(tokens, j)
        if unit is not None:
            value *= factor
            found.append(
                _make(
                    sentence,
                    start,
                    tokens[k - 1].stop,
                    value,
                    "number",
                    unit,
                    None,
                    (),
                    rule + "_unit",
                )
            )
            i = k
            continue
        noun, words, k = _noun_after(tokens, j)
        if noun in FRACTIONS:  # «две трети экспорта»
            counted, counted_words, _ = _noun_after(tokens, k)
            found.append(
                _make(sentence, start, tokens[k - 1].stop, value * FRACTIONS[noun], "share", None,
                      counted, counted_words, "fraction")
            )  # fmt: skip
            i = k
            continue
        if noun is not None and noun in (
            "год",
            "г",
            "час",
            "минута",
            "день",
            "неделя",
            "месяц",
            "лет",
            "раз",
        ):
            i = k
            continue
        if noun is None and rule == "words":
            i = j  # a bare number word («одна из них») is not a quantity
            continue
        end = tokens[k - 1].stop if noun is not None else end
        found.append(
            _make(
                sentence,
                start,
                end,
                value,
                "number",
                None,
                noun,
                words,
                rule + ("_noun" if noun else ""),
            )
        )
        i = max(k, j)
    return [_qualified(sentence, q) for q in found]


def _is_year_or_date(tokens: list[_Token], i: int, value: float) -> bool:
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
    sentence: str, start: int, end: int, value: float, kind: str, unit: str | None,
    noun: str | None, words: tuple[str, ...], rule: str,
) -> Quantity:  # fmt: skip
    return Quantity(start, end, float(value), kind, unit, "exact", noun, words, None, rule)


def _qualified(sentence: str, quantity: Quantity) -> Quantity:
    qualifier, preposition = _qualifier(sentence, quantity.start)
    return Quantity(
        quantity.start, quantity.end, quantity.value, quantity.kind, quantity.unit, qualifier,
        quantity.noun, quantity.noun_words, preposition, quantity.rule,
    )  # fmt: skip
