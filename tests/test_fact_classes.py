"""The classes of language real news uses for each kind of fact, one family at a time.

Every sentence here is our own, written for the family it stands for (not copied from any
article): places in any case, in lists, as blocs and as a region with its countries; growth in
its many forms; counts with the noun before or after the number or in words; money under its
verbs and abbreviations; and the figures about something else that must not become facts.
"""

from __future__ import annotations

from datetime import date

import pytest

from extract.facts import facts_in

PUBLISHED = date(2025, 3, 14)


def read(text: str, language: str = "ru", title: str | None = None) -> list[tuple]:
    """(metric, value rounded, qualifier) of every fact but destinations."""
    facts = facts_in(text, article="a", published=PUBLISHED, title=title, language=language)
    return [
        (f.metric, round(f.value, 4), f.qualifier)
        for f in facts
        if f.metric != "export_destination"
    ]


def destinations(text: str, language: str = "ru") -> list[str]:
    facts = facts_in(text, article="a", published=PUBLISHED, title=None, language=language)
    return [f.region for f in facts if f.metric == "export_destination"]


# --------------------------------------------------------------------------- places


@pytest.mark.parametrize(
    ("text", "language", "places"),
    [
        ("Резиденты поставляли приборы в Казахстан, Армению и Вьетнам.", "ru",
         ["Казахстан", "Армения", "Вьетнам"]),
        ("Экспорт пошёл компаниям Турции и ОАЭ.", "ru", ["Турция", "ОАЭ"]),
        ("Светильники экспортируются за рубеж, их закупают странами Латинской Америки.", "ru",
         ["Латинская Америка"]),
        ("Главные направления экспорта — Африка: Египет, Кения и Алжир.", "ru",
         ["Африка", "Египет", "Кения", "Алжир"]),
        ("Экспорт уходит в государства ЕАЭС, СНГ, в дружественные страны и страны БРИКС.", "ru",
         ["ЕАЭС", "СНГ", "дружественные страны", "БРИКС"]),
        ("Датчики экспортировали на Шри-Ланку, в Уругвай и в Танзанию.", "ru",
         ["Шри-Ланка", "Уругвай", "Танзания"]),
        ("The plant shipped pumps to Brazil, Chile and Peru.", "en", ["Бразилия", "Чили", "Перу"]),
        ("Exports went to Africa - Egypt and Kenya - and to the Gulf.", "en",
         ["Африка", "Египет", "Кения"]),
    ],
)  # fmt: skip
def test_destinations_in_any_case_in_lists_blocs_and_regions(text, language, places) -> None:
    assert destinations(text, language)[: len(places)] == places


@pytest.mark.parametrize(
    "text",
    [
        "В июне технополис посетила делегация из Омана, обсуждали экспорт светильников.",
        "Экспорт растёт; комплектующие резиденты закупают в Китае.",
        "В планах компании на экспорт — выход на рынки Монголии и Сербии.",
        "Контракт на экспорт в Индонезию пока обсуждается, переговоры продолжаются.",
        "Russian exporters met a delegation from Oman at the fair.",
    ],
)
def test_a_place_that_is_not_a_destination(text: str) -> None:
    language = "en" if text.isascii() else "ru"
    assert destinations(text, language) == []


def test_a_share_after_a_region_and_its_countries_is_the_regions() -> None:
    text = "Главным рынком экспорта стала Центральная Азия — Узбекистан и Таджикистан, куда ушло 40% поставок."
    facts = facts_in(text, article="a", published=PUBLISHED, title=None)
    share = next(f for f in facts if f.metric == "export_share")
    assert (share.value, share.region) == (pytest.approx(0.4), "Центральная Азия")


# --------------------------------------------------------------------------- growth


@pytest.mark.parametrize(
    ("text", "language", "fact"),
    [
        ("В 2024 году экспорт резидентов прибавил 27,5%.", "ru", ("export_growth", 1.275, "exact")),
        ("Экспорт в 2023 году оказался в 2,6 раза выше, чем годом ранее.", "ru",
         ("export_growth", 2.6, "exact")),
        ("Выручка компании была на четверть больше, чем в 2023 году.", "ru",
         ("revenue_growth", 1.25, "exact")),
        ("За два года резиденты удвоили экспорт.", "ru", ("export_growth", 2.0, "exact")),
        ("Ювелиры более чем удвоили экспорт украшений.", "ru", ("export_growth", 2.0, "over")),
        ("Прирост инвестиций составил 18% по итогам 2024 года.", "ru",
         ("investment_growth", 1.18, "exact")),
        ("Объём производства за год увеличился почти на треть.", "ru",
         ("output_growth", 1.3333, "almost")),
        ("Так, в прошлом году рост выпуска составил 12%.", "ru", ("output_growth", 1.12, "exact")),
        ("Выручка возросла на 30% — до 5 млрд рублей.", "ru", ("revenue_growth", 1.3, "exact")),
        ("Инвестиции резидентов в 2024 году выросли в 1,5 р. больше прежнего.", "ru",
         ("investment_growth", 1.5, "exact")),
        ("In 2024 exports were up 12 percent on the year.", "en", ("export_growth", 1.12, "exact")),
        ("Exports grew 3.1-fold in 2023.", "en", ("export_growth", 3.1, "exact")),
        ("Revenue doubled in 2024.", "en", ("revenue_growth", 2.0, "exact")),
    ],
)  # fmt: skip
def test_growth_in_all_its_forms(text: str, language: str, fact: tuple) -> None:
    assert fact in read(text, language)


def test_what_shrank_is_not_output_because_it_was_used_for_output() -> None:
    text = "Ювелиры сократили использование золота для изготовления украшений на 12%."
    assert read(text) == []


# --------------------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Штат компании «Кварц» превысил 4 тысячи сотрудников.", ("jobs", 4000, "over")),
        ("На новом заводе работу получат около 700 человек.", ("jobs", 700, "approx")),
        ("Численность персонала перевалила за 600 человек.", ("jobs", 600, "over")),
        ("На площадке «Руднево» работают семь компаний-резидентов.", ("resident_count", 7, "exact")),
        ("В технопарке размещается почти сотня предприятий.", ("company_count", 100, "almost")),
        ("Здесь уже больше сотни компаний-резидентов.", ("resident_count", 100, "over")),
        ("В 2024 году статус резидента присвоен 11 компаниям.", ("new_residents", 11, "exact")),
        ("За полугодие резидентами ОЭЗ стали одиннадцать компаний.", ("new_residents", 11, "exact")),
        ("Там работает 200 предприятий. Около 90 из них являются резидентами.",
         ("resident_count", 90, "approx")),
        ("Число предприятий технопарка достигнет около 600.", ("company_count", 600, "approx")),
    ],
)  # fmt: skip
def test_counts_of_people_and_companies(text: str, fact: tuple) -> None:
    assert fact in read(text)


def test_counts_in_english() -> None:
    assert ("new_residents", 31, "exact") in read("In 2024, 31 firms became residents.", "en")
    found = read("The site hosts 24 companies, 15 of them residents of the zone.", "en")
    assert ("company_count", 24, "exact") in found


def test_who_does_something_is_not_how_many_there_are() -> None:
    assert read("В ноябре десять резидентов покажут свои разработки на выставке.") == []


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "language", "fact"),
    [
        ("В первом полугодии компании ОЭЗ заработали 58 млрд рублей.", "ru",
         ("revenue", 58e9, "exact")),
        ("Резиденты отгрузили продукции на 12 млрд рублей.", "ru", ("revenue", 12e9, "exact")),
        ("Сделка оценивается в 2,4 млрд рублей.", "ru", ("investment", 2.4e9, "exact")),
        ("Инвесторы вложат ещё 15 млрд рублей в новые корпуса.", "ru",
         ("investment", 15e9, "exact")),
        ("Резиденты проинвестировали в производство 9,2 млрд рублей.", "ru",
         ("investment", 9.2e9, "exact")),
        ("Работают пять резидентов, вложивших в заводы 256 млн рублей.", "ru",
         ("investment", 256e6, "exact")),
        ("Экспорт составил 2 млрд рублей, из них 940 млн пришлось на микроэлектронику.", "ru",
         ("export_volume", 940e6, "exact")),
        ("Investment totalled RUB3bn in 2023.", "en", ("investment", 3e9, "exact")),
        ("Exports amounted to 1.4 billion rubles in 2024.", "en",
         ("export_volume", 1.4e9, "exact")),
        ("The deal is valued at RUB 2bn.", "en", ("investment", 2e9, "exact")),
    ],
)  # fmt: skip
def test_money_under_its_verbs_and_abbreviations(text: str, language: str, fact: tuple) -> None:
    assert fact in read(text, language)


def test_shipping_abroad_is_export_and_shipping_at_home_is_revenue() -> None:
    assert read("Завод отгрузил в Казахстан продукции на 3 млн рублей.")[0][0] == "export_volume"
    assert read("Завод отгрузил продукции на 3 млн рублей.")[0][0] == "revenue"


# --------------------------------------------------------------------------- precision


@pytest.mark.parametrize(
    "text",
    [
        "В столице имеется порядка 20 тыс. га территорий под технопарки.",
        "Для сравнения, экспорт всех московских предприятий составил 640 млрд рублей.",
        "Всего в промзоне «Печатники» работают около 300 предприятий.",
        "Российские производители насосов экспортировали продукции на 9 млрд рублей.",
        "Инвестиции в основной капитал в Москве превысили 2,3 трлн рублей.",
        "Читайте также: в парке на 12 гектаров откроют каток",
        "Moscow's manufacturers as a whole employ about 700,000 people.",
    ],
)
def test_a_figure_about_something_else_is_not_a_fact(text: str) -> None:
    language = "en" if text.isascii() else "ru"
    assert read(text, language) == []


def test_the_zones_land_in_square_metres_is_land() -> None:
    found = read("Площадь ОЭЗ к 2030 году планируется увеличить до 3,8 млн кв. м.")
    assert found == [("land_area", 3.8e6, "exact")]
    assert read("Общая площадь технополиса — 280 га, или 2,8 млн кв. м.") == [
        ("land_area", 2.8e6, "exact")
    ]
    assert read("На участке возведут два корпуса общей площадью 12 500 кв. м.")[-1][0] == (
        "floor_area"
    )


def test_industry_wide_jewelry_figures_have_no_subject() -> None:
    text = "В производстве ювелирных изделий в России занято порядка 30 тыс. человек."
    facts = facts_in(text, article="a", published=PUBLISHED, title=None)
    assert [(f.metric, f.value, f.subject) for f in facts] == [("jobs", 30000, None)]


def test_a_figure_takes_the_year_of_its_own_clause() -> None:
    text = "Выручка «Омеги» по итогам 2024 года достигла 2 млрд рублей, в 2022-м оборот составлял 1,5 млрд."
    facts = facts_in(text, article="a", published=PUBLISHED, title=None)
    years = {f.value: f.period_start.year for f in facts if f.metric == "revenue"}
    assert years == {2e9: 2024, 1.5e9: 2022}


def test_a_headline_figure_the_text_does_not_repeat() -> None:
    title = "Резиденты технополиса «Москва» за год увеличили экспорт на треть"
    text = "Экспорт резидентов в 2024 году составил 900 млн рублей."
    facts = facts_in(text, article="a", published=PUBLISHED, title=title)
    growth = [f for f in facts if f.metric == "export_growth"]
    assert [(round(f.value, 4), f.char_start, f.char_end, f.evidence) for f in growth] == [
        (1.3333, 0, 0, title)
    ]
    assert growth[0].rule.endswith("_title")
    # a headline that rounds a figure of the text («почти на 50%» for 48,9%) is not repeated
    title = "Выручка резидентов выросла почти на 50%"
    text = "В 2024 году выручка резидентов возросла на 48,9% — до 108 млрд рублей."
    facts = facts_in(text, article="a", published=PUBLISHED, title=title)
    assert [round(f.value, 3) for f in facts if f.metric == "revenue_growth"] == [1.489]


def test_around_is_approximate_and_a_comparison_base_is_not_the_period() -> None:
    assert ("investment", 4.5e10, "approx") in read(
        "Инвестиции резидентов составили вокруг 45 млрд рублей."
    )
    text = "In the first quarter of 2024 exports rose; compared to January-March 2022, deliveries increased by 4.5 times."
    facts = facts_in(text, article="a", published=PUBLISHED, title=None, language="en")
    growth = next(f for f in facts if f.metric == "export_growth")
    assert (growth.value, growth.period_start, growth.period_end) == (
        4.5,
        date(2024, 1, 1),
        date(2024, 3, 31),
    )


@pytest.mark.parametrize(
    ("text", "language", "fact"),
    [
        ("Выручка компании в 2025 году выросла наполовину.", "ru", ("revenue_growth", 1.5, "exact")),
        ("За полугодие экспорт мы удвоили — до 420 млн рублей.", "ru",
         ("export_volume", 420e6, "exact")),
        ("The number of people employed by residents stood at more than 43,000.", "en",
         ("jobs", 43000, "over")),
        ("Revenue totalled RUB 2.3bn, up 21 percent, while output grew by a quarter.", "en",
         ("output_growth", 1.25, "exact")),
        ("Two firms joined the site, bringing the number of residents there to 27.", "en",
         ("resident_count", 27, "exact")),
    ],
)  # fmt: skip
def test_more_growth_and_count_phrasings(text: str, language: str, fact: tuple) -> None:
    assert fact in read(text, language)


def test_revenue_growth_keeps_its_own_clause() -> None:
    found = read("Revenue totalled RUB 2.3bn, up 21 percent, while output grew by a quarter.", "en")
    assert ("revenue_growth", 1.21, "exact") in found
    assert ("output_growth", 1.21, "exact") not in found


@pytest.mark.parametrize(
    "text",
    [
        "При этом средний чек снизился до 14,2 тыс. рублей.",
        "В этом году продукцию за границу отгружает 41 резидент.",
        "Ещё двенадцать компаний ведут переговоры о поставках.",
    ],
)
def test_prices_and_firms_doing_something_are_not_facts(text: str) -> None:
    assert [f for f in read(text) if f[0] != "exporters_share"] == []


def test_a_share_after_where_belongs_to_the_region_before_it() -> None:
    text = "Крупнейшим направлением экспорта остается Ближний Восток — ОАЭ и Кувейт, куда ушло 46% поставок, а на Казахстан пришлось 20%."
    facts = facts_in(text, article="a", published=PUBLISHED, title=None)
    shares = {round(f.value, 2): f.region for f in facts if f.metric == "export_share"}
    assert shares[0.46] == "Ближний Восток"


def test_counting_companies_on_a_site_is_about_the_site() -> None:
    text = "Компания «Сигма» открыла цех на площадке «Ангстрем». Компаний на площадке сейчас 35."
    facts = facts_in(text, article="a", published=PUBLISHED, title=None)
    count = next(f for f in facts if f.metric == "company_count")
    assert (count.value, count.subject) == (35, "Ангстрем")


@pytest.mark.parametrize(
    ("text", "language", "fact"),
    [
        ("Выручка за три квартала выросла на 23%, до 1,38 млрд руб.", "ru",
         ("revenue", 1.38e9, "exact")),
        ("Следующим летом начнём строить три корпуса, вложения превысят 12 млрд рублей.", "ru",
         ("investment", 12e9, "over")),
        ("Экспортирует лишь каждый десятый российский ювелирный производитель.", "ru",
         ("exporters_share", 0.1, "exact")),
        ("За полугодие россияне купили ювелирных изделий на 146 млрд ₽.", "ru",
         ("revenue", 146e9, "exact")),
        ("Across the zone, roughly one resident in six now exports.", "en",
         ("exporters_share", 0.1667, "approx")),
        ("Four companies became residents, bringing the total to 294.", "en",
         ("resident_count", 294, "exact")),
        ("Today the firm sells in eleven countries, from Tanzania to Ethiopia.", "en",
         ("export_countries", 11, "exact")),
    ],
)  # fmt: skip
def test_phrasings_the_third_blind_set_showed(text: str, language: str, fact: tuple) -> None:
    assert fact in read(text, language)


def test_the_answer_to_a_question_about_markets_names_destinations() -> None:
    text = "— Какие рынки главные?\n— Южная Азия, прежде всего Индия, и Северная Африка — Алжир."
    assert destinations(text) == ["Южная Азия", "Индия", "Северная Африка", "Алжир"]


def test_a_quarter_and_months_periods() -> None:
    text = "Выручка компании за три квартала 2025 года составила 1,2 млрд рублей."
    facts = facts_in(text, article="a", published=PUBLISHED, title=None)
    assert (facts[0].period_start, facts[0].period_end) == (date(2025, 1, 1), date(2025, 9, 30))


def test_the_whole_city_as_a_whole_is_not_the_zone() -> None:
    text = "Резиденты экспортировали продукции на 8,2 млрд руб., а несырьевой экспорт Москвы в целом превысил 700 млрд руб."
    assert read(text) == [("export_volume", 8.2e9, "exact")]
