"""The gazetteer of countries, world regions and blocs (extract/facts/places.py)."""

from __future__ import annotations

import re
import warnings
from itertools import pairwise

import pytest
from babel import Locale

from extract.facts import places
from extract.facts.places import Place, PlaceMention, find_places, place_named, region_code


def found(text: str) -> list[tuple[str, str, str | None, bool]]:
    """(text of the mention, canonical name, code, adjective) for every mention in text."""
    return [
        (text[m.start : m.end], m.place.name, m.place.code, m.adjective) for m in find_places(text)
    ]


def names(text: str) -> list[str]:
    return [m.place.name for m in find_places(text)]


def countries() -> list[Place]:
    return [p for p in places._gazetteer().places if p.kind == "country"]


# --------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "поставки в Казахстан, Армению и Вьетнам",
            [
                ("Казахстан", "Казахстан", "KZ", False),
                ("Армению", "Армения", "AM", False),
                ("Вьетнам", "Вьетнам", "VN", False),
            ],
        ),
        (
            "компаниям Турции и ОАЭ",
            [("Турции", "Турция", "TR", False), ("ОАЭ", "ОАЭ", "AE", False)],
        ),
        (
            "экспорт в страны Латинской Америки вырос, а странами Латинской Америки",
            [
                ("Латинской Америки", "Латинская Америка", None, False),
                ("Латинской Америки", "Латинская Америка", None, False),
            ],
        ),
        ("в Юго-Восточную Азию", [("Юго-Восточную Азию", "Юго-Восточная Азия", None, False)]),
        ("государства ЕАЭС", [("ЕАЭС", "ЕАЭС", None, False)]),
        ("рынки СНГ", [("СНГ", "СНГ", None, False)]),
        ("дружественные страны", [("дружественные страны", "дружественные страны", None, False)]),
        (
            "в компании из дружественных государств",
            [("дружественных государств", "дружественные страны", None, False)],
        ),
        ("саммит БРИКС", [("БРИКС", "БРИКС", None, False)]),
        (
            "на постсоветском пространстве",
            [("постсоветском пространстве", "постсоветское пространство", None, False)],
        ),
        (
            "shipped to Brazil, Chile and Peru",
            [
                ("Brazil", "Бразилия", "BR", False),
                ("Chile", "Чили", "CL", False),
                ("Peru", "Перу", "PE", False),
            ],
        ),
        (
            "in Africa - Egypt, Kenya",
            [
                ("Africa", "Африка", None, False),
                ("Egypt", "Египет", "EG", False),
                ("Kenya", "Кения", "KE", False),
            ],
        ),
        (
            "in Europe - Switzerland, Germany, the Netherlands",
            [
                ("Europe", "Европа", None, False),
                ("Switzerland", "Швейцария", "CH", False),
                ("Germany", "Германия", "DE", False),
                ("Netherlands", "Нидерланды", "NL", False),
            ],
        ),
        ("офис в Южной Корее", [("Южной Корее", "Южная Корея", "KR", False)]),
        (
            "из Саудовской Аравии в Саудовскую Аравию",
            [
                ("Саудовской Аравии", "Саудовская Аравия", "SA", False),
                ("Саудовскую Аравию", "Саудовская Аравия", "SA", False),
            ],
        ),
        (
            "у Объединённых Арабских Эмиратов и Европейского союза",
            [
                ("Объединённых Арабских Эмиратов", "ОАЭ", "AE", False),
                ("Европейского союза", "Евросоюз", None, False),
            ],
        ),
        (
            "азиатские страны, европейский рынок, китайских партнёров, European buyers",
            [
                ("азиатские", "Азия", None, True),
                ("европейский", "Европа", None, True),
                ("китайских", "Китай", "CN", True),
                ("European", "Европа", None, True),
            ],
        ),
        ("российские компании", [("российские", "Россия", "RU", True)]),
        (
            "в Северной Корее и в Корее",
            [("Северной Корее", "КНДР", "KP", False), ("Корее", "Южная Корея", "KR", False)],
        ),
        (
            "the U.S. market, the US, the USA and the UK",
            [
                ("U.S.", "США", "US", False),
                ("US", "США", "US", False),
                ("USA", "США", "US", False),
                ("UK", "Великобритания", "GB", False),
            ],
        ),
        (
            "Middle East and Gulf states, CIS, EAEU, SCO, ASEAN, EU, Southeast Asia, "
            "South-East Asia, Latin America, friendly countries, post-Soviet markets",
            [
                ("Middle East", "Ближний Восток", None, False),
                ("Gulf states", "страны Персидского залива", None, False),
                ("CIS", "СНГ", None, False),
                ("EAEU", "ЕАЭС", None, False),
                ("SCO", "ШОС", None, False),
                ("ASEAN", "АСЕАН", None, False),
                ("EU", "Евросоюз", None, False),
                ("Southeast Asia", "Юго-Восточная Азия", None, False),
                ("South-East Asia", "Юго-Восточная Азия", None, False),
                ("Latin America", "Латинская Америка", None, False),
                ("friendly countries", "дружественные страны", None, False),
                ("post-Soviet", "постсоветское пространство", None, True),
            ],
        ),
        (
            "Türkiye, Turkey, Czechia, Czech Republic, Republic of Korea, Britain, Emirates",
            [
                ("Türkiye", "Турция", "TR", False),
                ("Turkey", "Турция", "TR", False),
                ("Czechia", "Чехия", "CZ", False),
                ("Czech Republic", "Чехия", "CZ", False),
                ("Republic of Korea", "Южная Корея", "KR", False),
                ("Britain", "Великобритания", "GB", False),
                ("Emirates", "ОАЭ", "AE", False),
            ],
        ),
    ],
)
def test_sentences(text: str, expected: list[tuple[str, str, str | None, bool]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # indeclinable names, as written
        ("поставки в Перу, Кабо-Верде и Того", ["Перу", "Кабо-Верде", "Того"]),
        # plural names in every case; США and ОАЭ indeclinable
        (
            "в Нидерландах, Филиппинам, с Мальдивами, из США, в ОАЭ",
            ["Нидерланды", "Филиппины", "Мальдивы", "США", "ОАЭ"],
        ),
        # "ё" written or not, and aliases
        (
            "Объединенных Арабских Эмиратов, Белоруссии, Кыргызстана, КНР, Голландии",
            ["ОАЭ", "Беларусь", "Киргизия", "Китай", "Нидерланды"],
        ),
        ("Соединёнными Штатами и Соединенных Штатов Америки", ["США", "США"]),
        ("в Средней Азии и в Центральной Азии", ["Центральная Азия", "Центральная Азия"]),
        ("стран Балтии, Прибалтики", ["Прибалтика", "Прибалтика"]),
        ("с государствами Персидского залива", ["страны Персидского залива"]),
        (
            "из ближнего зарубежья и из дальнего зарубежья",
            ["ближнее зарубежье", "дальнее зарубежье"],
        ),
        ("в рамках Шанхайской организации сотрудничества", ["ШОС"]),
        ("Евразийского экономического союза и еврозоны", ["ЕАЭС", "еврозона"]),
        # the longest name wins over the one inside it
        ("в Папуа — Новой Гвинее и в Гвинее-Бисау", ["Папуа — Новая Гвинея", "Гвинея-Бисау"]),
        ("в Южно-Африканской Республике и ЮАР", ["ЮАР", "ЮАР"]),
        ("Американского Самоа и американских", ["Американское Самоа", "США"]),
        # a name inside a compound adjective
        ("российско-китайских отношений", ["Китай"]),
        # headlines in capitals
        ("ПОСТАВКИ В КАЗАХСТАН И США", ["Казахстан", "США"]),
        ("Côte d’Ivoire, Cote d'Ivoire, Кот-д'Ивуар", ["Кот-д’Ивуар"] * 3),
    ],
)
def test_forms_and_aliases(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "того же года",
        "чад и дым",
        "Того же года поставки выросли.",  # «Того» begins a sentence: the pronoun
        "Москва и Зеленоград",  # cities are not in the gazetteer
        "turkey and china for dinner",  # names are written with a capital
        "us and them",
        "Шел дождь. Ес",
        "в Индийском океане",  # a place's adjective in a name that is no place
        "на Китай-городе",
        "New Jersey and New Mexico",
        "Дальний Восток",
    ],
)
def test_no_place(text: str) -> None:
    assert find_places(text) == []


def test_common_words_are_taken_inside_a_sentence() -> None:
    assert names("Поставки в Того и Чад. Чад закупил") == ["Того", "Чад"]


def test_mentions_are_ordered_and_slice_the_text() -> None:
    text = (
        "В 2024 году экспорт в Казахстан и Вьетнам вырос, а поставки в страны Юго-Восточной "
        "Азии, Латинской Америки и СНГ удвоились; Chinese and Indian buyers, U.S. importers. "
    ) * 20
    mentions = find_places(text)
    assert len(mentions) == 20 * 8
    assert all(isinstance(m, PlaceMention) for m in mentions)
    assert all(a.end <= b.start for a, b in pairwise(mentions))
    assert {text[m.start : m.end] for m in mentions} == {
        "Казахстан",
        "Вьетнам",
        "Юго-Восточной Азии",
        "Латинской Америки",
        "СНГ",
        "Chinese",
        "Indian",
        "U.S.",
    }


# --------------------------------------------------------------------------- the tables

WAREHOUSE_COUNTRIES = {
    "Индия": "IN",
    "Китай": "CN",
    "Казахстан": "KZ",
    "Беларусь": "BY",
    "Узбекистан": "UZ",
    "Киргизия": "KG",
    "Армения": "AM",
    "Азербайджан": "AZ",
    "Таджикистан": "TJ",
    "Турция": "TR",
    "Вьетнам": "VN",
    "Индонезия": "ID",
    "Малайзия": "MY",
    "Таиланд": "TH",
    "Египет": "EG",
    "ОАЭ": "AE",
    "Иран": "IR",
    "Германия": "DE",
    "Италия": "IT",
    "Франция": "FR",
    "Швейцария": "CH",
    "США": "US",
    "Бразилия": "BR",
    "Сербия": "RS",
    "Монголия": "MN",
    "Саудовская Аравия": "SA",
    "Южная Корея": "KR",
    "Япония": "JP",
    "Великобритания": "GB",
    "Нидерланды": "NL",
    "Литва": "LT",
}
WAREHOUSE_REGIONS = [
    "Юго-Восточная Азия",
    "Северная Америка",
    "Латинская Америка",
    "Западная Европа",
    "Восточная Европа",
    "Ближний Восток",
    "Центральная Азия",
    "СНГ",
    "ЕАЭС",
    "постсоветское пространство",
    "Африка",
    "Европа",
    "Азия",
]


def test_the_warehouse_names_are_canonical() -> None:
    for name, code in WAREHOUSE_COUNTRIES.items():
        place = place_named(name)
        assert place == Place(name, code, "country")
        assert region_code(name) == code
        assert place_named(code) == place
    for name in WAREHOUSE_REGIONS:
        place = place_named(name)
        assert place is not None and place.name == name and place.code is None
        assert place.kind in ("region", "bloc")
        assert region_code(name) is None


def test_place_named() -> None:
    assert place_named("Белоруссия") == place_named("BY") == place_named("Belarus")
    assert place_named("Казахстане") == place_named("kz")
    assert place_named("035") == place_named("Юго-Восточная Азия")
    assert place_named("Соединённые Штаты Америки").name == "США"
    assert place_named("Москва") is None
    assert place_named("китайский") is None  # an adjective names no place by itself
    assert place_named("Казахстан и Армения") is None


def test_region_code_wants_a_canonical_country_name() -> None:
    assert region_code("Казахстан") == "KZ"
    assert region_code("Белоруссия") is None
    assert region_code("Европа") is None
    assert region_code(None) is None


def test_the_places() -> None:
    every = places._gazetteer().places
    assert len({p.name for p in every}) == len(every)
    kinds = {p.kind for p in every}
    assert kinds == {"country", "region", "bloc"}
    assert all(len(p.code) == 2 and p.code.isupper() for p in every if p.kind == "country")
    assert all(p.code is None for p in every if p.kind != "country")
    assert len(countries()) > 240
    # news names, not CLDR's
    for cldr, news in [("Республика Корея", "Южная Корея"), ("Соединенные Штаты", "США")]:
        assert place_named(cldr).name == news
    assert {"Гонконг", "Мьянма", "Макао", "Евросоюз", "ЮАР"} <= {p.name for p in every}
    assert not [p.name for p in every if "(" in p.name or "о-в" in p.name]


def test_every_country_by_its_canonical_and_english_name() -> None:
    english = Locale("en").territories
    for place in countries():
        text = f"Поставки в {place.name} выросли."
        mentions = find_places(text)
        assert [(text[m.start : m.end], m.place) for m in mentions] == [(place.name, place)]
        text = f"Exports to {english[place.code]} grew."
        mentions = find_places(text)
        assert mentions and mentions[0].place == place, english[place.code]
        assert mentions[0].start == len("Exports to ")


def _morph():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import natasha  # noqa: F401
        import pymorphy2

        return pymorphy2.MorphAnalyzer()


def _recase(word: str, like: str) -> str:
    """«кот-д’ивуара» like «Кот-д’Ивуар»: «Кот-д’Ивуара»."""
    parts, model = re.split(r"([-’])", word), re.split(r"([-’])", like)
    return "".join(
        p.capitalize() if m[:1].isupper() else p for p, m in zip(parts, model, strict=True)
    )


def test_single_word_countries_in_genitive_and_prepositional() -> None:
    morph = _morph()
    checked = 0
    for place in countries():
        if " " in place.name or place.name.isupper():
            continue
        parse = next(
            (p for p in morph.parse(place.name) if {"Geox", "nomn"} <= p.tag.grammemes), None
        )
        if parse is None or "Fixd" in parse.tag:
            continue
        for case in ("gent", "loct"):
            form = _recase(parse.inflect({case}).word, place.name)
            assert names(f"из-за {form} и") == [place.name], form
        checked += 1
    assert checked >= 100


@pytest.mark.parametrize(
    ("nominative", "genitive", "prepositional"),
    [
        ("Казахстан", "Казахстана", "Казахстане"),
        ("Беларусь", "Беларуси", "Беларуси"),
        ("Египет", "Египта", "Египте"),
        ("Израиль", "Израиля", "Израиле"),
        ("Китай", "Китая", "Китае"),
        ("Парагвай", "Парагвая", "Парагвае"),
        ("Тайвань", "Тайваня", "Тайване"),
        ("Маврикий", "Маврикия", "Маврикии"),
        ("Польша", "Польши", "Польше"),
        ("Литва", "Литвы", "Литве"),
        ("Камбоджа", "Камбоджи", "Камбодже"),
        ("Коста-Рика", "Коста-Рики", "Коста-Рике"),
        ("Шри-Ланка", "Шри-Ланки", "Шри-Ланке"),
        ("Гвинея-Бисау", "Гвинеи-Бисау", "Гвинее-Бисау"),
        ("Южная Корея", "Южной Кореи", "Южной Корее"),
        ("Саудовская Аравия", "Саудовской Аравии", "Саудовской Аравии"),
        ("Новая Зеландия", "Новой Зеландии", "Новой Зеландии"),
        ("Северная Македония", "Северной Македонии", "Северной Македонии"),
        ("Южный Судан", "Южного Судана", "Южном Судане"),
        ("Восточный Тимор", "Восточного Тимора", "Восточном Тиморе"),
        ("Экваториальная Гвинея", "Экваториальной Гвинеи", "Экваториальной Гвинее"),
        ("Доминиканская Республика", "Доминиканской Республики", "Доминиканской Республике"),
        ("Босния и Герцеговина", "Боснии и Герцеговины", "Боснии и Герцеговине"),
        ("Тринидад и Тобаго", "Тринидада и Тобаго", "Тринидаде и Тобаго"),
        ("Нидерланды", "Нидерландов", "Нидерландах"),
        ("Филиппины", "Филиппин", "Филиппинах"),
        ("Мальдивы", "Мальдив", "Мальдивах"),
        ("Багамы", "Багам", "Багамах"),
        ("Маршалловы острова", "Маршалловых островов", "Маршалловых островах"),
        ("Соломоновы острова", "Соломоновых островов", "Соломоновых островах"),
        (
            "Федеративные Штаты Микронезии",
            "Федеративных Штатов Микронезии",
            "Федеративных Штатах Микронезии",
        ),
        (
            "Центрально-Африканская Республика",
            "Центрально-Африканской Республики",
            "Центрально-Африканской Республике",
        ),
        (
            "Объединённые Арабские Эмираты",
            "Объединённых Арабских Эмиратов",
            "Объединённых Арабских Эмиратах",
        ),
        ("Юго-Восточная Азия", "Юго-Восточной Азии", "Юго-Восточной Азии"),
        ("Латинская Америка", "Латинской Америки", "Латинской Америке"),
        ("Европейский союз", "Европейского союза", "Европейском союзе"),
        (
            "Содружество Независимых Государств",
            "Содружества Независимых Государств",
            "Содружестве Независимых Государств",
        ),
        ("Ближний Восток", "Ближнего Востока", "Ближнем Востоке"),
        ("Перу", "Перу", "Перу"),
        ("Зимбабве", "Зимбабве", "Зимбабве"),
    ],
)
def test_declension(nominative: str, genitive: str, prepositional: str) -> None:
    place = place_named(nominative)
    assert place is not None
    for form in (nominative, genitive, prepositional):
        text = f"соглашение с {form} подписано"
        assert found(text) == [(form, place.name, place.code, False)], form


# --------------------------------------------------------------------------- linear time


def test_the_work_grows_linearly_with_the_text() -> None:
    """Counted work, not time: word lookups plus words compared against candidate names."""
    sentence = (
        "Экспорт в Казахстан, Армению и страны Юго-Восточной Азии вырос; Южная Южная Новая "
        "Соединённые Объединённые Республика Папуа — китайских партнёров, U.S. and UK buyers. "
    )
    words = len(places._WORD.findall(sentence))
    small, big = sentence * 200, sentence * 400
    small_steps, big_steps = places._scan(small)[1], places._scan(big)[1]
    assert big_steps == 2 * small_steps
    # no word costs more than its own lookup plus the words of the names it may begin
    bound = 1 + max(
        sum(len(f.words) for f in forms) for forms in places._gazetteer().index.values()
    )
    assert small_steps <= 200 * words * bound


def test_news_text_costs_a_few_comparisons_per_word() -> None:
    text = (
        "По данным ведомства, экспорт продукции в Казахстан, Армению и Вьетнам вырос на 15%, "
        "а поставки компаниям Турции и ОАЭ удвоились. Резиденты вышли на рынки стран Латинской "
        "Америки; китайские партнёры закупили оборудование. Exports to Brazil, Chile and Peru "
        "grew, while European buyers stayed cautious. Компания увеличила выручку на 12 млрд "
        "рублей за счёт новых контрактов и расширения производства. "
    ) * 100
    assert places._scan(text)[1] <= 2 * len(places._WORD.findall(text))


def test_worst_case_words_stay_linear() -> None:
    """Words that begin many names, repeated, still cost a bounded amount each."""
    index = places._gazetteer().index
    worst = max(index, key=lambda w: sum(len(f.words) for f in index[w]))
    text = " ".join([worst.capitalize()] * 5000)
    steps = places._scan(text)[1]
    assert steps <= 5000 * (1 + sum(len(f.words) for f in index[worst]))
    assert places._scan(text + " " + text)[1] <= 2 * steps + len(index[worst]) * 10


# --------------------------------------------------------------------------- the cache


def _edited_places(tmp_path, monkeypatch, old: str, new: str):
    """A copy of places.py with ``old`` replaced by ``new``, imported as its own module: the
    gazetteer as someone who edits its hand list leaves it."""
    import importlib.util
    import sys
    from pathlib import Path

    source = Path(places.__file__).read_text(encoding="utf-8")
    assert old in source
    copy = tmp_path / "places_edited.py"
    copy.write_text(source.replace(old, new, 1), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("places_edited", copy)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "places_edited", module)
    spec.loader.exec_module(module)
    return module


def test_the_cache_reads_back_the_tables_it_was_written_from(tmp_path) -> None:
    built = places._build_gazetteer()
    path = tmp_path / "gazetteer.json"
    assert places._write_cache(path, "a key", built)
    read = places._read_cache(path, "a key")
    assert read == built
    assert list(read.index) == list(built.index) and list(read.by_code) == list(built.by_code)
    assert places._read_cache(path, "another key") is None


def test_the_gazetteer_comes_from_the_cache_when_its_key_matches(tmp_path, monkeypatch) -> None:
    path = tmp_path / "gazetteer.json"
    monkeypatch.setattr(places, "_cache_path", lambda: path)
    assert places.write_cache() == path
    expected = places._build_gazetteer()

    def no_build() -> None:
        raise AssertionError("built although the cache holds these very tables")

    monkeypatch.setattr(places, "_build_gazetteer", no_build)
    assert places._gazetteer.__wrapped__() == expected


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b'{"key": 1}', b"[]", b'{"places": []}', "ß".encode("latin-1")],
)
def test_a_broken_cache_is_rebuilt_and_rewritten(tmp_path, monkeypatch, content) -> None:
    path = tmp_path / "gazetteer.json"
    path.write_bytes(content)
    monkeypatch.setattr(places, "_cache_path", lambda: path)
    assert places._gazetteer.__wrapped__() == places._build_gazetteer()
    assert places._read_cache(path, places._cache_key()) == places._build_gazetteer()


def test_a_cache_of_the_gazetteer_before_an_edit_is_not_used(tmp_path, monkeypatch) -> None:
    """Adding a name to the hand list changes the key: the old cache is rebuilt, not read."""
    path = tmp_path / "gazetteer.json"
    monkeypatch.setattr(places, "_cache_path", lambda: path)
    places.write_cache()
    assert places._read_cache(path, places._cache_key()) is not None
    edited = _edited_places(
        tmp_path, monkeypatch, '"KG": ("Кыргызстан",),', '"KG": ("Кыргызстан", "Тартария"),'
    )
    monkeypatch.setattr(edited, "_cache_path", lambda: path)
    assert edited._cache_key() != places._cache_key()
    assert [(m.place.code, m.adjective) for m in edited.find_places("в Тартарии")] == [
        ("KG", False)
    ]
    assert places.find_places("в Тартарии") == []
    # the edited gazetteer rewrote the cache; the original's key no longer reads it
    assert places._read_cache(path, places._cache_key()) is None
    assert edited._read_cache(path, edited._cache_key()) == edited._gazetteer()


def test_the_cache_key_follows_the_libraries_that_make_the_tables(monkeypatch) -> None:
    key = places._cache_key()
    real = places.metadata.version
    for package in ("babel", "pymorphy2", "pymorphy2-dicts-ru"):
        monkeypatch.setattr(
            places.metadata, "version", lambda name, p=package: "0.0" if name == p else real(name)
        )
        assert places._cache_key() != key, package
    monkeypatch.setattr(places.metadata, "version", real)
    assert places._cache_key() == key


def test_one_analyzer_without_pkg_resources_or_natasha_models() -> None:
    """The gazetteer, the numbers and the names share one pymorphy2 analyzer, found through its
    dictionaries' entry point: neither pkg_resources' scan of every package nor natasha's word
    embeddings (numpy) are loaded for it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from extract.facts import places, russian_numbers, russian_names\n"
        "assert russian_numbers._morph() is places._morph() is russian_names._pymorphy()\n"
        "print(russian_numbers.lemmas('рублей'), russian_names.nominative('Биолинка'))\n"
        "print(sorted(m for m in ('pkg_resources', 'natasha', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.splitlines() == ["(('рубль', 'NOUN'),) Биолинк", "[]"]
