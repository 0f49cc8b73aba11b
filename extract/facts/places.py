"""A gazetteer of countries, world regions and blocs named in Russian or English text.

Names come from CLDR through Babel (``Locale("ru").territories``, ``Locale("en").territories``):
every country by its ISO 3166-1 alpha-2 code and the UN M49 world regions. A short hand list adds
what CLDR lacks (blocs such as ЕАЭС or БРИКС, informal regions such as Ближний Восток) and the
names Russian news writes where CLDR's differ («США», not «Соединенные Штаты»). pymorphy2
declines each Russian name into every case, so «в Южной Корее» and «странами Латинской
Америки» are found; relational adjectives («китайских партнёров», "European buyers") name their
place too. The tables are built once and kept in a cache file that `make install` writes (keyed by
this module's source and the libraries' versions, so an edit rebuilds it); :func:`find_places`
then scans the text once, looking each word up in a dict, so its time grows linearly with the
text.

    >>> [(m.place.name, m.place.code) for m in find_places("поставки в Казахстан и Вьетнам")]
    [('Казахстан', 'KZ'), ('Вьетнам', 'VN')]
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from itertools import pairwise, product
from pathlib import Path
from typing import Any

__all__ = ["Place", "PlaceMention", "find_places", "place_named", "region_code"]


@dataclass(frozen=True)
class Place:
    """A country, world region or bloc, named in the Russian nominative."""

    name: str
    code: str | None
    kind: str


@dataclass(frozen=True)
class PlaceMention:
    """Where ``text[start:end]`` names ``place``; ``adjective`` when by an adjective."""

    start: int
    end: int
    place: Place
    adjective: bool


def find_places(text: str) -> list[PlaceMention]:
    """Every country, world region or bloc named in text (Russian or English, any grammatical
    case), left to right, non-overlapping, longest match first."""
    return _scan(text)[0]


def place_named(name: str) -> Place | None:
    """The place of a canonical Russian name, of any Russian or English name (in any case) or of
    an ISO 3166-1 alpha-2 (or UN M49) code; None when there is none."""
    gazetteer = _gazetteer()
    key = name.strip()
    place = gazetteer.by_name.get(key) or gazetteer.by_code.get(key.upper())
    if place is not None:
        return place
    found = _scan(key)[0]
    whole = len(found) == 1 and (found[0].start, found[0].end) == (0, len(key))
    return found[0].place if whole and not found[0].adjective else None


def region_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a canonical country name, None otherwise."""
    place = _gazetteer().by_name.get(name) if name else None
    return place.code if place is not None and place.kind == "country" else None


# --------------------------------------------------------------------------- the hand list
# Only what CLDR lacks or names otherwise than Russian news does. Keys are ISO codes, M49
# codes or canonical names; names are Russian or English, matched in every Russian case.

# CLDR codes that are no country, or whose region clashes with a country's news name:
# 001 world, 018 Southern Africa («Южная Африка» is ЮАР in the news), 021 Northern America
# (CLDR's «Североамериканский регион»; 003 covers it), exceptional reservations that are parts
# of other countries, UN, QO, the pseudo-locales and ZZ.
_SKIPPED = frozenset(
    {"001", "018", "021", "AC", "CP", "DG", "EA", "IC", "TA", "UN", "QO", "XA", "XB", "ZZ"}
)

# Codes of CLDR territories that are blocs, and of Kosovo (no ISO 3166-1 code): a region.
_NOT_COUNTRIES = {"EU": "bloc", "EZ": "bloc", "XK": "region"}

# News names replacing CLDR's (CLDR's own name, when it has no parentheses, stays an alias).
_NEWS_NAMES = {
    "US": "США",
    "KR": "Южная Корея",
    "ZA": "ЮАР",
    "CF": "ЦАР",
    "CD": "ДР Конго",
    "CG": "Республика Конго",
    "PS": "Палестина",
    "MD": "Молдавия",
    "VG": "Британские Виргинские острова",
    "VI": "Американские Виргинские острова",
    "UM": "Внешние малые острова США",
    "EU": "Евросоюз",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "CN": ("КНР", "Китайская Народная Республика", "Поднебесная", "PRC"),
    "BY": ("Белоруссия", "Республика Беларусь"),
    "KG": ("Кыргызстан",),
    "AE": ("Объединённые Арабские Эмираты", "Эмираты", "UAE", "Emirates"),
    "US": (
        "Соединённые Штаты Америки",
        "USA",
        "US",
        "U.S.",
        "U.S.A.",
        "United States of America",
        "America",
    ),
    "KR": ("Корея", "Republic of Korea", "Korea"),
    "KP": ("Северная Корея", "DPRK"),
    "GB": ("Британия", "Соединённое Королевство", "UK", "U.K.", "Britain", "Great Britain"),
    "NL": ("Голландия", "Holland"),
    "RU": ("Российская Федерация", "РФ", "Russian Federation"),
    "DE": ("ФРГ",),
    "TH": ("Тайланд",),
    "TM": ("Туркмения",),
    "MK": ("Македония", "Macedonia"),
    "SZ": ("Свазиленд", "Swaziland"),
    "TL": ("Тимор-Лешти", "East Timor"),
    "CI": ("Берег Слоновой Кости", "Ivory Coast"),
    "MM": ("Бирма", "Burma"),
    "CZ": ("Чешская Республика", "Czech Republic"),
    "TR": ("Turkey",),
    "ZA": ("Южная Африка",),
    "CD": ("Демократическая Республика Конго", "ДРК", "DR Congo", "DRC"),
    "CG": ("Republic of the Congo",),
    "HK": ("Hong Kong",),
    "MO": ("Macau", "Macao"),
    "PS": ("Palestine",),
    "VA": ("Vatican",),
    "CV": ("Cabo Verde",),
    "SC": ("Сейшелы",),
    "BM": ("Бермуды",),
    "KY": ("Каймановы острова",),
    "EU": ("ЕС", "EU"),
    "EZ": ("euro area", "euro zone"),
    "143": ("Средняя Азия",),
    "035": ("ЮВА", "South-East Asia", "South East Asia"),
}

# Places CLDR lacks: (canonical name, kind, aliases).
_EXTRA_PLACES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Ближний Восток", "region", ("Middle East",)),
    (
        "страны Персидского залива",
        "region",
        ("государства Персидского залива", "Gulf states", "Gulf countries"),
    ),
    ("постсоветское пространство", "region", ("post-Soviet space",)),
    ("ближнее зарубежье", "region", ("near abroad",)),
    ("дальнее зарубежье", "region", ("far abroad",)),
    ("Прибалтика", "region", ("страны Балтии", "Baltic states", "Baltics")),
    ("Балканы", "region", ("Balkans",)),
    ("Скандинавия", "region", ("Scandinavia",)),
    ("Азиатско-Тихоокеанский регион", "region", ("АТР", "Asia-Pacific", "APAC")),
    ("СНГ", "bloc", ("Содружество Независимых Государств", "CIS")),
    (
        "ЕАЭС",
        "bloc",
        ("Евразийский экономический союз", "EAEU", "EEU", "Eurasian Economic Union"),
    ),
    ("БРИКС", "bloc", ("BRICS",)),
    (
        "ШОС",
        "bloc",
        (
            "Шанхайская организация сотрудничества",
            "SCO",
            "Shanghai Cooperation Organisation",
            "Shanghai Cooperation Organization",
        ),
    ),
    ("АСЕАН", "bloc", ("Ассоциация государств Юго-Восточной Азии", "ASEAN")),
    ("ОПЕК", "bloc", ("OPEC",)),
    (
        "дружественные страны",
        "bloc",
        ("дружественные государства", "friendly countries", "friendly nations"),
    ),
    (
        "недружественные страны",
        "bloc",
        ("недружественные государства", "unfriendly countries", "unfriendly nations"),
    ),
)

# Phrases that hold a place's name or adjective but name no place.
_NOT_PLACES = (
    "Индийский океан",
    "Китай-город",
    "Нью-Джерси",
    "Indian Ocean",
    "New Jersey",
    "New Mexico",
    "New Guinea",
)

# Relational adjectives (Russian lemma or English word) -> ISO code, M49 code or canonical name.
_ADJECTIVES: dict[str, str] = {
    # world regions and blocs
    "азиатский": "142",
    "европейский": "150",
    "африканский": "002",
    "латиноамериканский": "419",
    "ближневосточный": "Ближний Восток",
    "североамериканский": "003",
    "южноамериканский": "005",
    "центральноамериканский": "013",
    "юго-восточноазиатский": "035",
    "восточноазиатский": "030",
    "центральноазиатский": "143",
    "среднеазиатский": "143",
    "западноевропейский": "155",
    "восточноевропейский": "151",
    "североафриканский": "015",
    "постсоветский": "постсоветское пространство",
    "прибалтийский": "Прибалтика",
    "балтийский": "Прибалтика",
    "балканский": "Балканы",
    "скандинавский": "Скандинавия",
    "European": "150",
    "Asian": "142",
    "African": "002",
    "Latin American": "419",
    "Middle Eastern": "Ближний Восток",
    "North American": "003",
    "South American": "005",
    "Southeast Asian": "035",
    "South-East Asian": "035",
    "Central Asian": "143",
    "Western European": "155",
    "Eastern European": "151",
    "post-Soviet": "постсоветское пространство",
    "Baltic": "Прибалтика",
    "Balkan": "Балканы",
    "Scandinavian": "Скандинавия",
    # countries
    "китайский": "CN",
    "индийский": "IN",
    "турецкий": "TR",
    "вьетнамский": "VN",
    "казахстанский": "KZ",
    "казахский": "KZ",
    "белорусский": "BY",
    "узбекский": "UZ",
    "узбекистанский": "UZ",
    "армянский": "AM",
    "американский": "US",
    "немецкий": "DE",
    "германский": "DE",
    "французский": "FR",
    "итальянский": "IT",
    "швейцарский": "CH",
    "японский": "JP",
    "южнокорейский": "KR",
    "северокорейский": "KP",
    "эмиратский": "AE",
    "иранский": "IR",
    "египетский": "EG",
    "бразильский": "BR",
    "индонезийский": "ID",
    "малайзийский": "MY",
    "тайский": "TH",
    "таиландский": "TH",
    "монгольский": "MN",
    "сербский": "RS",
    "саудовский": "SA",
    "британский": "GB",
    "нидерландский": "NL",
    "голландский": "NL",
    "литовский": "LT",
    "польский": "PL",
    "киргизский": "KG",
    "кыргызский": "KG",
    "таджикский": "TJ",
    "азербайджанский": "AZ",
    "российский": "RU",
    "украинский": "UA",
    "грузинский": "GE",
    "молдавский": "MD",
    "туркменский": "TM",
    "латвийский": "LV",
    "эстонский": "EE",
    "канадский": "CA",
    "мексиканский": "MX",
    "аргентинский": "AR",
    "чилийский": "CL",
    "перуанский": "PE",
    "колумбийский": "CO",
    "кубинский": "CU",
    "венесуэльский": "VE",
    "австралийский": "AU",
    "новозеландский": "NZ",
    "испанский": "ES",
    "португальский": "PT",
    "бельгийский": "BE",
    "австрийский": "AT",
    "чешский": "CZ",
    "словацкий": "SK",
    "венгерский": "HU",
    "румынский": "RO",
    "болгарский": "BG",
    "греческий": "GR",
    "кипрский": "CY",
    "хорватский": "HR",
    "словенский": "SI",
    "черногорский": "ME",
    "финский": "FI",
    "финляндский": "FI",
    "шведский": "SE",
    "норвежский": "NO",
    "датский": "DK",
    "ирландский": "IE",
    "исландский": "IS",
    "израильский": "IL",
    "иракский": "IQ",
    "сирийский": "SY",
    "ливанский": "LB",
    "иорданский": "JO",
    "катарский": "QA",
    "кувейтский": "KW",
    "оманский": "OM",
    "бахрейнский": "BH",
    "афганский": "AF",
    "пакистанский": "PK",
    "бангладешский": "BD",
    "непальский": "NP",
    "сингапурский": "SG",
    "филиппинский": "PH",
    "камбоджийский": "KH",
    "лаосский": "LA",
    "мьянманский": "MM",
    "тайваньский": "TW",
    "гонконгский": "HK",
    "алжирский": "DZ",
    "марокканский": "MA",
    "тунисский": "TN",
    "ливийский": "LY",
    "суданский": "SD",
    "эфиопский": "ET",
    "кенийский": "KE",
    "нигерийский": "NG",
    "танзанийский": "TZ",
    "ангольский": "AO",
    "южноафриканский": "ZA",
    "Chinese": "CN",
    "Indian": "IN",
    "Turkish": "TR",
    "German": "DE",
    "French": "FR",
    "Italian": "IT",
    "Swiss": "CH",
    "Japanese": "JP",
    "South Korean": "KR",
    "North Korean": "KP",
    "American": "US",
    "British": "GB",
    "Dutch": "NL",
    "Russian": "RU",
    "Brazilian": "BR",
    "Iranian": "IR",
    "Egyptian": "EG",
    "Vietnamese": "VN",
    "Indonesian": "ID",
    "Malaysian": "MY",
    "Thai": "TH",
    "Saudi": "SA",
    "Emirati": "AE",
    "Kazakh": "KZ",
    "Kazakhstani": "KZ",
    "Belarusian": "BY",
    "Uzbek": "UZ",
    "Armenian": "AM",
    "Azerbaijani": "AZ",
    "Kyrgyz": "KG",
    "Tajik": "TJ",
    "Mongolian": "MN",
    "Serbian": "RS",
    "Lithuanian": "LT",
    "Polish": "PL",
    "Ukrainian": "UA",
    "Georgian": "GE",
    "Spanish": "ES",
    "Mexican": "MX",
    "Canadian": "CA",
    "Australian": "AU",
    "Israeli": "IL",
    "Pakistani": "PK",
    "Singaporean": "SG",
    "Filipino": "PH",
    "Taiwanese": "TW",
    "South African": "ZA",
    "Finnish": "FI",
    "Swedish": "SE",
    "Norwegian": "NO",
    "Danish": "DK",
    "Austrian": "AT",
    "Czech": "CZ",
    "Hungarian": "HU",
    "Romanian": "RO",
    "Bulgarian": "BG",
    "Greek": "GR",
    "Portuguese": "PT",
    "Belgian": "BE",
    "Irish": "IE",
    "Argentine": "AR",
    "Argentinian": "AR",
    "Chilean": "CL",
    "Peruvian": "PE",
    "Colombian": "CO",
    "Nigerian": "NG",
    "Kenyan": "KE",
    "Ethiopian": "ET",
    "Moroccan": "MA",
    "Algerian": "DZ",
    "Qatari": "QA",
    "Kuwaiti": "KW",
    "Omani": "OM",
    "Iraqi": "IQ",
    "Syrian": "SY",
}

# Names whose forms are also common words («Того же года», «Чад»): not taken when they begin
# a sentence, where the capital letter tells nothing.
_COMMON_WORDS = frozenset({"Того", "Чад"})

# --------------------------------------------------------------------------- the tables

_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "loc2")
_JOINERS = ("и", "—", "–", "-")
_WORD = re.compile(r"[^\W_]+")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_APOSTROPHES = "'\u2019\u02bc\u2018`\u00b4"
# Separators between a name's words compare without spaces, with every dash as "-".
_GAP = str.maketrans(
    {
        **{c: "-" for c in _DASHES},
        **{c: "'" for c in _APOSTROPHES},
        **{c: None for c in " \t\n\r\f\v\u00a0\u2009\u202f\u2007\u200b\u00ad"},
    }
)
# Words compare lower-case, with "ё" as "е" and Latin letters without accents.
_FOLD = str.maketrans(
    {
        "ё": "е",
        **{
            chr(c): unicodedata.normalize("NFD", chr(c))[0]
            for c in range(0xC0, 0x250)
            if chr(c).islower() and len(unicodedata.normalize("NFD", chr(c))) > 1
        },
    }
)
_PARTS = re.compile(r"([^\w]+)")
_SENTENCE_END = ".!?…\n"
_OPENERS = " \t\r\u00a0«\"„“'([" + _DASHES


@dataclass(frozen=True)
class _Form:
    """One surface form of a name: its folded words and what the text must look like."""

    words: tuple[str, ...]
    gaps: tuple[str, ...]  # separators between the words, as _GAP leaves them
    tail: str  # punctuation that ends the form ("U.S.")
    capital: tuple[int, ...]  # per word: 0 any case, 1 capital first letter, 2 all capitals
    common: bool  # also a common word («Того»): not taken at the start of a sentence
    place: Place | None  # None: a phrase that names no place («Индийский океан»)
    adjective: bool


@dataclass(frozen=True)
class _Gazetteer:
    places: tuple[Place, ...]
    by_name: dict[str, Place]  # canonical name -> place
    by_code: dict[str, Place]  # ISO 3166-1 or UN M49 code -> place
    index: dict[str, tuple[_Form, ...]]  # first folded word -> forms, longest first


def _fold(text: str) -> str:
    return text.lower().translate(_FOLD)


@lru_cache(maxsize=1)
def _morph() -> Any:
    """The one pymorphy2 analyzer of the process (the gazetteer's, the numbers' and names')."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pymorphy2

        _mend_pymorphy2()
        return pymorphy2.MorphAnalyzer(path=_dictionary_path(), lang="ru")


def _mend_pymorphy2() -> None:
    """pymorphy2 0.9 reads its units' parameters with ``inspect.getargspec``, gone in Python 3.11.
    The same mend natasha's yargy makes when natasha is imported (which costs 0.4-0.6 s, numpy
    and word embeddings, that the gazetteer and the numbers do not need)."""
    import inspect

    from pymorphy2.units.base import BaseAnalyzerUnit

    if hasattr(inspect, "getargspec"):
        return

    def param_names(unit: Any) -> list[str]:
        if unit.__init__ is object.__init__:
            return []
        return sorted(inspect.getfullargspec(unit.__init__).args[1:])

    setattr(BaseAnalyzerUnit, "_get_param_names", param_names)  # noqa: B010


def _dictionary_path() -> str | None:
    """Where pymorphy2's Russian dictionaries are, from the ``pymorphy2_dicts`` entry point of
    pymorphy2-dicts-ru. pymorphy2 finds the same path itself by importing pkg_resources and
    scanning every installed package (0.3-0.5 s); None (PYMORPHY2_DICT_PATH set, or no such
    package) leaves the search to pymorphy2."""
    if "PYMORPHY2_DICT_PATH" in os.environ:
        return None
    try:
        points = metadata.distribution("pymorphy2-dicts-ru").entry_points
    except metadata.PackageNotFoundError:
        return None
    for point in points:
        if point.group == "pymorphy2_dicts" and point.name == "ru":
            return str(point.load().get_path())
    return None


def _clean_cldr(name: str) -> str:
    """CLDR's Russian name with abbreviations spelt out and parenthesised parts dropped."""
    name = re.sub(r"\bо-ва\b", "острова", name)
    name = re.sub(r"\bо-в\b", "остров", name)
    name = name.replace("Св. ", "Святой ")
    return re.sub(r"\s*\([^)]*\)", "", name).strip()


def _english_variants(name: str) -> set[str]:
    variants = {name, re.sub(r"\s*\([^)]*\)", "", name).strip()}
    if "&" in name:
        variants |= {v.replace("&", "and") for v in variants}
    if "St. " in name:
        variants |= {v.replace("St. ", s) for v in variants for s in ("Saint ", "St ")}
    return variants


def _is_cyrillic(word: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in word)


def _recase(word: str, like: str) -> str:
    """``word`` (lower-case) with the capitals of ``like``, part by part («Кот-д’Ивуар»)."""
    if like.isupper():
        return word.upper()
    parts, model = _PARTS.split(word), _PARTS.split(like)
    if len(parts) != len(model):
        parts, model = [word], [like]
    return "".join(
        p[:1].upper() + p[1:] if m[:1].isupper() else p for p, m in zip(parts, model, strict=True)
    )


def _nominative_parse(word: str, before_noun: bool) -> Any:
    """pymorphy2's reading of a name's word in the nominative, or None."""
    parses = [p for p in _morph().parse(word) if p.tag.case == "nomn"]
    if not parses:
        return None

    def rank(p: Any) -> tuple[bool, bool, float]:
        adjective = p.tag.POS in ("ADJF", "PRTF")
        return (adjective == before_noun, "Geox" in p.tag, p.score)

    return max(parses, key=rank)


def _declensions(name: str) -> set[str]:
    """A Russian name in every case, adjectives agreeing with their noun, with its capitals."""
    words = name.split(" ")
    slots: list[dict[str, list[str]] | None] = []  # per word: case -> forms; None: fixed
    head_found = False
    for index, word in enumerate(words):
        if word in _JOINERS or word.endswith(","):  # a new noun phrase begins after these
            head_found = False
            slots.append(None)
            continue
        if head_found or word.isupper():  # words after the noun («Республика Корея»), acronyms
            slots.append(None)
            continue
        following = words[index + 1] if index + 1 < len(words) else ""
        before_noun = bool(following) and following not in _JOINERS
        parse = _nominative_parse(word.lower(), before_noun)
        if parse is None or "Fixd" in parse.tag or parse.tag.POS not in ("NOUN", "ADJF", "PRTF"):
            head_found = True
            slots.append(None)
            continue
        # «Каймановы острова»: a name read as a surname agrees with the noun that follows
        head_found = parse.tag.POS == "NOUN" and not (before_noun and "Surn" in parse.tag)
        slots.append(_case_forms(parse, word))
    found = {name}
    if any(slots):
        for case in _CASES:
            if all(s is None or case in s for s in slots):
                choices = ([w] if s is None else s[case] for w, s in zip(words, slots, strict=True))
                found.update(" ".join(forms) for forms in product(*choices))
    return found


def _case_forms(parse: Any, word: str) -> dict[str, list[str]]:
    """``word`` in each case, in its own number (and gender, for an adjective)."""
    adjective = parse.tag.POS != "NOUN"
    agree = {parse.tag.number}
    if adjective and parse.tag.number == "sing":
        agree.add(parse.tag.gender)
    if parse.tag.POS == "PRTF":  # «Объединённые»: the lexeme holds every form of the verb
        agree |= {parse.tag.voice, parse.tag.tense}
    forms: dict[str, list[str]] = {}
    for form in parse.lexeme:
        tag = form.tag
        case = tag.case
        if tag.POS != parse.tag.POS or not agree <= tag.grammemes or case in forms:
            continue
        if adjective and case == "accs" and "anim" in tag:  # places are inanimate
            continue
        if case in _CASES:
            forms[case] = [_recase(form.word, word)]
    if {"Pltm", "Geox"} <= parse.tag.grammemes and word[-1:] in ("ы", "и") and "gent" in forms:
        # plural names take either genitive: «Нидерландов», «Багам»; pymorphy2 knows one
        stem = word[:-1]
        forms["gent"] = sorted({*forms["gent"], stem, stem + "ов"})
    return forms


def _adjective_forms(lemma: str) -> set[str]:
    """Every full form of a Russian adjective, or the English adjective as written."""
    if not _is_cyrillic(lemma):
        return {lemma}
    parses = [p for p in _morph().parse(lemma) if p.tag.POS == "ADJF" and p.normal_form == lemma]
    if not parses:
        return {lemma}
    return {
        f.word
        for f in parses[0].lexeme
        if f.tag.POS == "ADJF" and "Supr" not in f.tag and "Cmp2" not in f.tag
    }


def _form(surface: str, place: Place | None, adjective: bool, common: bool = False) -> _Form | None:
    matches = list(_WORD.finditer(surface))
    if not matches:
        return None
    words = tuple(_fold(m.group()) for m in matches)
    gaps = tuple(surface[a.end() : b.start()].translate(_GAP) for a, b in pairwise(matches))
    capital = tuple(
        (2 if m.group().isupper() and 1 < len(m.group()) <= 3 else 1)
        if m.group()[:1].isupper()
        else 0
        for m in matches
    )
    return _Form(
        words=words,
        gaps=gaps,
        tail=surface[matches[-1].end() :].strip(),
        capital=capital,
        common=common,
        place=place,
        adjective=adjective,
    )


def _surfaces(name: str) -> set[str]:
    """Every written form of a name: Russian in all cases, English as given and its variants."""
    return _declensions(name) if _is_cyrillic(name) else _english_variants(name)


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    """The tables, from the cache file when it was written for this very gazetteer, else built
    (declining every name takes pymorphy2 about 0.5 s) and written to the cache for the next
    process."""
    path, key = _cache_path(), _cache_key()
    cached = _read_cache(path, key)
    if cached is not None:
        return cached
    gazetteer = _build_gazetteer()
    _write_cache(path, key, gazetteer)
    return gazetteer


def _build_gazetteer() -> _Gazetteer:
    from babel import Locale

    russian, english = Locale("ru").territories, Locale("en").territories
    places: list[Place] = []
    by_code: dict[str, Place] = {}
    names: list[tuple[Place, str, bool]] = []  # (place, surface name, adjective) by priority
    for code in sorted(russian):
        if code in _SKIPPED or code not in english:
            continue
        cldr = _clean_cldr(russian[code])
        canonical = _NEWS_NAMES.get(code, cldr)
        if code in _NOT_COUNTRIES:
            kind = _NOT_COUNTRIES[code]
        else:
            kind = "country" if code.isalpha() else "region"
        place = Place(canonical, code if kind == "country" else None, kind)
        places.append(place)
        by_code[code] = place
        own = [canonical, *_ALIASES.get(code, ())]
        if "(" not in russian[code]:
            own.append(cldr)
        own.append(english[code])
        names.extend((place, n, False) for n in own)
    for canonical, kind, aliases in _EXTRA_PLACES:
        place = Place(canonical, None, kind)
        places.append(place)
        names.extend((place, n, False) for n in (canonical, *aliases))
    by_name = {p.name: p for p in places}
    for lemma, key in _ADJECTIVES.items():
        names.append((by_code.get(key) or by_name[key], lemma, True))

    forms: dict[tuple[tuple[str, ...], tuple[str, ...], str], _Form] = {}
    blocked = [(None, n, False) for n in _NOT_PLACES]
    for place, name, adjective in [*blocked, *sorted(names, key=_priority)]:
        surfaces = _adjective_forms(name) if adjective else _surfaces(name)
        for surface in sorted(surfaces):
            form = _form(surface, place, adjective, name in _COMMON_WORDS)
            if form is not None:
                forms.setdefault((form.words, form.gaps, form.tail), form)
    index: dict[str, list[_Form]] = {}
    for form in forms.values():
        index.setdefault(form.words[0], []).append(form)
    return _Gazetteer(
        places=tuple(places),
        by_name=by_name,
        by_code=by_code,
        index={k: tuple(sorted(v, key=lambda f: -len(f.words))) for k, v in index.items()},
    )


def _priority(entry: tuple[Place, str, bool]) -> int:
    """Canonical names first, then hand aliases and CLDR's names; adjectives last."""
    place, name, adjective = entry
    return 2 if adjective else (0 if name == place.name else 1)


# --------------------------------------------------------------------------- the cache
# The built tables as JSON, keyed by everything they are made of: this module's source (the hand
# lists and the rules), the versions of Babel (CLDR's names) and of pymorphy2 and its dictionaries
# (the declensions), and Python's Unicode tables (folding). Another key, or a file that does not
# read back whole, means build anew. `make install` writes it; any process rewrites it on a miss.

_CACHE_FORMAT = 1


def _cache_path() -> Path:
    """The cache file, in the environment whose libraries it was made with."""
    return Path(sys.prefix) / "share" / "tpw" / "gazetteer.json"


def _cache_key() -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for package in ("babel", "pymorphy2", "pymorphy2-dicts-ru"):
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"\0{package}={version}".encode())
    digest.update(f"\0{unicodedata.unidata_version}\0{_CACHE_FORMAT}".encode())
    return digest.hexdigest()


def _to_json(gazetteer: _Gazetteer, key: str) -> dict[str, Any]:
    number = {place: i for i, place in enumerate(gazetteer.places)}
    return {
        "key": key,
        "places": [[p.name, p.code, p.kind] for p in gazetteer.places],
        "codes": {code: number[place] for code, place in gazetteer.by_code.items()},
        "index": [
            [
                word,
                [
                    [
                        f.words,
                        f.gaps,
                        f.tail,
                        f.capital,
                        f.common,
                        None if f.place is None else number[f.place],
                        f.adjective,
                    ]
                    for f in forms
                ],
            ]
            for word, forms in gazetteer.index.items()
        ],
    }


def _from_json(data: dict[str, Any]) -> _Gazetteer:
    places = tuple(Place(name, code, kind) for name, code, kind in data["places"])
    index = {
        word: tuple(
            _Form(
                words=tuple(words),
                gaps=tuple(gaps),
                tail=tail,
                capital=tuple(capital),
                common=common,
                place=None if number is None else places[number],
                adjective=adjective,
            )
            for words, gaps, tail, capital, common, number, adjective in forms
        )
        for word, forms in data["index"]
    }
    return _Gazetteer(
        places=places,
        by_name={p.name: p for p in places},
        by_code={code: places[number] for code, number in data["codes"].items()},
        index=index,
    )


def _read_cache(path: Path, key: str) -> _Gazetteer | None:
    try:
        data = json.loads(path.read_bytes())
        return _from_json(data) if data["key"] == key else None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # absent, unreadable or of another shape: build anew


def _write_cache(path: Path, key: str, gazetteer: _Gazetteer) -> bool:
    """Write the cache whole or not at all (a reader never sees half a file); False when the
    folder is not writable, which only costs the next process the build."""
    text = json.dumps(_to_json(gazetteer, key), ensure_ascii=False, separators=(",", ":"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".gazetteer-")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)  # readable like the rest of the environment
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return False
    return True


def write_cache() -> Path:
    """Build the tables and write the cache (`make install` calls it)."""
    path = _cache_path()
    if not _write_cache(path, _cache_key(), _build_gazetteer()):
        raise OSError(f"cannot write {path}")
    return path


# --------------------------------------------------------------------------- the scan


def _scan(text: str) -> tuple[list[PlaceMention], int]:
    """The mentions in ``text`` and the number of word comparisons made finding them."""
    index = _gazetteer().index
    folded = _fold(text)
    if len(folded) != len(text):  # a letter whose lower case is longer: fold word by word
        folded = None
    spans = [m.span() for m in _WORD.finditer(text)]
    found: list[PlaceMention] = []
    steps = 0
    i, count = 0, len(spans)
    while i < count:
        start, end = spans[i]
        word = folded[start:end] if folded is not None else _fold(text[start:end])
        steps += 1
        candidates = index.get(word)
        matched = None
        if candidates:
            for form in candidates:
                steps += len(form.words)
                stop = _match(text, folded, spans, i, form)
                if stop is not None:
                    matched = form, stop
                    break
        if matched is None:
            i += 1
            continue
        form, stop = matched
        last = i + len(form.words) - 1
        if form.place is not None:
            found.append(PlaceMention(start, stop, form.place, form.adjective))
        i = last + 1
    return found, steps


def _match(
    text: str, folded: str | None, spans: list[tuple[int, int]], i: int, form: _Form
) -> int | None:
    """Where ``form`` ends when it stands at word ``i`` of ``text``, else None."""
    if i + len(form.words) > len(spans):
        return None
    for k, word in enumerate(form.words):
        start, end = spans[i + k]
        if k:
            if (folded[start:end] if folded is not None else _fold(text[start:end])) != word:
                return None
            gap = text[spans[i + k - 1][1] : start]
            if len(gap) > 6 or gap.translate(_GAP) != form.gaps[k - 1]:
                return None
        rule = form.capital[k]
        if (rule == 1 and not text[start].isupper()) or (
            rule == 2 and not text[start:end].isupper()
        ):
            return None
    stop = spans[i + len(form.words) - 1][1]
    if form.tail:
        if not text.startswith(form.tail, stop):
            return None
        stop += len(form.tail)
    if form.common and _sentence_start(text, spans[i][0]):
        return None
    return stop


def _sentence_start(text: str, position: int) -> bool:
    """True when only opening quotes, dashes or spaces stand between a sentence end and
    ``position``."""
    for back in range(position - 1, max(position - 12, -1), -1):
        if text[back] in _SENTENCE_END:
            return True
        if text[back] not in _OPENERS:
            return False
    return position < 12  # the text's start, or a long run of spaces: take it as a start
