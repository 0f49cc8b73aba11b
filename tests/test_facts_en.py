"""English fact extraction: each number form, period, name and distractor, and the English
articles of the evaluation corpus against their gold facts."""

from __future__ import annotations

from datetime import date

import pytest

from extract.articles import read_path
from extract.evaluation import DEFAULT_CORPUS, DEFAULT_GOLD, load_gold, matches
from extract.facts.english import extract_facts as extract_english_facts
from extract.facts.periods import english_period as find_period
from extract.vocabulary import METRIC_UNITS, PRODUCT_TERMS

PUBLISHED = date(2024, 8, 20)


def facts(text: str, published: date | None = PUBLISHED):
    return extract_english_facts(text, article="t", published=published)


def only(text: str, published: date | None = PUBLISHED):
    found = facts(text, published)
    assert len(found) == 1, [(f.metric, f.value, text[f.char_start : f.char_end]) for f in found]
    return found[0]


# --------------------------------------------------------------------------- amounts and areas


@pytest.mark.parametrize(
    ("sentence", "metric", "value"),
    [
        ("Residents exported equipment worth 2.6 billion roubles.", "export_volume", 2.6e9),
        ("Foreign sales of the park reached RUB 1.4bn.", "export_volume", 1.4e9),
        ("Shipments abroad came to 1,750 million rubles.", "export_volume", 1.75e9),
        ("The zone's residents posted revenue of RUB 61 billion.", "revenue", 61e9),
        ("Turnover of the site's companies hit 800 mln rubles.", "revenue", 8e8),
        ("The developer will invest 3 billion ₽ in the technopark.", "investment", 3e9),
        ("The site spans 42.5 hectares.", "land_area", 425_000),
        ("The grounds cover 1.2 square kilometres.", "land_area", 1_200_000),
        ("The technopark offers 150,000 square metres of floor space.", "floor_area", 150_000),
        ("A new 18,000 sq m laboratory block has opened.", "floor_area", 18_000),
        ("Workshops total 12 thousand square meters.", "floor_area", 12_000),
    ],
)
def test_amounts_and_areas(sentence: str, metric: str, value: float) -> None:
    fact = only(sentence)
    assert (fact.metric, fact.unit) == (metric, METRIC_UNITS[metric])
    assert fact.value == pytest.approx(value)


@pytest.mark.parametrize(
    "sentence",
    [
        "The resident signed a $5 million export contract.",
        "Exports to Europe were worth EUR 3 million.",
        "The company sold chips abroad for 12 million dollars.",
    ],
)
def test_other_currencies_are_skipped(sentence: str) -> None:
    assert [f.metric for f in facts(sentence)] in ([], ["export_destination"])


# --------------------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("sentence", "metric", "value"),
    [
        ("The zone is home to 185 residents.", "resident_count", 185),
        ("Some 90 companies are residents of the site.", "resident_count", 90),
        ("Nineteen companies work at the business park.", "company_count", 19),
        ("In 2023 the zone welcomed 21 new residents.", "new_residents", 21),
        ("Eight companies were granted resident status in March.", "new_residents", 8),
        ("Its residents have created 4,800 high-tech jobs.", "jobs", 4800),
        ("The plant employs 650 people.", "jobs", 650),
        ("The zone consists of five sites.", "site_count", 5),
        ("Residents plan to open 12 production facilities.", "production_count", 12),
        ("Two production buildings are under construction.", "building_count", 2),
        ("A nine-storey building for start-ups was finished.", "building_count", 1),
        ("Residents exported goods to 31 countries.", "export_countries", 31),
    ],
)
def test_counts(sentence: str, metric: str, value: float) -> None:
    fact = only(sentence)
    assert (fact.metric, fact.value, fact.unit) == (metric, value, "count")


def test_storey_number_is_not_a_count() -> None:
    fact = only("A twelve-storey complex will be built.")
    assert (fact.metric, fact.value) == ("building_count", 1)


# --------------------------------------------------------------------------- shares and growth


@pytest.mark.parametrize(
    ("sentence", "metric", "value"),
    [
        ("Microelectronics accounted for 62% of the zone's exports.", "export_share", 0.62),
        ("Eighty percent of exports went to Kazakhstan.", "export_share", 0.8),
        ("A quarter of all exports went to Belarus.", "export_share", 0.25),
        ("Two thirds of shipments abroad consisted of LED lighting.", "export_share", 2 / 3),
        ("Every sixth resident sold its products abroad.", "exporters_share", 1 / 6),
        ("One in four residents exports its goods.", "exporters_share", 0.25),
        ("Some 30% of residents export.", "exporters_share", 0.3),
        ("Exports were up 22% year-on-year.", "export_growth", 1.22),
        ("Revenue grew by 8.5 per cent.", "revenue_growth", 1.085),
        ("Foreign sales fell 10%.", "export_growth", 0.9),
        ("Investment showed a 40% increase.", "investment_growth", 1.4),
        ("Output of the plant jumped by a third.", "output_growth", 4 / 3),
        ("Exports tripled.", "export_growth", 3),
        ("Revenue doubled.", "revenue_growth", 2),
        ("Investment grew 4.2 times.", "investment_growth", 4.2),
        ("Exports rose one and a half times.", "export_growth", 1.5),
        ("Output grew threefold.", "output_growth", 3),
    ],
)
def test_shares_and_multipliers(sentence: str, metric: str, value: float) -> None:
    fact = next(f for f in facts(sentence) if f.metric != "export_destination")
    assert (fact.metric, fact.unit) == (metric, METRIC_UNITS[metric])
    assert fact.value == pytest.approx(value)


# --------------------------------------------------------------------------- qualifiers


@pytest.mark.parametrize(
    ("sentence", "qualifier"),
    [
        ("The site has more than 70 residents.", "over"),
        ("The site has over 70 residents.", "over"),
        ("Exports exceeded 2 billion roubles.", "over"),
        ("Exports were above RUB 2bn.", "over"),
        ("The site has about 70 residents.", "approx"),
        ("The site has around 70 residents.", "approx"),
        ("The site has approximately 70 residents.", "approx"),
        ("The site has roughly 70 residents.", "approx"),
        ("The site has nearly 70 residents.", "almost"),
        ("Almost half of exports went to India.", "almost"),
        ("The site has less than 70 residents.", "under"),
        ("The site has under 70 residents.", "under"),
        ("The site will create up to 700 jobs.", "under"),
        ("The site has 70 residents.", "exact"),
    ],
)
def test_qualifiers(sentence: str, qualifier: str) -> None:
    fact = next(f for f in facts(sentence) if f.metric != "export_destination")
    assert fact.qualifier == qualifier


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("sentence", "period"),
    [
        ("Exports reached RUB 2bn in 2022.", ((2022, 1, 1), (2022, 12, 31))),
        ("Exports reached RUB 2bn last year.", ((2023, 1, 1), (2023, 12, 31))),
        ("Exports reached RUB 2bn this year.", ((2024, 1, 1), (2024, 12, 31))),
        ("Exports reached RUB 2bn in the first half.", ((2024, 1, 1), (2024, 6, 30))),
        ("Exports reached RUB 2bn in H2 2023.", ((2023, 7, 1), (2023, 12, 31))),
        ("Exports reached RUB 2bn in Q1.", ((2024, 1, 1), (2024, 3, 31))),
        ("Exports reached RUB 2bn in the third quarter of 2022.", ((2022, 7, 1), (2022, 9, 30))),
        ("Exports reached RUB 2bn in January-May.", ((2024, 1, 1), (2024, 5, 31))),
        ("Exports reached RUB 2bn from January to April 2021.", ((2021, 1, 1), (2021, 4, 30))),
        ("Exports reached RUB 2bn in the first nine months.", ((2024, 1, 1), (2024, 9, 30))),
        ("Exports reached RUB 2bn in 2021-2023.", ((2021, 1, 1), (2023, 12, 31))),
        ("Exports were 20% higher in 2023 than in 2021.", ((2023, 1, 1), (2023, 12, 31))),
        ("Exports rose 20% in 2023 compared with 2022.", ((2023, 1, 1), (2023, 12, 31))),
        ("Exports rose 20% on 2022.", None),
        ("Exports rose 20% on last year.", None),
        ("Exports rose 20% compared with the same period of 2022.", None),
        ("Exports reached RUB 2bn.", None),
    ],
)
def test_periods(sentence: str, period) -> None:
    expected = (date(*period[0]), date(*period[1])) if period else None
    assert find_period(sentence, PUBLISHED) == expected
    fact = only(sentence)
    assert (fact.period_start, fact.period_end) == (expected or (None, None))


def test_relative_periods_need_a_date() -> None:
    assert find_period("Exports grew 20% last year.", None) is None


def test_stocks_have_no_period_but_a_target_year() -> None:
    fact = only("By 2030 the zone will have 400 residents.")
    assert (fact.period_start, fact.target_year) == (None, 2030)
    assert only("The zone had 250 residents in 2023.").period_start is None


def test_comparison_bases_are_not_facts() -> None:
    found = facts("Revenue rose to RUB 9bn in 2023 from RUB 7bn in 2022.")
    assert [(f.metric, f.value, f.period_start) for f in found] == [
        ("revenue", 9e9, date(2023, 1, 1))
    ]


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("sentence", "subject"),
    [
        ("Technopolis Moscow has 250 residents.", "Технополис Москва"),
        ("The special economic zone has 250 residents.", "Технополис Москва"),
        ("The zone's sites host 250 residents.", "Технополис Москва"),
        ("Pechatniki hosts 40 residents.", "Печатники"),
        ("The Mikron site hosts 40 residents.", "Микрон"),
        ("MIET hosts 40 residents.", "МИЭТ"),
        ("Angstrem hosts 40 residents.", "Ангстрем"),
        ("The Alabushevo site hosts 40 residents.", "Алабушево"),
        ("Rudnevo hosts 40 residents.", "Руднево"),
        ('Jewellery maker "Serebryany Bereg" employs 300 people.', "Serebryany Bereg"),
        ("The jeweller Almaz Group created 120 jobs.", "Almaz Group"),
        ("Russian jewellery output rose 5%.", None),
    ],
)
def test_subjects(sentence: str, subject: str | None) -> None:
    assert only(sentence).subject == subject


def test_the_company_is_the_last_named_one() -> None:
    text = (
        'Technopolis Moscow resident "Kvant Lab" opened a plant.\n'
        "The company will invest RUB 600m in it. Technopolis Moscow has 200 residents."
    )
    found = facts(text)
    assert [(f.metric, f.subject) for f in found] == [
        ("investment", "Kvant Lab"),
        ("resident_count", "Технополис Москва"),
    ]


def test_article_subject_for_sentences_without_one() -> None:
    text = "Technopolis Moscow grew fast.\nThe special economic zone now has 240 residents."
    text += "\nResidents provide 20,000 jobs."
    assert [f.subject for f in facts(text)] == ["Технополис Москва", "Технополис Москва"]


@pytest.mark.parametrize(
    ("sentence", "region", "code"),
    [
        ("Residents exported robots to China.", "Китай", "CN"),
        ("Exports went to the United Arab Emirates.", "ОАЭ", "AE"),
        ("Exports to the UAE grew.", "ОАЭ", "AE"),
        ("The plant exports to Kazakhstan.", "Казахстан", "KZ"),
        ("The plant exports to India.", "Индия", "IN"),
        ("The plant exports to Turkey.", "Турция", "TR"),
        ("The plant exports to the US.", "США", "US"),
        ("The plant exports to South-East Asia.", "Юго-Восточная Азия", None),
        ("The plant exports to Southeast Asia.", "Юго-Восточная Азия", None),
        ("The plant exports to the CIS.", "СНГ", None),
        ("The plant exports to the EAEU.", "ЕАЭС", None),
        ("The plant exports to Western Europe.", "Западная Европа", None),
        ("The plant exports to Europe.", "Европа", None),
        ("The plant exports to North America.", "Северная Америка", None),
        ("The plant exports to the Middle East.", "Ближний Восток", None),
    ],
)
def test_destinations(sentence: str, region: str, code: str | None) -> None:
    fact = only(sentence)
    assert (fact.metric, fact.region, fact.region_code, fact.value) == (
        "export_destination",
        region,
        code,
        None,
    )
    assert sentence[fact.char_start : fact.char_end].lower() in sentence.lower()


def test_destination_with_a_count_of_countries() -> None:
    fact = only("Batteries were shipped to three countries of Central Asia.")
    assert (fact.region, fact.value, fact.product) == (
        "Центральная Азия",
        3,
        "литий-ионные батареи",
    )


def test_count_of_countries_next_to_named_ones() -> None:
    found = facts("Exports went to 15 countries, including Serbia and Egypt.")
    assert sorted((f.metric, f.region, f.value) for f in found) == [
        ("export_countries", None, 15),
        ("export_destination", "Египет", None),
        ("export_destination", "Сербия", None),
    ]


def test_destinations_follow_an_export_sentence_with_anaphora() -> None:
    text = "Residents exported medical equipment.\nThey were sold mainly in Mongolia and Iran."
    found = facts(text)
    assert [(f.region, f.product) for f in found] == [
        ("Монголия", "медицинская техника"),
        ("Иран", "медицинская техника"),
    ]


def test_places_outside_an_export_context_are_not_destinations() -> None:
    assert facts("The delegation from India visited the Pechatniki site.") == []


@pytest.mark.parametrize(
    ("sentence", "product"),
    [
        ("Microelectronics made up 40% of exports to India.", "микроэлектроника"),
        ("Microchips made up 40% of exports to India.", "микроэлектроника"),
        ("Lithium-ion batteries made up 40% of exports to India.", "литий-ионные батареи"),
        ("Jewellery made up 40% of exports to India.", "ювелирные изделия"),
        ("Jewelry made up 40% of exports to India.", "ювелирные изделия"),
        ("Medical equipment made up 40% of exports to India.", "медицинская техника"),
        ("Pharmaceuticals made up 40% of exports to India.", "фармацевтика"),
        ("Composite parts made up 40% of exports to India.", "композитные материалы"),
        ("LED lighting made up 40% of exports to India.", "светотехника"),
    ],
)
def test_products(sentence: str, product: str) -> None:
    share = next(f for f in facts(sentence) if f.metric == "export_share")
    assert (share.value, share.product, share.region) == (pytest.approx(0.4), product, "Индия")


def test_names_are_the_vocabulary_names() -> None:
    from extract.facts import english as facts_en

    assert {name for name, _ in facts_en.PRODUCTS} <= {term.name for term in PRODUCT_TERMS}


# --------------------------------------------------------------------------- distractors


@pytest.mark.parametrize(
    "sentence",
    [
        "The zone was founded in 2006.",
        "Call +7 (495) 123-45-67 for details.",
        "Press office: +7 495 123 45 67, 12 Tverskaya Street, building 3.",
        "The meeting on 14.05.2024 starts at 10:30.",
        "The 47-year-old director, aged 47, has led the firm since 2015.",
        "Page 2 of 5. 14 comments.",
        "Consumer prices rose 8.2% last year.",
        "The city budget is about 5 trillion roubles.",
        "The Bank of Russia raised its key rate to 16%.",
        "The average salary at the plant is RUB 110,000.",
        "Residents pay no property tax for ten years.",
        "He is one of the top 10 companies' founders.",
        "In 2023 residents presented their products at an exhibition.",
        "Gold prices rose 20% in the first half.",
        "The first half of the year was busy.",
    ],
)
def test_distractors(sentence: str) -> None:
    assert facts(sentence) == []


def test_spans_and_evidence_point_into_the_text() -> None:
    text = "Intro line.\nThe zone has about 30,000 jobs. It exports to Japan."
    jobs, destination = facts(text)
    assert text[jobs.char_start : jobs.char_end] == "30,000 jobs"
    assert jobs.evidence == "The zone has about 30,000 jobs."
    assert text[destination.char_start : destination.char_end] == "Japan"
    assert (jobs.rule, destination.rule) == ("en_count", "en_destination")


# --------------------------------------------------------------------------- the corpus


ENGLISH_ARTICLES = [
    "technopolis_moscow_en_2024.txt",
    "technopolis_exports_en_2022.txt",
    "jewelry_output_en_2025.txt",
]


@pytest.mark.parametrize("name", ENGLISH_ARTICLES)
def test_corpus_article_matches_its_gold_facts(name: str) -> None:
    articles, _ = read_path(DEFAULT_CORPUS / name)
    article = articles[0]
    assert article.language == "en"
    predicted = extract_english_facts(
        article.text, article=article.source, published=article.published_date
    )
    gold = [fact for fact in load_gold(DEFAULT_GOLD) if fact.article == name]
    assert 5 <= len(gold) <= 10
    remaining = list(gold)
    spurious = []
    for fact in predicted:
        hit = next((g for g in remaining if matches(fact, g)), None)
        if hit is None:
            spurious.append(fact)
        else:
            remaining.remove(hit)
    assert remaining == [], "missed gold facts"
    assert spurious == [], "facts not in the gold set"
    for fact in predicted:
        assert fact.rule.startswith("en_")
        assert fact.evidence in article.text
        assert article.text.find(fact.evidence) <= fact.char_start < fact.char_end
