"""What fact extraction produces and passes around: Fact, Quantity, Sentence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

EXTRACTOR_VERSION = "2.0"
"""Stored facts of an older version are extracted again (see :mod:`extract.article_store`)."""


@dataclass(frozen=True)
class Fact:
    """One fact: a metric's value with its qualifier, period, subject, place and evidence."""

    article: str
    metric: str
    value: float | None
    unit: str | None
    qualifier: str
    period_start: date | None
    period_end: date | None
    subject: str | None
    region: str | None
    region_code: str | None
    product: str | None
    evidence: str
    char_start: int
    char_end: int
    rule: str
    target_year: int | None = None


@dataclass(frozen=True)
class Sentence:
    """A sentence and where it starts in its article's text."""

    start: int
    text: str


@dataclass(frozen=True)
class Quantity:
    """One quantity in a sentence, before it is given a metric. Offsets are in the sentence.

    ``kind`` is number | percent | multiplier | share; ``unit`` is set for money (RUB, USD, EUR,
    CNY) and areas (m2, ha, km2); ``noun`` is the counted noun's lemma ("резидент", "место",
    "company", ...) with ``noun_words`` the lemmas of its phrase; ``preposition`` the word just
    before the number ("в", "на"); ``sign`` an explicit plus («+48,9%»).
    """

    start: int
    end: int
    value: float
    kind: str
    unit: str | None
    qualifier: str
    noun: str | None
    noun_words: tuple[str, ...]
    preposition: str | None
    rule: str
    sign: bool = False

    def but(self, **changes: object) -> Quantity:
        """A copy with ``changes`` applied."""
        from dataclasses import replace

        return replace(self, **changes)


class ExtractionTooSlow(Exception):
    """An article took longer than its time budget (hostile input: a megabyte of numbers)."""


def check_deadline(deadline: float | None, article: str) -> None:
    """Raise :class:`ExtractionTooSlow` once ``time.monotonic()`` has passed ``deadline``."""
    import time

    if deadline is not None and time.monotonic() > deadline:
        raise ExtractionTooSlow(f"{article}: fact extraction ran over its time budget")


MAX_QUANTITIES = 64
"""The most quantities read from one sentence piece (see :mod:`extract.facts.sentences`), in
either language. A real sentence has a handful; a piece with more is a table or hostile input
(«123 123 123 ...»), and the cap bounds the work of every later step, which looks at the whole
sentence per quantity."""

Span = tuple[int, int, str]
"""``(start, end, name)`` of something named in a sentence: a place, a product, a subject."""
