"""One fact per thing said: a figure repeated in an article is kept once."""

from __future__ import annotations

from extract.facts.model import Fact


def deduplicate(facts: list[Fact]) -> list[Fact]:
    """Keep the first of facts that say the same thing; one destination fact per place."""
    seen: set[tuple] = set()
    kept = []
    for fact in facts:
        if fact.metric == "export_destination":
            key: tuple = (fact.metric, fact.region)
        else:
            value = round(fact.value, 6) if fact.value is not None else None
            key = (fact.metric, value, fact.unit, fact.qualifier, fact.period_start,
                   fact.period_end, fact.subject, fact.region, fact.product)  # fmt: skip
        if key not in seen:
            seen.add(key)
            kept.append(fact)
    return kept
