"""One hostile article must not stall the run: past its time budget it is quarantined, the
other articles are read, and the same file is not read again while it is unchanged."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from extract.facts import ExtractionTooSlow, facts_in
from orchestration.defs import articles as article_defs
from orchestration.defs.resources import ArticlesResource, WarehouseResource

GOOD = """Экспорт технополиса вырос

Дата публикации: 14.03.2025

Резиденты технополиса «Москва» в 2024 году экспортировали продукции на 2,1 млрд рублей.
"""


def test_extraction_past_its_budget_raises() -> None:
    numbers = "1-1-" * 250_000  # 1 MB of numbers: a few seconds on this machine
    began = time.monotonic()
    with pytest.raises(ExtractionTooSlow, match="time budget"):
        facts_in(numbers, article="hostile.txt", published=date(2025, 1, 1), title=None,
                 budget=0.3)  # fmt: skip
    assert time.monotonic() - began < 5  # it stops at the next sentence piece, not the end


def _materialize(tmp_path: Path, inbox: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [article_defs.articles],
        resources={
            "warehouse": WarehouseResource(
                path=str(tmp_path / "warehouse.duckdb"), build_path=str(tmp_path / "build.duckdb")
            ),
            "articles": ArticlesResource(folder_path=str(inbox)),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )


def _rows(tmp_path: Path, sql: str) -> list[tuple]:
    conn = duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_hostile_article_is_quarantined_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(article_defs, "ARTICLE_BUDGET_SECONDS", 0.3)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.txt").write_text(GOOD, encoding="utf-8")
    hostile = "выручка 123 рублей, экспорт 45 млн, инвестиции 6 млрд " * 20_000  # 1 MB, one line
    (inbox / "numbers.txt").write_text("Цифры\n\n" + hostile, encoding="utf-8")

    began = time.monotonic()
    assert _materialize(tmp_path, inbox).success
    assert time.monotonic() - began < 60
    assert _rows(tmp_path, "select source, reason from raw.quarantine") == [
        ("numbers.txt", "too_slow")
    ]
    assert _rows(tmp_path, "select source from raw.articles") == [("good.txt",)]
    assert _rows(tmp_path, "select metric, value from raw.article_facts") == [
        ("export_volume", 2.1e9)
    ]

    # unchanged, it stays out (not read and timed out again every night); the good one stays
    began = time.monotonic()
    assert _materialize(tmp_path, inbox).success
    assert time.monotonic() - began < 30
    assert _rows(tmp_path, "select source from raw.articles") == [("good.txt",)]
    assert _rows(tmp_path, "select count(*) from raw.quarantine") == [(1,)]

    # changed into a readable article, it is read and leaves the quarantine
    (inbox / "numbers.txt").write_text(GOOD.replace("2,1 млрд", "3,4 млрд"), encoding="utf-8")
    assert _materialize(tmp_path, inbox).success
    assert _rows(tmp_path, "select count(*) from raw.quarantine") == [(0,)]
    assert sorted(_rows(tmp_path, "select value from raw.article_facts")) == [(2.1e9,), (3.4e9,)]


def test_the_article_step_is_not_in_the_writer_pool() -> None:
    """The Bank of Russia's loads share the `duckdb_writer` pool; the article step does not take
    a slot, so a long extraction never holds the Bank's loads back (its writes take the lock)."""
    from orchestration.defs.cbr import cbr_rates

    assert cbr_rates.node_def.pool == "duckdb_writer"
    assert article_defs.articles.node_def.pool is None
