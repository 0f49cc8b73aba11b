"""Articles into the raw tables: new, changed, duplicate, removed and quarantined inputs."""

from __future__ import annotations

from pathlib import Path

import duckdb

from extract.article_store import ingest, pending_extraction, store_extraction, store_extractions
from extract.articles import parse_ticker, read_path
from extract.facts import extract_facts
from extract.warehouse import connect_writer

EXPORTS = (
    "Экспорт технополиса вырос вдвое\n"
    "Дата публикации: 15.03.2023\n"
    "Резиденты технополиса «Москва» по итогам прошлого года экспортировали продукцию "
    "на 3,4 млрд рублей.\n"
)
JOBS = (
    "В Руднево откроют новый цех\n"
    "Дата публикации: 01.06.2024\n"
    "На площадке «Руднево» появится свыше 400 рабочих мест.\n"
)


def run(folder: Path, build: Path) -> tuple:
    articles, quarantined = read_path(folder)
    with connect_writer(build) as conn:
        summary = ingest(conn, articles, quarantined, complete=True)
        for stored in pending_extraction(conn):
            facts = extract_facts(
                stored.text, article=stored.source, published=stored.published_date
            )
            store_extraction(conn, stored.article_id, facts, parse_ticker(stored.header or ""))
    return summary


def rows(build: Path, sql: str) -> list[tuple]:
    conn = duckdb.connect(str(build), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_new_changed_duplicate_removed_and_quarantined(tmp_path: Path) -> None:
    inbox, build = tmp_path / "inbox", tmp_path / "build.duckdb"
    inbox.mkdir()
    (inbox / "exports.txt").write_text(EXPORTS, encoding="utf-8")
    (inbox / "jobs.txt").write_text(JOBS, encoding="utf-8")
    (inbox / "empty.txt").write_text("   \n", encoding="utf-8")
    first = run(inbox, build)
    assert (first.added, first.quarantined) == (2, 1)
    facts = rows(build, "select metric, value, period_start from raw.article_facts order by 1")
    assert [f[0] for f in facts] == ["export_volume", "jobs"]
    assert str(facts[0][2]) == "2022-01-01"  # «по итогам прошлого года» in a 2023 article
    assert rows(build, "select source, reason from raw.quarantine") == [("empty.txt", "empty")]

    # The same run again changes nothing and extracts nothing.
    again = run(inbox, build)
    assert (again.added, again.unchanged, again.removed) == (0, 2, 0)
    loaded = rows(build, "select article_id, extracted_at from raw.article_extractions order by 1")

    # A copy under another name is one article with two sources.
    (inbox / "exports-copy.txt").write_text(EXPORTS, encoding="utf-8")
    duplicate = run(inbox, build)
    assert duplicate.duplicates == 1
    assert rows(build, "select count(*) from raw.articles") == [(2,)]
    assert rows(build, "select count(*) from raw.article_sources") == [(3,)]
    assert (
        rows(build, "select article_id, extracted_at from raw.article_extractions order by 1")
        == loaded
    )

    # A changed file is re-read and re-extracted; its old text is gone with its facts.
    (inbox / "jobs.txt").write_text(JOBS.replace("400", "650"), encoding="utf-8")
    changed = run(inbox, build)
    assert (changed.changed, changed.added, changed.removed) == (1, 1, 1)
    assert rows(build, "select value from raw.article_facts where metric = 'jobs'") == [(650.0,)]

    # A file removed from the inbox is forgotten; the quarantined one is fixed.
    (inbox / "jobs.txt").unlink()
    (inbox / "empty.txt").write_text(JOBS, encoding="utf-8")
    fixed = run(inbox, build)
    assert rows(build, "select count(*) from raw.quarantine") == [(0,)]
    assert rows(build, "select count(*) from raw.articles") == [(2,)]
    assert (fixed.added, fixed.removed) == (1, 1)  # the 650 text went with jobs.txt


def test_a_runs_articles_stored_at_once_equal_those_stored_one_by_one(tmp_path: Path) -> None:
    """store_extractions (one transaction for a run) writes what store_extraction writes for
    each article in turn, and replaces an article's earlier facts and quotes the same way."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "exports.txt").write_text(EXPORTS, encoding="utf-8")
    (inbox / "jobs.txt").write_text(JOBS, encoding="utf-8")
    tables = (
        "select article_id, fact_index, metric, value, unit, period_start from raw.article_facts",
        "select article_id, quote_date, instrument, value from raw.ticker_quotes",
        "select article_id, extractor_version, fact_count from raw.article_extractions",
    )
    stored = {}
    for way in ("one_by_one", "at_once"):
        build = tmp_path / f"{way}.duckdb"
        articles, quarantined = read_path(inbox)
        with connect_writer(build) as conn:
            ingest(conn, articles, quarantined, complete=True)
            extracted = [
                (
                    item.article_id,
                    extract_facts(item.text, article=item.source, published=item.published_date),
                    parse_ticker(
                        "СЕГОДНЯ, 05.12.2025 | КУРСЫ ВАЛЮТ: USD:76,9708 | ЗОЛОТО :10 419,09"
                    ),
                )
                for item in pending_extraction(conn)
            ]
            for _ in range(2):  # the second time replaces the first
                if way == "at_once":
                    store_extractions(conn, extracted)
                else:
                    for article_id, facts, quotes in extracted:
                        store_extraction(conn, article_id, facts, quotes)
            assert pending_extraction(conn) == []
        stored[way] = [sorted(rows(build, sql)) for sql in tables]
    assert stored["at_once"] == stored["one_by_one"]
    facts, quotes, done = stored["at_once"]
    assert len(facts) == 2 and len(done) == 2
    assert len(quotes) == 4  # two instruments for each of the two articles, once each
