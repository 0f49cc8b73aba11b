"""Storing articles, their facts and quarantined inputs in the raw tables (extract.warehouse).

Articles are keyed by their text: the same text under two names is one article with two
sources. A source whose bytes changed points to its new article, and an article no source
points to any more is removed with its facts, so re-reading a folder never duplicates or loses
anything. Every change happens in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from extract.articles import Article, Quarantined, TickerQuote
from extract.facts.model import EXTRACTOR_VERSION, Fact
from extract.warehouse import transaction


@dataclass(frozen=True)
class IngestSummary:
    """What one pass over the inputs changed."""

    added: int  # new articles
    changed: int  # sources whose text changed (their old article removed if orphaned)
    unchanged: int  # sources seen before with the same bytes
    duplicates: int  # new sources whose text an existing article already has
    removed: int  # articles no source points to any more
    quarantined: int


@dataclass(frozen=True)
class StoredArticle:
    """An article row waiting for (re-)extraction."""

    article_id: str
    source: str
    title: str | None
    published_date: object
    view_date: object
    text: str
    header: str | None
    language: str


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def ingest(
    conn: duckdb.DuckDBPyConnection,
    articles: Sequence[Article],
    quarantined: Sequence[Quarantined],
    *,
    complete: bool = False,
) -> IngestSummary:
    """Add new and changed articles and record quarantined inputs.

    With ``complete`` (the inputs are the whole inbox), sources that are gone are forgotten too.
    """
    known = dict(conn.execute("select source, source_sha256 from raw.article_sources").fetchall())
    # An article quarantined for taking too long stays out while its file is unchanged.
    too_slow = dict(
        conn.execute(
            "select source, content_sha256 from raw.quarantine where reason = 'too_slow'"
        ).fetchall()
    )
    articles = [a for a in articles if too_slow.get(a.source) != a.source_sha256]
    existing = {row[0] for row in conn.execute("select article_id from raw.articles").fetchall()}
    added = changed = unchanged = duplicates = 0
    loaded_at = _now()
    with transaction(conn):
        seen_ids: set[str] = set()
        for article in articles:
            if known.get(article.source) == article.source_sha256:
                unchanged += 1
                continue
            if article.source in known:
                changed += 1
            if article.article_id in existing or article.article_id in seen_ids:
                duplicates += article.source not in known
            else:
                added += 1
                seen_ids.add(article.article_id)
                conn.execute(
                    "insert into raw.articles values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        article.article_id, article.source, article.url, article.title,
                        article.published_date, article.view_date, article.content_sha256,
                        article.text, len(article.text), article.language, loaded_at,
                        article.header,
                    ],
                )  # fmt: skip
            _replace_row(
                conn, "raw.article_sources", {"source": article.source},
                [article.source, article.article_id, article.source_sha256, loaded_at],
            )  # fmt: skip
        if complete:
            present = {article.source for article in articles} | {q.source for q in quarantined}
            gone = [source for source in known if source not in present]
            for source in gone:
                conn.execute("delete from raw.article_sources where source = ?", [source])
        for item in quarantined:
            _replace_row(
                conn, "raw.quarantine", {"source": item.source, "reason": item.reason},
                [item.source, item.reason, item.detail, item.source_sha256, loaded_at],
            )  # fmt: skip
            conn.execute("delete from raw.article_sources where source = ?", [item.source])
        for article in articles:  # a source that was quarantined before and reads well now
            conn.execute("delete from raw.quarantine where source = ?", [article.source])
        removed = _remove_orphans(conn)
    return IngestSummary(added, changed, unchanged, duplicates, removed, len(quarantined))


def _replace_row(
    conn: duckdb.DuckDBPyConnection, table: str, key: dict[str, object], row: list[object]
) -> None:
    """Delete the row with ``key``, then insert ``row``: an upsert that needs no primary key
    (a DuckLake table has none; ``insert or replace`` needs one)."""
    where = " and ".join(f"{column} = ?" for column in key)
    conn.execute(f"delete from {table} where {where}", list(key.values()))
    conn.execute(f"insert into {table} values ({', '.join('?' * len(row))})", row)


def _remove_orphans(conn: duckdb.DuckDBPyConnection) -> int:
    orphans = [
        row[0]
        for row in conn.execute(
            "select article_id from raw.articles "
            "where article_id not in (select article_id from raw.article_sources)"
        ).fetchall()
    ]
    for table in (
        "raw.article_facts",
        "raw.ticker_quotes",
        "raw.article_extractions",
        "raw.articles",
    ):
        conn.execute(f"delete from {table} where article_id in (select unnest(?))", [orphans])
    return len(orphans)


def quarantine_article(
    conn: duckdb.DuckDBPyConnection, article: StoredArticle, reason: str, detail: str
) -> None:
    """Take an article out of the raw tables into raw.quarantine (it took too long to read)."""
    with transaction(conn):
        row = conn.execute(
            "select source_sha256 from raw.article_sources where source = ?", [article.source]
        ).fetchone()
        _replace_row(
            conn, "raw.quarantine", {"source": article.source, "reason": reason},
            [article.source, reason, detail, row[0] if row else None, _now()],
        )  # fmt: skip
        conn.execute("delete from raw.article_sources where article_id = ?", [article.article_id])
        _remove_orphans(conn)


def pending_extraction(conn: duckdb.DuckDBPyConnection) -> list[StoredArticle]:
    """Articles with no facts from this extractor version (new, changed, or extracted earlier)."""
    rows = conn.execute(
        """
        select a.article_id, a.source, a.title, a.published_date, a.view_date, a.text, a.header,
            a.language
        from raw.articles a
        where not exists (
            select 1 from raw.article_extractions e
            where e.article_id = a.article_id and e.extractor_version = ?
        )
        order by a.source
        """,
        [EXTRACTOR_VERSION],
    ).fetchall()
    return [StoredArticle(*row) for row in rows]


def store_extraction(
    conn: duckdb.DuckDBPyConnection,
    article_id: str,
    facts: Sequence[Fact],
    quotes: Iterable[TickerQuote],
) -> None:
    """Replace one article's facts and ticker quotes, in one transaction."""
    store_extractions(conn, [(article_id, facts, list(quotes))])


def store_extractions(
    conn: duckdb.DuckDBPyConnection,
    extracted: Sequence[tuple[str, Sequence[Fact], Sequence[TickerQuote]]],
) -> None:
    """Replace the facts and ticker quotes of each ``(article_id, facts, quotes)``, all in one
    transaction (one commit for a run's articles, not one each)."""
    if not extracted:
        return
    loaded_at = _now()
    ids = [article_id for article_id, _, _ in extracted]
    fact_rows = [
        {
            "article_id": article_id,
            "fact_index": index,
            **{k: v for k, v in asdict(fact).items() if k != "article"},
            "extractor_version": EXTRACTOR_VERSION,
            "loaded_at": loaded_at,
        }
        for article_id, facts, _ in extracted
        for index, fact in enumerate(facts)
    ]
    with transaction(conn):
        conn.execute("delete from raw.article_facts where article_id in ?", [ids])
        conn.execute("delete from raw.ticker_quotes where article_id in ?", [ids])
        if fact_rows:
            frame = pl.DataFrame(fact_rows, infer_schema_length=None)
            conn.register("incoming_facts", frame.to_arrow())
            conn.execute("insert into raw.article_facts by name select * from incoming_facts")
            conn.unregister("incoming_facts")
        for article_id, _, quotes in extracted:
            # one row per instrument (the table's key); a later quote of the same one wins
            for quote in {quote.instrument: quote for quote in quotes}.values():
                conn.execute(
                    "insert into raw.ticker_quotes values (?, ?, ?, ?, ?, ?)",
                    [article_id, quote.quote_date, quote.instrument, quote.value,
                     quote.source_text, loaded_at],
                )  # fmt: skip
        conn.execute("delete from raw.article_extractions where article_id in ?", [ids])
        conn.executemany(
            "insert into raw.article_extractions values (?, ?, ?, ?)",
            [[article_id, EXTRACTOR_VERSION, len(facts), loaded_at]
             for article_id, facts, _ in extracted],
        )  # fmt: skip
