"""Precision and recall of fact extraction against the hand-made gold set in data/eval.

    python -m extract.evaluation [--corpus DIR] [--gold FILE] [--errors]

A predicted fact matches a gold fact when article, metric, unit and qualifier are equal, the
value is within 0.5 % (or both are null), and every period, subject, region and product the gold
fact gives is equal (docs/facts.md). Each gold fact matches at most one prediction.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from extract.articles import read_path
from extract.facts import Fact, extract_article_facts
from extract.formatting import shorten

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT_ROOT / "data" / "eval" / "articles"
DEFAULT_GOLD = PROJECT_ROOT / "data" / "eval" / "gold.jsonl"


@dataclass(frozen=True)
class GoldFact:
    article: str
    metric: str
    value: float | None
    unit: str | None
    qualifier: str
    period_start: date | None
    period_end: date | None
    subject: str | None
    region: str | None
    product: str | None
    evidence: str


@dataclass
class Score:
    """Counts for one metric (or all of them)."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


@dataclass
class Report:
    """Scores per metric and overall, with the facts that did not match."""

    per_metric: dict[str, Score] = field(default_factory=dict)
    overall: Score = field(default_factory=Score)
    missed: list[GoldFact] = field(default_factory=list)
    spurious: list[Fact] = field(default_factory=list)
    articles: int = 0


def load_gold(path: Path) -> list[GoldFact]:
    facts = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        try:
            facts.append(
                GoldFact(
                    article=row["article"],
                    metric=row["metric"],
                    value=None if row.get("value") is None else float(row["value"]),
                    unit=row.get("unit"),
                    qualifier=row.get("qualifier") or "exact",
                    period_start=_day(row.get("period_start")),
                    period_end=_day(row.get("period_end")),
                    subject=row.get("subject"),
                    region=row.get("region"),
                    product=row.get("product"),
                    evidence=row.get("evidence", ""),
                )
            )
        except KeyError as exc:
            raise ValueError(f"{path}:{number}: gold fact without {exc}") from None
    return facts


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def matches(predicted: Fact, gold: GoldFact) -> bool:
    """Whether a prediction states the gold fact (see the module docstring)."""
    if (predicted.article, predicted.metric, predicted.unit, predicted.qualifier) != (
        gold.article,
        gold.metric,
        gold.unit,
        gold.qualifier,
    ):
        return False
    if (gold.value is None) != (predicted.value is None):
        return False
    if gold.value is not None and predicted.value is not None:
        scale = max(abs(gold.value), 1e-9)
        if abs(predicted.value - gold.value) / scale > 0.005:
            return False
    for name in ("period_start", "period_end", "subject", "region", "product"):
        expected = getattr(gold, name)
        if expected is not None and getattr(predicted, name) != expected:
            return False
    return True


def evaluate(corpus: Path = DEFAULT_CORPUS, gold_path: Path = DEFAULT_GOLD) -> Report:
    """Extract facts from every article of ``corpus`` and score them against the gold file."""
    gold = load_gold(gold_path)
    articles, _ = read_path(corpus)
    predicted = [fact for article in articles for fact in extract_article_facts(article)]
    report = Report(articles=len(articles))
    remaining = list(gold)
    for fact in predicted:
        hit = next((g for g in remaining if matches(fact, g)), None)
        score = report.per_metric.setdefault(fact.metric, Score())
        if hit is not None:
            remaining.remove(hit)
            score.true_positives += 1
        else:
            score.false_positives += 1
            report.spurious.append(fact)
    for missed in remaining:
        report.per_metric.setdefault(missed.metric, Score()).false_negatives += 1
        report.missed.append(missed)
    for score in report.per_metric.values():
        report.overall.true_positives += score.true_positives
        report.overall.false_positives += score.false_positives
        report.overall.false_negatives += score.false_negatives
    return report


def format_report(report: Report, errors: bool = False) -> str:
    lines = [
        f"{report.articles} articles",
        "",
        f"{'metric':<20} {'gold':>5} {'found':>6} {'P':>6} {'R':>6}",
    ]
    rows = sorted(report.per_metric.items())
    for metric, score in [*rows, ("ALL", report.overall)]:
        gold = score.true_positives + score.false_negatives
        found = score.true_positives + score.false_positives
        lines.append(
            f"{metric:<20} {gold:>5} {found:>6} {score.precision:>6.3f} {score.recall:>6.3f}"
        )
    if errors:
        lines += ["", "missed (in gold, not extracted):"]
        lines += [
            f"  {g.article}: {g.metric} {g.value} {g.qualifier} | {g.evidence}"
            for g in report.missed
        ]
        lines += ["", "spurious (extracted, not in gold):"]
        lines += [
            f"  {f.article}: {f.metric} {f.value} {f.qualifier} {f.period_start} {f.subject} "
            f"{f.region} {f.product} | {shorten(f.evidence, 90)}"
            for f in report.spurious
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m extract.evaluation", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--errors", action="store_true", help="list missed and spurious facts")
    args = parser.parse_args(argv)
    print(format_report(evaluate(args.corpus, args.gold), errors=args.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["GoldFact", "Report", "Score", "evaluate", "load_gold", "matches"]
