"""The period a figure covers, resolved against the article's date, in Russian and English.

A flow figure (exports, revenue, growth, new residents) is about a period: a year («в 2023 году»,
"in 2023"), a relative year («в прошлом году», "last year"), a half, a quarter, the first months
of a year or a range of months. The base of a comparison («больше, чем в 2021 году», "up from
2021") is not the period. Plans name a target year («к 2030 году», "by 2030").
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from extract.facts.sentences import blank

Period = tuple[date, date]


def month_end(year: int, month: int) -> date:
    """The last day of ``month`` of ``year``."""
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


# --------------------------------------------------------------------------- Russian

MONTH_STEMS = (
    "январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр",
    "ноябр", "декабр",
)  # fmt: skip
_RU_MONTH = (
    r"(январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяе]\w*|июн\w*|июл\w*|август\w*|сентябр\w*|"
    r"октябр\w*|ноябр\w*|декабр\w*)"
)


_RU_COUNTS = {
    "один": 1, "два": 2, "двух": 2, "три": 3, "трех": 3, "четыре": 4, "четырех": 4, "пять": 5,
    "пяти": 5, "шесть": 6, "шести": 6, "семь": 7, "семи": 7, "восемь": 8, "восьми": 8,
    "девять": 9, "девяти": 9, "десять": 10, "десяти": 10, "одиннадцать": 11, "одиннадцати": 11,
}  # fmt: skip


def _month(stem: str) -> int:
    stem = stem.lower()
    if stem.startswith("ма") and not stem.startswith("март"):
        return 5
    for index, prefix in enumerate(MONTH_STEMS, start=1):
        if stem.startswith(prefix):
            return index
    raise ValueError(stem)


COMPARISON = re.compile(
    r"(?:результат|показател|уровн|по сравнению|в сравнении|чем\s|против\s|относительно|"
    r"столько же|сколько\s|"
    r"по отношению|к тому же|аналогичн|годом ранее|\bк\s+(?=(?:19|20)\d\d)|"
    r"\bк\s+(?=(?:январ|феврал|март|апрел|ма[юя]|июн|июл|август|сентябр|октябр|ноябр|декабр)))"
    r"[^,;)]*"
)


def russian_period(
    sentence: str, published: date | None, *, comparisons: bool = False
) -> Period | None:
    """The period a Russian sentence's flow figure covers, resolved against ``published``.

    The base of a comparison is not the period («в 1,4 раза больше, чем в 2021 году»), unless
    ``comparisons`` is set: the words around a base value itself («чем за январь–сентябрь
    2025-го (242 млн)») say its period."""
    text = sentence.lower().replace("ё", "е")
    text = text if comparisons else blank(COMPARISON, text)
    base_year = published.year if published else None
    explicit = [
        (m.start(), int(m.group(1)))
        for m in re.finditer(
            r"(?<!\d)((?:19|20)\d\d)(?:(?:-?м|-го)?\s*(?:году|года|год|г\.|гг)|-(?:м|го|й)\b)", text
        )
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
    months = re.search(_RU_MONTH + r"\s*[-–—]\s*" + _RU_MONTH + r"(?:\s+((?:19|20)\d\d))?", text)
    if months:
        first, last = _month(months.group(1)), _month(months.group(2))
        y = int(months.group(3)) if months.group(3) else year or base_year
        if y and first <= last:
            return date(y, first, 1), month_end(y, last)
    quarters = re.search(r"(?:за|по итогам)\s+(?:перв\w+\s+)?(два|три|2|3)\s+квартал", text)
    if quarters and (year or base_year):
        y = year or base_year
        return date(y, 1, 1), month_end(y, 3 * {"два": 2, "2": 2, "три": 3, "3": 3}[quarters[1]])
    first_months = re.search(
        r"(?:за|по итогам|в течение)\s+(?:перв\w+\s+)?(\d{1,2}|"
        + "|".join(_RU_COUNTS)
        + r")\s+месяц",
        text,
    )
    if first_months and (year or base_year):
        word = first_months.group(1)
        count = int(word) if word.isdigit() else _RU_COUNTS[word]
        y = year or base_year
        if not 1 <= count <= 12:
            return None
        return date(y, 1, 1), month_end(y, count)
    if bare_half := re.search(r"(?:за|по итогам|в)\s+(?:прошедш\w+\s+)?полугоди", text):
        if year:
            return date(year, 1, 1), date(year, 6, 30)
        if published and bare_half:  # the half-year that has ended: the first from July on
            if published.month >= 7:
                return date(published.year, 1, 1), date(published.year, 6, 30)
            return date(published.year - 1, 7, 1), date(published.year - 1, 12, 31)
    single = re.search(r"\bв\s+" + _RU_MONTH + r"(?:\s+((?:19|20)\d\d))?", text)
    if single and (single.group(2) or (not explicit and relative is None and base_year)):
        y = int(single.group(2)) if single.group(2) else base_year
        month = _month(single.group(1))
        return date(y, month, 1), month_end(y, month)
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
        return date(y, 3 * number - 2, 1), month_end(y, 3 * number)
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


def russian_target_year(sentence: str) -> int | None:
    """The year a plan aims at: «к 2030 году»."""
    match = re.search(r"(?:к|до)\s+((?:20)\d\d)\s*(?:году|года|г\.)", sentence.lower())
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- English

_EN_ABBR = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EN_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
MONTH_RANGE = re.compile(
    rf"\b(?:between\s+{_EN_MONTH}\s+and\s+{_EN_MONTH}|{_EN_MONTH}\s*(?:-|–|—|to|through|until)\s*{_EN_MONTH})"
    r"\b(?:,?\s+((?:19|20)\d\d))?",
    re.I,
)
_EN_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_EN_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COUNT_WORDS = {
    **{w: n for n, w in enumerate(_EN_UNITS, start=1)},
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
FIRST_MONTHS = re.compile(
    r"\b(?:(?:first|the|past)\s+(\w+)[\s-]months?|(\w+)[\s-]months?\s+(?:of|to|ended|in)\b|"
    r"(\w+)-month\b)",
    re.I,
)
QUARTER = re.compile(
    r"\b(?:(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter|q([1-4])|([1-4])q)\b", re.I
)
HALF = re.compile(r"\b(?:(first|second)\s+half|h([12]))\b", re.I)
YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*(?:-|–|—|to)\s*((?:19|20)\d\d)\b")
YEAR = re.compile(r"(?<![\d.,$])\b((?:19|20)\d\d)\b(?![\d%]|[.,-]\d)")
YEAR_INTRO = re.compile(
    r"(?:^|\b(?:in|for|during|throughout|of|full-year|fiscal|year|the|h[12]|q[1-4]|fy))\s*$|^\W*$",
    re.I,
)
BASE_BEFORE = re.compile(
    r"\b(?:than|compared\s+(?:with|to)|versus|vs\.?|against|relative\s+to|over|on|from|since|"
    r"by|until|till|before|same\s+period)(?:\s+(?:in|of|the|same|period|levels?|a|the\s+same"
    r"\s+period(?:\s+(?:of|in))?))*\s*$"
    r"|\bfrom\s+[\d$€₽]\S*(?:\s+\S+){0,3}\s+in\s*$",
    re.I,
)
COMPARED_BEFORE = re.compile(
    r"\b(?:compared\s+(?:with|to)|than|versus|vs\.?|against|relative\s+to)"
    r"(?:\s+(?:the|same|period|of|in))*\s*$",
    re.I,
)
RELATIVE = [
    (-2, re.compile(r"\b(?:the\s+)?year\s+before\s+last\b", re.I)),
    (-1, re.compile(r"\blast\s+year\b", re.I)),
    (0, re.compile(r"\b(?:this|the\s+current)\s+year\b|\bsince\s+the\s+(?:start|beginning)\s+of"
                   r"\s+the\s+year|\byear[\s-]to[\s-]date\b", re.I)),
]  # fmt: skip
TARGET_YEAR = re.compile(r"\bby\s+(?:the\s+end\s+of\s+)?(20\d\d)\b", re.I)


def _is_base(sentence: str, start: int) -> bool:
    """Whether the period at ``start`` is a comparison base (``than in 2021``, ``on 2022``)."""
    return bool(BASE_BEFORE.search(sentence[max(0, start - 60) : start]))


def _year(sentence: str, published: date | None) -> int | None:
    """The year a sentence's figures are for: a named year first, then a relative one."""
    for match in YEAR.finditer(sentence):
        before = sentence[max(0, match.start() - 30) : match.start()]
        if YEAR_INTRO.search(before) and not _is_base(sentence, match.start()):
            return int(match.group(1))
    if published is not None:
        for shift, pattern in RELATIVE:
            for match in pattern.finditer(sentence):
                if not _is_base(sentence, match.start()):
                    return published.year + shift
    return None


def english_period(sentence: str, published: date | None) -> Period | None:
    """The period an English sentence's flow figure covers, resolved against ``published``."""
    named = _year(sentence, published)
    year = named or (published.year if published else None)
    months = next(
        (
            m
            for m in MONTH_RANGE.finditer(sentence)
            if not COMPARED_BEFORE.search(sentence[max(0, m.start() - 40) : m.start()])
        ),
        None,
    )  # "compared to January-March 2019" is the base, not the period
    if months is not None:
        first, last, *_rest = [g for g in months.groups()[:4] if g]
        y = int(months.group(5)) if months.group(5) else year
        a, b = _EN_ABBR.index(first[:3].lower()) + 1, _EN_ABBR.index(last[:3].lower()) + 1
        if y and a <= b:
            return date(y, a, 1), month_end(y, b)
    for match in FIRST_MONTHS.finditer(sentence):
        word = next(g for g in match.groups() if g).lower()
        count = COUNT_WORDS.get(word) or (int(word) if word.isdigit() else None)
        if count and count <= 12 and year:
            return date(year, 1, 1), month_end(year, count)
    if (quarter := QUARTER.search(sentence)) is not None and year:
        token = next(g for g in quarter.groups() if g).lower()
        number = int(token[0]) if token[0].isdigit() else _EN_QUARTERS[token]
        return date(year, 3 * number - 2, 1), month_end(year, 3 * number)
    if (half := HALF.search(sentence)) is not None and year:
        first_half = (half.group(1) or "").lower() == "first" or half.group(2) == "1"
        return (date(year, 1, 1), date(year, 6, 30)) if first_half else (
            date(year, 7, 1), date(year, 12, 31))  # fmt: skip
    if (span := YEAR_RANGE.search(sentence)) is not None:
        return date(int(span.group(1)), 1, 1), date(int(span.group(2)), 12, 31)
    if named:
        return date(named, 1, 1), date(named, 12, 31)
    return None


def english_target_year(sentence: str) -> int | None:
    """The year a plan aims at: "by 2030"."""
    match = TARGET_YEAR.search(sentence)
    return int(match.group(1)) if match else None


def find_period(sentence: str, published: date | None, language: str = "ru") -> Period | None:
    """The period a sentence's flow figure covers, in the article's language ("ru" or "en")."""
    return (english_period if language == "en" else russian_period)(sentence, published)


def target_year(sentence: str, language: str = "ru") -> int | None:
    """The year a plan in the sentence aims at, if it names one."""
    return (english_target_year if language == "en" else russian_target_year)(sentence)
