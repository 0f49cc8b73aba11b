"""Extraction quality on the hand-made corpus: the suite fails below these floors.

The dev corpus (data/eval/articles) is the one the rules were written against; the held-out one
(data/eval/heldout) and the blind one (data/eval/blind) were written without looking at the
extractor (their first-run figures are in their READMEs). README.md records the figures.
"""

from __future__ import annotations

import pytest

from extract.evaluation import DEFAULT_CORPUS, DEFAULT_GOLD, Report, evaluate
from tests.conftest import PROJECT_ROOT

HELDOUT = PROJECT_ROOT / "data" / "eval" / "heldout"


@pytest.fixture(scope="module")
def dev() -> Report:
    return evaluate(DEFAULT_CORPUS, DEFAULT_GOLD)


def test_dev_corpus_precision_and_recall(dev: Report) -> None:
    assert dev.articles >= 30
    assert dev.overall.true_positives + dev.overall.false_negatives >= 150
    assert dev.overall.precision >= 0.95
    assert dev.overall.recall >= 0.90


def test_every_metric_of_the_vocabulary_is_measured_and_above_its_floor(dev: Report) -> None:
    from extract.vocabulary import METRIC_UNITS

    assert set(dev.per_metric) == set(METRIC_UNITS)
    low = {
        metric: (round(score.precision, 3), round(score.recall, 3))
        for metric, score in dev.per_metric.items()
        if score.precision < 0.8 or score.recall < 0.75
    }
    assert low == {}


@pytest.mark.skipif(not (HELDOUT / "gold.jsonl").exists(), reason="no held-out set")
def test_heldout_corpus_precision_and_recall() -> None:
    report = evaluate(HELDOUT / "articles", HELDOUT / "gold.jsonl")
    assert report.overall.precision >= 0.85
    assert report.overall.recall >= 0.75


def test_heldout_and_blind_corpora_stay_close_to_dev() -> None:
    heldout = evaluate(HELDOUT / "articles", HELDOUT / "gold.jsonl")
    assert heldout.overall.precision >= 0.95 and heldout.overall.recall >= 0.90
    # the blind sets' first runs are in their READMEs; these floors keep what was fixed since
    floors = {"blind": (0.90, 0.85), "blind2": (0.78, 0.75), "blind3": (0.88, 0.85)}
    for name, (precision, recall) in floors.items():
        folder = PROJECT_ROOT / "data" / "eval" / name
        report = evaluate(folder / "articles", folder / "gold.jsonl")
        score = report.overall
        assert score.precision >= precision and score.recall >= recall, (name, score)
