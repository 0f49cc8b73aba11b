"""One vocabulary: the dbt tests read a copy of extract/vocabulary.py, which must not drift."""

from __future__ import annotations

import typing

import yaml

from extract.articles import QuarantineReason
from extract.facts.russian import destinations_named
from extract.vocabulary import (
    FLOW_METRICS,
    METRIC_UNITS,
    PRODUCT_TERMS,
    QUALIFIERS,
    find_terms,
)
from tests.conftest import PROJECT_ROOT


def dbt_vars() -> dict:
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    return project["vars"]


def test_dbt_vocabulary_matches_the_python_one() -> None:
    variables = dbt_vars()
    assert variables["fact_metric_units"] == METRIC_UNITS
    assert set(variables["fact_flow_metrics"]) == set(FLOW_METRICS)
    assert set(variables["fact_units"]) == {u for u in METRIC_UNITS.values() if u}
    assert tuple(variables["fact_qualifiers"]) == QUALIFIERS
    assert set(variables["quarantine_reasons"]) == set(typing.get_args(QuarantineReason))


def test_gazetteers_find_declined_forms() -> None:
    text = "Поставки в страны Юго-Восточной Азии, в Индию, Китае и СНГ; литий-ионных аккумуляторов"
    # «Азия» inside «Юго-Восточной Азии» is dropped: the longest place wins
    assert [name for _, _, name in destinations_named(text)] == [
        "Юго-Восточная Азия",
        "Индия",
        "Китай",
        "СНГ",
    ]
    assert {name for _, _, name in find_terms(PRODUCT_TERMS, text)} == {"литий-ионные батареи"}
