"""Numeric facts from news articles, each with the sentence it came from.

One package, read top to bottom:

- :mod:`~extract.facts.model`: :class:`Fact`, :class:`Quantity`, :class:`Sentence`.
- :mod:`~extract.facts.sentences`: sentences with their offsets, in bounded pieces.
- :mod:`~extract.facts.periods`: the period a figure covers, from the article's date.
- :mod:`~extract.facts.dedupe`: one fact per thing said.
- :mod:`~extract.facts.russian` and :mod:`~extract.facts.english`: the two languages behind one
  interface, ``extract_facts(text, *, article, published, title) -> list[Fact]``; Russian
  quantities in :mod:`~extract.facts.russian_numbers`, names in :mod:`~extract.facts.russian_names`.

The fact vocabulary (metrics, units, products, subjects) is :mod:`extract.vocabulary`; countries,
regions and blocs are :mod:`extract.facts.places`. The rules, with examples: docs/facts.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from extract.articles import Article
from extract.facts import english, russian, russian_numbers
from extract.facts.model import EXTRACTOR_VERSION, ExtractionTooSlow, Fact, Quantity, Sentence
from extract.facts.periods import find_period
from extract.facts.sentences import split_sentences

ARTICLE_BUDGET_SECONDS = 20.0
"""Seconds an article may take: a real one takes well under one; 1 MB of numbers takes 3-13."""

Extractor = Callable[..., list[Fact]]
"""``extract_facts(text, *, article, published, title) -> list[Fact]`` of one language."""

LANGUAGES: dict[str, Extractor] = {"ru": russian.extract_facts, "en": english.extract_facts}


def facts_in(
    text: str,
    *,
    article: str,
    published: date | None,
    title: str | None,
    language: str = "ru",
    budget: float | None = None,
) -> list[Fact]:
    """The facts of an article in ``language`` ("ru" or "en"), de-duplicated, in reading order.

    A headline often states a figure the text does not repeat («увеличили экспорт на треть»):
    facts of the title that the text does not state come first, with an empty span at 0 (the
    title is not part of ``text``) and their rule marked ``_title``.

    ``budget`` is the most seconds the article may take: past it, :class:`ExtractionTooSlow`
    (:data:`ARTICLE_BUDGET_SECONDS` is what the pipeline gives each article).
    """
    extract = LANGUAGES.get(language, russian.extract_facts)
    deadline = time.monotonic() + budget if budget is not None else None
    facts = extract(text, article=article, published=published, title=title, deadline=deadline)
    if not title or not title.strip() or text.lstrip().startswith(title.strip()):
        return facts
    if not _states_a_figure(title, language):
        return facts  # most headlines give no figure: skip the whole reading of them
    headline = [
        replace(fact, char_start=0, char_end=0, rule=f"{fact.rule}_title")
        for fact in extract(
            title, article=article, published=published, title=title, deadline=deadline
        )
        if not any(_restates(fact, said) for said in facts)
    ]
    return headline + facts


def _states_a_figure(title: str, language: str) -> bool:
    if language == "en":
        return bool(english.find_quantities(title))
    lower = title.lower()
    return bool(
        russian_numbers.find_quantities(title)
        or russian.MULTIPLYING_VERBS.search(lower)
        or russian.BY_HALF.search(lower)
    )


def _restates(headline: Fact, said: Fact) -> bool:
    """Whether a headline's figure is one the text states: the same value and unit (the text's
    reading of it wins), or a rounded one («почти на 50%» for 48,9%)."""
    if headline.metric == "export_destination" or said.metric == "export_destination":
        return headline.metric == said.metric and headline.region == said.region
    if headline.unit != said.unit or headline.value is None or said.value is None:
        return False
    tolerance = 0.05 if headline.qualifier != "exact" else 0.001
    return abs(headline.value - said.value) <= tolerance * max(abs(said.value), 1e-9)


def extract_facts(
    text: str, *, article: str = "", published: date | None = None, title: str | None = None
) -> list[Fact]:
    """The facts of a Russian article's text (:func:`facts_in` for another language)."""
    return russian.extract_facts(text, article=article, published=published, title=title)


def extract_article_facts(article: Article) -> list[Fact]:
    """The facts of one article read by :mod:`extract.articles`; spans point into its text."""
    return facts_in(
        article.text,
        article=article.source,
        published=article.published_date or article.view_date,
        title=article.title,
        language=article.language,
    )


__all__ = [
    "ARTICLE_BUDGET_SECONDS",
    "EXTRACTOR_VERSION",
    "LANGUAGES",
    "ExtractionTooSlow",
    "Fact",
    "Quantity",
    "Sentence",
    "extract_article_facts",
    "extract_facts",
    "facts_in",
    "find_period",
    "split_sentences",
]
