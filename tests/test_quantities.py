"""The quantity grammar on the number forms Russian news uses."""

from __future__ import annotations

import pytest

from extract.facts.russian_numbers import find_quantities


def only(sentence: str):
    found = find_quantities(sentence)
    assert len(found) == 1, [(sentence[q.start : q.end], q) for q in found]
    return found[0]


@pytest.mark.parametrize(
    ("sentence", "value", "unit", "qualifier"),
    [
        ("Компании продали оборудования на 1,2 миллиарда рублей.", 1.2e9, "RUB", "exact"),
        ("Объем сделки составил 1 250 млн руб. по итогам торгов.", 1.25e9, "RUB", "exact"),
        ("Вложения достигли почти 500 миллионов рублей.", 5e8, "RUB", "almost"),
        ("Выручка превысила 58,1 млрд рублей.", 58.1e9, "RUB", "over"),
        ("Бюджет проекта — не менее 3,5 млрд руб.", 3.5e9, "RUB", "over"),
        ("Инвестиции составят порядка 800 млн рублей.", 8e8, "RUB", "approx"),
        ("Затраты могут вырасти до 2 млрд рублей.", 2e9, "RUB", "under"),
        ("Участок занимает 223,3 гектара.", 223.3, "ha", "exact"),
        ("Площадь парка — 40 га.", 40, "ha", "exact"),
        ("Построят около 150 тысяч квадратных метров.", 150_000, "m2", "approx"),
        ("Площадь превысит 100 тыс. кв. метров.", 100_000, "m2", "over"),
        ("Склад на 12 000 кв. м сдан.", 12_000, "m2", "exact"),
        ("Цех площадью 5 тыс. м² открыт.", 5_000, "m2", "exact"),
    ],
)
def test_amounts_with_units(sentence: str, value: float, unit: str, qualifier: str) -> None:
    quantity = only(sentence)
    assert quantity.value == pytest.approx(value)
    assert (quantity.unit, quantity.qualifier) == (unit, qualifier)


@pytest.mark.parametrize(
    ("sentence", "value", "noun", "qualifier"),
    [
        ("Здесь работают более 180 высокотехнологичных компаний.", 180, "компания", "over"),
        ("Проект создаст свыше 1,2 тыс. рабочих мест.", 1200, "место", "over"),
        ("Зона состоит из пяти площадок.", 5, "площадка", "exact"),
        ("Запустят более 10 современных производств.", 10, "производство", "over"),
        ("Возведут два производственных корпуса.", 2, "корпус", "exact"),
        ("Продукцию поставили в более чем 20 стран.", 20, "страна", "over"),
        ("Появится полторы тысячи рабочих мест.", 1500, "место", "exact"),
        ("Статус получили двенадцать новых резидентов.", 12, "резидент", "exact"),
        ("Там разместятся около двухсот пятидесяти компаний.", 250, "компания", "approx"),
        ("Построят семиэтажный офисный комплекс.", 1, "комплекс", "exact"),
    ],
)
def test_counts_with_their_noun(sentence: str, value: float, noun: str, qualifier: str) -> None:
    quantity = only(sentence)
    assert (quantity.value, quantity.noun, quantity.qualifier) == (value, noun, qualifier)


@pytest.mark.parametrize(
    ("sentence", "value", "kind"),
    [
        ("Экспорт вырос в 3,3 раза.", 3.3, "multiplier"),
        ("Выпуск вырос втрое.", 3, "multiplier"),
        ("Оборот увеличился вдвое.", 2, "multiplier"),
        ("Выручка: +48,9% к прошлому году.", 1.489, "multiplier"),
        ("Экспортировал каждый седьмой резидент.", 1 / 7, "share"),
        ("Экспортирует каждый 10-й резидент.", 0.1, "share"),
        ("На оборудование пришлась почти половина поставок.", 0.5, "share"),
        ("Две трети экспорта ушли в Азию.", 2 / 3, "share"),
        ("Вложения выросли на треть.", 1 / 3, "share"),
        ("На долю электроники пришлось 70% продаж.", 70, "percent"),
    ],
)
def test_multipliers_shares_and_percentages(sentence: str, value: float, kind: str) -> None:
    quantity = only(sentence)
    assert quantity.value == pytest.approx(value, rel=1e-6)
    assert quantity.kind == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "Звоните по телефону +7 (495) 123-45-67 с 9:00.",
        "Встреча прошла 12 февраля 2021 года.",
        "Документ подписан 05.12.2025 в Москве.",
        "Офис находится по адресу: ул. Ленина, д. 5.",
        "Согласно ч. 2 ст. 14 закона, решение принято.",
        "Одна из площадок находится в Печатниках.",
        "В 2019 году открылся музей.",
        "Второй этап начнется в 2027-м.",
    ],
)
def test_distractors_are_not_quantities(sentence: str) -> None:
    found = find_quantities(sentence)
    assert [
        sentence[q.start : q.end] for q in found if q.noun or q.unit or q.kind != "number"
    ] == []


def test_spans_point_at_the_quantity() -> None:
    sentence = "Резиденты экспортировали продукции на 1,2 миллиарда рублей за год."
    quantity = only(sentence)
    assert sentence[quantity.start : quantity.end] == "1,2 миллиарда рублей"


@pytest.mark.parametrize(
    ("sentence", "value", "unit", "qualifier"),
    [
        ("Вложения составят более миллиона рублей.", 1e6, "RUB", "over"),
        ("Оборот превысил миллиард рублей.", 1e9, "RUB", "over"),
        ("Здесь работает тысяча компаний.", 1000, None, "exact"),
    ],
)
def test_a_scale_word_alone_is_the_number(
    sentence: str, value: float, unit: str | None, qualifier: str
) -> None:
    quantity = only(sentence)
    assert (quantity.value, quantity.unit, quantity.qualifier) == (value, unit, qualifier)


def test_plural_scale_words_are_vague_not_numbers() -> None:
    assert find_quantities("Миллионы людей смотрят трансляцию.") == []


@pytest.mark.parametrize(
    ("sentence", "span", "value"),
    [
        ("Оборот составил 1 200 000 рублей.", "1 200 000 рублей", 1.2e6),
        ("Выручка — 1 250,5 тыс. рублей.", "1 250,5 тыс. рублей", 1_250_500),
    ],
)
def test_groups_of_thousands_glued_by_one_space(sentence: str, span: str, value: float) -> None:
    quantity = only(sentence)
    assert (sentence[quantity.start : quantity.end], quantity.value) == (span, value)


def test_a_group_with_decimals_ends_the_number() -> None:
    sentence = "Цена 1 250,5 000 рублей."
    first = find_quantities(sentence)[0]
    assert (sentence[first.start : first.end], first.value) == ("1 250,5", 1250.5)


@pytest.mark.parametrize(
    "sentence",
    [
        "Экспорт вырос в 3,2 р. больше, чем годом ранее.",
        "Экспорт вырос в 3,2 р.",
        "Экспорт вырос в 3,2 Р. БОЛЬШЕ прежнего.",
    ],
)
def test_r_after_v_and_before_a_comparison_is_times(sentence: str) -> None:
    quantity = only(sentence)
    assert (quantity.value, quantity.kind, quantity.unit) == (3.2, "multiplier", None)
