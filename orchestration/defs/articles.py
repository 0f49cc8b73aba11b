"""Article assets: the inbox (TPW_ARTICLES_DIR, and URLs in its sources.txt) read into
raw.articles, then facts extracted from new and changed articles into raw.article_facts.

Both steps are one multi-asset (one Dagster step, subsettable): with two steps, Dagster would
split the dbt models into two dbt invocations around the extraction, costing a dbt start-up and
a parse per run.
"""

import time
from collections.abc import Iterator

import dagster as dg

from extract.article_store import (
    ingest,
    pending_extraction,
    quarantine_article,
    store_extractions,
)
from extract.articles import parse_ticker, read_path, read_regular_file
from extract.facts import ARTICLE_BUDGET_SECONDS, EXTRACTOR_VERSION, ExtractionTooSlow, facts_in
from extract.fetch import fetch_article, read_sources
from extract.safe_text import printable
from orchestration.defs.resources import ArticlesResource, WarehouseResource

INBOX = ("articles", "article_sources", "quarantine")
STEP_BUDGET_SECONDS = 120.0
"""Seconds one run spends extracting; articles left over wait for the next run."""
FACTS = ("article_facts", "ticker_quotes")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", "articles"], description="Articles read from the inbox, one per text."
        ),
        dg.AssetSpec(["raw", "article_sources"], description="Every file, JSONL id or URL read."),
        dg.AssetSpec(["raw", "quarantine"], description="Inputs that could not be read, and why."),
        dg.AssetSpec(
            ["raw", "article_facts"],
            deps=[["raw", "articles"]],
            description="Numeric facts of each article, with the sentence and span they come from.",
        ),
        dg.AssetSpec(
            ["raw", "ticker_quotes"],
            deps=[["raw", "articles"]],
            description="Rates and metal prices quoted in page headers.",
        ),
    ],
    name="articles",
    group_name="articles",
    # Not in the `duckdb_writer` pool: its writes are short and take the writer lock themselves,
    # so the Bank of Russia's loads never wait for an inbox or an extraction to finish.
    can_subset=True,
)
def articles(
    context: dg.AssetExecutionContext, articles: ArticlesResource, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    selected = {key.path[-1] for key in context.selected_asset_keys}
    if selected & set(INBOX):
        yield from read_inbox(context, articles, warehouse, selected)
    if selected & set(FACTS):
        yield from extract_facts(context, warehouse, selected)


def read_inbox(
    context: dg.AssetExecutionContext,
    articles: ArticlesResource,
    warehouse: WarehouseResource,
    selected: set[str],
) -> Iterator[dg.MaterializeResult]:
    """New, changed and removed inbox files (and sources.txt URLs) into raw.articles."""
    folder = articles.folder()
    found, quarantined = read_path(folder) if folder.exists() else ([], [])
    sources = folder / "sources.txt"
    urls: list[str] = []
    if sources.is_symlink() or sources.exists():
        read = read_regular_file(sources)  # a link or a FIFO is refused, never read
        if isinstance(read, bytes):
            urls = read_sources(sources)
        else:
            quarantined.append(read)
    for url in urls:
        result = fetch_article(url, allow_private=articles.allow_private_urls)
        (found if hasattr(result, "article_id") else quarantined).append(result)
    for item in quarantined:
        context.log.warning(
            f"quarantined {printable(item.source)}: {item.reason}: {printable(item.detail)}"
        )
    with warehouse.writer() as conn:
        summary = ingest(conn, found, quarantined, complete=True)
        total = conn.execute("select count(*) from raw.articles").fetchone()[0]
    context.log.info(f"{printable(str(folder))}: {summary}")
    results = {
        "articles": {
            "folder": dg.MetadataValue.path(str(folder)),
            "urls": dg.MetadataValue.int(len(urls)),
            "articles": dg.MetadataValue.int(total),
            **{name: dg.MetadataValue.int(value) for name, value in summary.__dict__.items()},
        },
        "article_sources": {},
        "quarantine": {"quarantined": dg.MetadataValue.int(len(quarantined))},
    }
    for name, metadata in results.items():
        if name in selected:
            yield dg.MaterializeResult(asset_key=["raw", name], metadata=metadata)


def extract_facts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, selected: set[str]
) -> Iterator[dg.MaterializeResult]:
    """Facts and header quotes of the articles not yet extracted by this extractor version."""
    with warehouse.writer() as conn:
        pending = pending_extraction(conn)
    # Extraction is the slow part: it runs outside the writer lock, storing runs inside it. An
    # article over its time budget is quarantined and the run goes on.
    extracted, too_slow, deferred = [], [], 0
    step_deadline = time.monotonic() + STEP_BUDGET_SECONDS
    for stored in pending:
        if time.monotonic() > step_deadline:
            deferred += 1  # left for the next run: this one has spent its time on articles
            continue
        try:
            facts = facts_in(
                stored.text,
                article=stored.source,
                published=stored.published_date or stored.view_date,
                title=stored.title,
                language=stored.language,
                budget=ARTICLE_BUDGET_SECONDS,
            )
        except ExtractionTooSlow:
            context.log.warning(f"quarantined {printable(stored.source)}: too_slow")
            too_slow.append(stored)
            continue
        quotes = parse_ticker(stored.header) if stored.header else []
        extracted.append((stored.article_id, facts, quotes))
    with warehouse.writer() as conn:
        for stored in too_slow:
            detail = f"fact extraction took over {ARTICLE_BUDGET_SECONDS:g} s"
            quarantine_article(conn, stored, "too_slow", detail)
        store_extractions(conn, extracted)
        counts = dict(
            conn.execute("select metric, count(*) from raw.article_facts group by 1").fetchall()
        )
    context.log.info(
        f"extracted {sum(len(f) for _, f, _ in extracted)} facts from {len(extracted)} articles"
        + (f"; {deferred} left for the next run (step budget spent)" if deferred else "")
    )
    quotes = sum(len(q) for _, _, q in extracted)
    if "ticker_quotes" in selected:
        yield dg.MaterializeResult(
            asset_key=["raw", "ticker_quotes"], metadata={"quotes": dg.MetadataValue.int(quotes)}
        )
    if "article_facts" in selected:
        yield dg.MaterializeResult(
            asset_key=["raw", "article_facts"],
            metadata={
                "articles_extracted": dg.MetadataValue.int(len(extracted)),
                "facts_extracted": dg.MetadataValue.int(sum(len(f) for _, f, _ in extracted)),
                "facts_by_metric": dg.MetadataValue.json(counts),
                "extractor_version": EXTRACTOR_VERSION,
            },
        )
