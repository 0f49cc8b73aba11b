"""Benchmarks 4 and 5: dbt build of every mart at scale, and the analysts' example queries.

The raw tables are written straight into a build DuckDB file made with the product's DDL
(:func:`extract.warehouse.connect_writer`): 30 currencies in force on every day of 28 years
(1998-2025; synthetic values, :mod:`bench.synthetic`), the four metals from 2008-07-01, 20,000
articles (the 48 hand-made eval texts, each numbered so all differ) with 200,000 facts (the
facts the product extracts from those texts, 10 per article, values varied), ticker quotes on
one article in ten (the Bank's own figures of that day) and some quarantined inputs.

``dbt build`` runs bare from dbt_project (partial parsing warmed up by an untimed ``dbt parse``)
on a fresh copy of that file each time; the last result is published with
:func:`extract.warehouse.publish` and the queries of :data:`QUERIES` run on the published file,
each with a fresh read-only connection (connect + execute + fetch), as an analyst's
``tpw sql`` or BI tool would.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.backfill import bare_dbt_build, pipeline_env
from bench.common import DBT, DBT_PROJECT, Measured
from bench.synthetic import (
    CURRENCIES,
    HISTORY_END,
    HISTORY_START,
    METALS_START,
    currency_records,
    metal_records,
    record_dates,
)

ARTICLES = 20_000
FACTS_PER_ARTICLE = 10
QUOTE_EVERY = 10  # one article in ten has a page header quoting the Bank's figures

# The five example queries for analysts (README "Querying"), by name.
QUERIES: dict[str, str] = {
    "usd_last_days": (
        "select rate_date, currency_code, nominal, value_rub, rub_per_unit, set_on_date "
        "from marts.fx_rates where currency_code = 'USD' order by rate_date desc limit 5"
    ),
    "metals_on_a_day": (
        "select price_date, metal, rub_per_gram, usd_per_troy_ounce "
        "from marts.metal_prices where price_date = '2025-12-05' order by metal"
    ),
    "yearly_average_every_currency": (
        "select currency_code, year(rate_date) as year, avg(rub_per_unit) as avg_rub_per_unit, "
        "max(abs(change_pct)) as max_daily_move_pct "
        "from marts.fx_rates group by all order by currency_code, year"
    ),
    "exports_by_region": (
        "select region, count(*) as destinations, count(distinct article_id) as articles, "
        "max(total_export_rub) as largest_total_export_rub "
        "from marts.exports_by_region where period_start >= '2020-01-01' "
        "group by region order by articles desc, region limit 10"
    ),
    "latest_resident_counts": (
        "select subject, arg_max(value, as_of_date) as residents, max(as_of_date) as as_of "
        "from marts.resident_counts where kind = 'residents' "
        "group by subject order by residents desc limit 10"
    ),
}


# --------------------------------------------------------------------------- the raw tables


def in_force(records, by: str, first: date):
    """Every day ``first``..HISTORY_END with each series' latest record on or before it."""
    import polars as pl

    days = pl.DataFrame({"day": pl.date_range(first, HISTORY_END, "1d", eager=True)})
    grid = records.select(by).unique().join(days, how="cross").sort("day")
    return grid.join_asof(
        records.sort("record_date"), left_on="day", right_on="record_date", by=by,
        strategy="backward", check_sortedness=False,
    ).filter(pl.col("record_date").is_not_null())  # fmt: skip


def _template_facts() -> list[tuple[object, list[dict]]]:
    """The eval articles with at least one fact, each with the product's facts for it."""
    from dataclasses import asdict

    from bench.extraction import base_articles
    from extract.facts import extract_article_facts

    templates = []
    for article in base_articles():
        facts = [asdict(f) for f in extract_article_facts(article)]
        if facts:
            templates.append((article, facts))
    return templates


def write_raw(path: Path) -> dict[str, int]:
    """Write the scaled raw tables into a new build file at ``path``; row counts."""
    import polars as pl

    from extract.facts import EXTRACTOR_VERSION
    from extract.warehouse import connect_writer

    now = datetime.now(UTC).replace(tzinfo=None)
    dates = record_dates()
    records = []
    for code in CURRENCIES:
        for r in currency_records(code, dates):
            records.append((code, r.currency_id, r.record_date, r.nominal, float(r.value)))
    rates = pl.DataFrame(
        records, schema=["code", "cid", "record_date", "nominal", "value"], orient="row"
    )
    metals = pl.DataFrame(
        [(m.metal_code, m.metal, m.record_date, float(m.sell)) for m in metal_records(dates)],
        schema=["code", "metal", "record_date", "price"],
        orient="row",
    )
    templates = _template_facts()
    articles, facts = [], []
    span = (HISTORY_END - date(2010, 1, 1)).days
    for index in range(ARTICLES):
        base, base_facts = templates[index % len(templates)]
        text = f"{base.text}\n\nМатериал № {index + 1}"
        digest = hashlib.sha256(text.encode()).hexdigest()
        published = date(2010, 1, 1) + timedelta(days=(index * 37) % span)
        quoted = index % QUOTE_EVERY == 0
        articles.append(
            {
                "article_id": digest[:16], "source": f"scale/{index:05d}.txt", "url": None,
                "title": base.title, "published_date": published, "view_date": None,
                "content_sha256": digest, "text": text, "char_count": len(text),
                "language": base.language, "loaded_at": now,
                "header": f"СЕГОДНЯ, {published:%d.%m.%Y} | USD ..." if quoted else None,
            }
        )  # fmt: skip
        for number in range(FACTS_PER_ARTICLE):
            fact = dict(base_facts[number % len(base_facts)])
            fact.pop("article")
            if fact["value"] is not None:
                fact["value"] = fact["value"] * (1 + ((index + number) % 7) / 100)
            facts.append(
                {"article_id": digest[:16], "fact_index": number, **fact,
                 "extractor_version": EXTRACTOR_VERSION, "loaded_at": now}
            )  # fmt: skip
    articles_frame = pl.DataFrame(articles, infer_schema_length=None)
    facts_frame = pl.DataFrame(facts, infer_schema_length=None)
    with connect_writer(path) as conn:
        conn.register("new_articles", articles_frame.to_arrow())
        conn.register("new_facts", facts_frame.to_arrow())
        conn.register("rates_in_force", in_force(rates, "code", HISTORY_START).to_arrow())
        conn.register("metals_in_force", in_force(metals, "code", METALS_START).to_arrow())
        conn.execute(
            f"""
            insert into raw.cbr_rates by name
            select day as rate_date, code as currency_code, cid as currency_id, record_date,
                nominal, cast(round(value, 4) as decimal(18, 4)) as value,
                cast(round(value, 4) / nominal as decimal(28, 12)) as vunit_rate,
                'http://127.0.0.1/scripts/XML_dynamic.asp?VAL_NM_RQ=' || cid as source_url,
                timestamp '{now}' as loaded_at
            from rates_in_force
            """
        )
        conn.execute(
            f"""
            insert into raw.cbr_metal_prices by name
            select day as price_date, code as metal_code, metal, record_date,
                cast(round(price, 2) as decimal(18, 2)) as buy,
                cast(round(price, 2) as decimal(18, 2)) as sell,
                'http://127.0.0.1/scripts/xml_metall.asp' as source_url,
                timestamp '{now}' as loaded_at
            from metals_in_force
            """
        )
        conn.execute("insert into raw.articles by name select * from new_articles")
        conn.execute(
            "insert into raw.article_sources by name select source, article_id, "
            "content_sha256 as source_sha256, loaded_at from new_articles"
        )
        conn.execute("insert into raw.article_facts by name select * from new_facts")
        conn.execute(
            f"insert into raw.article_extractions select article_id, '{EXTRACTOR_VERSION}', "
            f"{FACTS_PER_ARTICLE}, loaded_at from new_articles"
        )
        conn.execute(
            """
            insert into raw.ticker_quotes by name
            select a.article_id, a.published_date as quote_date, r.currency_code as instrument,
                case when r.nominal = 1 then r.value
                    else cast(round(r.vunit_rate, 4) as decimal(18, 4)) end as value,
                r.currency_code || ' ' || r.value as source_text, a.loaded_at
            from new_articles a join raw.cbr_rates r on r.rate_date = a.published_date
            where a.header is not null and r.currency_code in ('USD', 'EUR', 'CNY')
            union all
            select a.article_id, a.published_date, m.metal, cast(m.sell as decimal(18, 4)),
                m.metal || ' ' || m.sell, a.loaded_at
            from new_articles a join raw.cbr_metal_prices m on m.price_date = a.published_date
            where a.header is not null
            """
        )
        conn.execute(
            f"""
            insert into raw.quarantine
            select 'scale/bad_' || i || '.txt',
                ['empty', 'binary', 'encoding', 'language', 'bad_json'][i % 5 + 1],
                'a benchmark input that could not be read', null, timestamp '{now}'
            from range(100) t(i)
            """
        )
        for name in ("rates_in_force", "metals_in_force", "new_articles", "new_facts"):
            conn.unregister(name)
        counts = {
            table: conn.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for table in ("cbr_rates", "cbr_metal_prices", "articles", "article_facts",
                          "ticker_quotes", "quarantine")
        }  # fmt: skip
    return counts


# --------------------------------------------------------------------------- dbt and queries


def dbt_runs(base: Path, root: Path, runs: int) -> list[Measured]:
    """``runs`` bare ``dbt build``s, each on a fresh copy of ``base``; the last copy stays."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / "scale_target"
    copy = root / "scale_build.duckdb"
    shutil.copy(base, copy)
    subprocess.run(
        [DBT, "parse", "--quiet", "--profiles-dir", ".", "--target-path", str(target),
         "--log-path", str(target)],
        cwd=DBT_PROJECT, check=True,
        env={**pipeline_env(root, "http://127.0.0.1:9"), "TPW_BUILD_WAREHOUSE": str(copy)},
    )  # fmt: skip
    results = []
    for _ in range(runs):
        shutil.copy(base, copy)
        Path(str(copy) + ".wal").unlink(missing_ok=True)
        results.append(bare_dbt_build(copy, target))
    return results


def mart_rows(path: Path) -> dict[str, int]:
    import duckdb

    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
        return {
            f"marts.{n}": conn.execute(f"select count(*) from marts.{n}").fetchone()[0]
            for (n,) in names
        }
    finally:
        conn.close()


def time_queries(published: Path, repeats: int) -> dict[str, dict]:
    """Each query ``repeats`` times: fresh read-only connection, execute, fetch all (seconds)."""
    import duckdb

    results = {}
    for name, sql in QUERIES.items():
        timings, rows = [], 0
        for _ in range(repeats):
            began = time.perf_counter()
            conn = duckdb.connect(str(published), read_only=True)
            try:
                rows = len(conn.execute(sql).fetchall())
            finally:
                conn.close()
            timings.append(time.perf_counter() - began)
        results[name] = {"seconds": timings, "rows": rows, "median": statistics.median(timings)}
    return results
