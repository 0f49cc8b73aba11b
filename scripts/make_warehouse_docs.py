"""Write docs/warehouse.md, the analysts' guide, from the dbt marts' YAML and a real warehouse.

Every mart in dbt_project/models/marts/*.yml gets a section: its grain (``config.meta.grain``), its
meaning and its columns, with the column types and the row count read from the warehouse. Then the
questions an analyst asks, each with its SQL and the output of that SQL on the warehouse. Nothing
in the page is typed by hand, so ``make docs`` brings it up to date whenever the marts or the data
change; the same data gives a byte-identical page.

    python scripts/make_warehouse_docs.py [--warehouse data/warehouse.duckdb] [--out PAGE.md]
    python scripts/make_warehouse_docs.py --check     # exit 1 when the page is out of date
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import duckdb
import yaml

from extract.formatting import markdown_table

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = PROJECT_ROOT / "dbt_project"
MARTS_DIR = DBT_PROJECT / "models" / "marts"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"
DEFAULT_OUT = PROJECT_ROOT / "docs" / "warehouse.md"
SCHEMA = "marts"

DOCS_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)
DOC_CALL = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")


class DocsError(Exception):
    """A problem to report as one line."""


@dataclass(frozen=True)
class Column:
    """A mart column: its name, its type in the warehouse and what it means."""

    name: str
    type: str
    meaning: str


@dataclass(frozen=True)
class Mart:
    """A mart as dbt documents it, with what the warehouse holds for it."""

    name: str
    grain: str
    meaning: str
    documented: dict[str, str]
    columns: tuple[Column, ...] = ()
    rows: int = 0


@dataclass(frozen=True)
class Question:
    """An analyst's question with the SQL that answers it and a note on reading the answer."""

    title: str
    sql: str
    note: str = ""


QUESTIONS: tuple[Question, ...] = (
    Question(
        "Which days does the warehouse hold?",
        """
        with days as (
            select rate_date as day, currency_code as series from marts.fx_rates
            union all
            select price_date, metal from marts.metal_prices
        ),
        windows as (
            select *, day - cast(dense_rank() over (order by day) as integer) as window_key
            from days
        )
        select
            min(day) as first_day,
            max(day) as last_day,
            count(distinct day) as days,
            count(*) filter (where series = 'USD') as usd,
            count(*) filter (where series = 'EUR') as eur,
            count(*) filter (where series = 'CNY') as cny,
            count(*) filter (where series = 'gold') as gold,
            count(*) filter (where series = 'silver') as silver,
            count(*) filter (where series = 'platinum') as platinum,
            count(*) filter (where series = 'palladium') as palladium
        from windows
        group by window_key
        order by first_day
        """,
        "Each row is a run of consecutive loaded days and how many of them each series covers. "
        "Days between runs were never loaded and have no rows; a series is missing where the Bank "
        "published no figure in the loaded data (CNY in the demo samples).",
    ),
    Question(
        "What were the dollar's last five official rates?",
        """
        select rate_date, nominal, value_rub, round(change_rub, 4) as change_rub, change_pct
        from marts.fx_rates
        where currency_code = 'USD' and set_on_date
        order by rate_date desc
        limit 5
        """,
        "`set_on_date` keeps the days the Bank set a new rate; without it every calendar day "
        "appears, weekends and holidays carrying the last rate. `change_rub` and `change_pct` "
        "compare with the previous calendar day.",
    ),
    Question(
        "What did the four metals cost on 5 December 2025, in roubles per gram and dollars per "
        "troy ounce?",
        """
        select metal, rub_per_gram, usd_per_troy_ounce, set_on_date
        from marts.metal_prices
        where price_date = date '2025-12-05'
        order by rub_per_gram desc
        """,
        "`usd_per_troy_ounce` converts the Bank's rouble price at that day's official USD rate.",
    ),
    Question(
        "What were the average USD and EUR rates of each month of 2020?",
        """
        select
            date_trunc('month', rate_date)::date as month,
            round(avg(rub_per_unit) filter (where currency_code = 'USD'), 4)::decimal(18, 4)
                as usd_average,
            round(avg(rub_per_unit) filter (where currency_code = 'EUR'), 4)::decimal(18, 4)
                as eur_average,
            count(*) filter (where currency_code = 'USD') as days_set
        from marts.fx_rates
        where set_on_date and year(rate_date) = 2020
        group by month
        order by month
        """,
        "Averages over the days the Bank set a rate; drop `set_on_date` for calendar-day "
        "averages. Only May to October 2020 are loaded in the demo.",
    ),
    Question(
        "What was each currency's and metal's largest day-over-day move?",
        """
        with moves as (
            select rate_date as day, currency_code as series,
                   round(rub_per_unit - change_rub, 4) as previous_rub,
                   round(rub_per_unit, 4) as rub, round(change_rub, 4) as change_rub, change_pct
            from marts.fx_rates
            union all
            select price_date, metal, rub_per_gram - change_rub_per_gram, rub_per_gram,
                   change_rub_per_gram, change_pct
            from marts.metal_prices
        )
        select * from moves
        where change_pct is not null
        qualify row_number() over (partition by series order by abs(change_pct) desc, day) = 1
        order by abs(change_pct) desc, series
        """,
        "Currencies in roubles per unit, metals in roubles per gram. A change is against the "
        "previous calendar day, so it is null on the first day of a loaded run and never spans "
        "the gap between runs. Drop the `qualify` line and add `limit 10` for the ten largest "
        "moves of all.",
    ),
    Question(
        "Where did Технополис Москва export to in 2020, which products, and how much in total?",
        """
        select region, region_code, product, share, countries, total_export_rub, export_growth
        from marts.exports_by_region
        where subject = 'Технополис Москва' and period_start = date '2020-01-01'
        order by region, product
        """,
        "`total_export_rub` is the article's total for the year and repeats on every row, like "
        "`share` (of the product's exports): read them once, never sum them across rows.",
    ),
    Question(
        "Do the rates quoted on the jewelry page match the Bank of Russia's?",
        """
        select quote_date, instrument, instrument_kind, value, official_value, difference, reason
        from marts.ticker_quotes
        order by instrument_kind, instrument
        """,
        "A quote that differs stays here with `reason = 'differs'`; it is never dropped.",
    ),
    Question(
        "How many residents does the zone have?",
        """
        select subject, kind, value, qualifier, as_of_date, period_start, period_end
        from marts.resident_counts
        order by subject, kind, as_of_date
        """,
        "`qualifier` keeps the article's hedge: `over` is «более 180».",
    ),
    Question(
        "How large are the zone and its sites?",
        """
        select subject, area_kind, area_ha, area_m2, qualifier, as_of_date, target_year
        from marts.site_areas
        order by subject, area_kind, area_m2
        """,
        "Land (territory) and floor space (buildings) are separate kinds; never add one to the "
        "other.",
    ),
    Question(
        "How many facts did each article give, and of which kinds?",
        """
        select a.title, a.as_of_date, a.fact_count,
               string_agg(distinct f.metric, ', ' order by f.metric) as metrics
        from marts.articles as a
        left join marts.article_facts as f using (article_id)
        group by a.article_id, a.title, a.as_of_date, a.fact_count
        order by a.as_of_date, a.article_id
        """,
    ),
    Question(
        "What does the warehouse know about Алабушево, and where does each figure come from?",
        """
        select metric, value, unit, qualifier, as_of_date, target_year, evidence
        from marts.article_facts
        where subject = 'Алабушево'
        order by as_of_date, article_id, fact_index
        """,
        "`evidence` is the sentence a figure was read from; `char_start`/`char_end` locate it "
        "in the article.",
    ),
)


# --------------------------------------------------------------------------- reading dbt


def doc_blocks(dbt_project: Path) -> dict[str, str]:
    """The ``{% docs name %}`` blocks of the dbt project, by name."""
    blocks: dict[str, str] = {}
    for path in sorted((dbt_project / "models").rglob("*.md")):
        for name, body in DOCS_BLOCK.findall(path.read_text(encoding="utf-8")):
            blocks[name] = body.strip()
    return blocks


def plain(text: str | None, blocks: dict[str, str], where: str) -> str:
    """A dbt description with its doc() calls filled in, on one line."""
    text = text or ""

    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in blocks:
            raise DocsError(f"{where}: no docs block named {match.group(1)!r}")
        return blocks[match.group(1)]

    text = DOC_CALL.sub(fill, text)
    if "{{" in text or "{%" in text:
        raise DocsError(f"{where}: a description holds Jinja this script cannot render")
    return " ".join(text.split())


def read_marts(marts_dir: Path = MARTS_DIR) -> list[Mart]:
    """The marts documented in the dbt YAML, the Bank of Russia's first, then the articles'."""
    blocks = doc_blocks(marts_dir.parents[1])
    files = sorted(marts_dir.glob("*.yml"), key=lambda p: (p.name.startswith("_articles"), p.name))
    marts = []
    for path in files:
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            where = f"{path.name}: {model['name']}"
            grain = (model.get("config") or {}).get("meta", {}).get("grain") or (
                model.get("meta") or {}
            ).get("grain")
            if not grain:
                raise DocsError(f"{where} has no config.meta.grain")
            columns = {
                column["name"]: plain(column.get("description"), blocks, where)
                for column in model.get("columns", [])
            }
            marts.append(
                Mart(
                    name=model["name"],
                    grain=" ".join(grain.split()),
                    meaning=plain(model.get("description"), blocks, where),
                    documented=columns,
                )
            )
    return marts


# --------------------------------------------------------------------------- reading the warehouse


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection on one thread, so that sums add up in the same order every time."""
    if not warehouse.is_file():
        raise DocsError(
            f"no warehouse at {warehouse}: build the demo with `make demo` "
            "(or `.venv/bin/tpw demo`), or pass --warehouse"
        )
    conn = duckdb.connect(str(warehouse), read_only=True)
    conn.execute("set threads = 1")
    return conn


def with_warehouse(conn: duckdb.DuckDBPyConnection, mart: Mart) -> Mart:
    """The mart with its columns (warehouse order and types, dbt meanings) and row count."""
    found = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [SCHEMA, mart.name],
    ).fetchall()
    if not found:
        raise DocsError(
            f"the warehouse has no {SCHEMA}.{mart.name}: rebuild it with `make demo` or `tpw run`"
        )
    missing = sorted(set(mart.documented) - {name for name, _ in found})
    if missing:
        raise DocsError(f"{SCHEMA}.{mart.name} in the warehouse lacks {', '.join(missing)}")
    columns = tuple(
        Column(name, kind, mart.documented.get(name) or "*(not documented in dbt)*")
        for name, kind in found
    )
    (rows,) = conn.execute(f'select count(*) from {SCHEMA}."{mart.name}"').fetchone() or (0,)
    return Mart(mart.name, mart.grain, mart.meaning, mart.documented, columns, rows)


def answer(
    conn: duckdb.DuckDBPyConnection, question: Question
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Column names and rows of the question's SQL."""
    try:
        cursor = conn.execute(dedent(question.sql))
    except duckdb.Error as exc:
        raise DocsError(f"{question.title!r}: {str(exc).splitlines()[0]}") from None
    return [d[0] for d in cursor.description or []], cursor.fetchall()


# --------------------------------------------------------------------------- writing Markdown


def anchor(title: str) -> str:
    """The GitHub anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", title.lower())
    return text.replace(" ", "-")


INTRO = """\
# The warehouse

> Generated by `make docs` (scripts/make_warehouse_docs.py) from the demo warehouse and the dbt
> models' YAML. Do not edit by hand: change the YAML or the script and run `make docs`.

The analysts' tables live in schema `marts` of one DuckDB file, `data/warehouse.duckdb` (or
`TPW_WAREHOUSE`). `make demo` builds it offline from the bundled samples; `tpw run` loads real
days from the Bank of Russia. The file is a published copy: open it read-only, as long as you like;
the nightly run never waits for you and you never see a half-built table.

```sh
.venv/bin/tpw sql "select * from marts.fx_rates order by rate_date desc limit 5"  # or --format csv
.venv/bin/duckdb -readonly data/warehouse.duckdb      # the DuckDB shell the project installs
```

```python
import duckdb

conn = duckdb.connect("data/warehouse.duckdb", read_only=True)
usd = conn.sql("select * from marts.fx_rates where currency_code = 'USD'").pl()  # a polars frame
```

The file holds two schemas: `marts`, the tables below, and `raw`, the loaded records they are built
from (the pipeline's working tables: query `marts`, as `raw` may change). dbt's `staging` and
`intermediate` models and its test results (`dbt_test__audit`) stay in the pipeline's build file.

Row counts and outputs below are those of the demo warehouse (`make demo`): the Bank's figures for
May-October 2020, 5 December 2025 and 3-19 March 2026, and two articles (`data/articles/`). The
full dbt documentation, with lineage and tests, is `make docs`'s other output:
`dbt_project/target/static_index.html`, which opens from disk.
"""


Answer = tuple[Question, list[str], list[tuple[object, ...]]]


def render(marts: Sequence[Mart], answers: Sequence[Answer]) -> str:
    """The whole page."""
    out = [INTRO, "## Contents\n"]
    out.append(
        markdown_table(
            ["mart", "grain", "rows"], [(f"[{m.name}](#{m.name})", m.grain, m.rows) for m in marts]
        )
    )
    out.append("\nExample questions:\n")
    for number, (question, _, _) in enumerate(answers, 1):
        heading = f"{number}. {question.title}"
        out.append(f"{number}. [{question.title}](#{anchor(heading)})")
    out.append("\n## Marts\n")
    for mart in marts:
        out.append(f"### {mart.name}\n")
        out.append(f"- table: `{SCHEMA}.{mart.name}`")
        out.append(f"- grain: {mart.grain}")
        out.append(f"- rows in the demo: {mart.rows}\n")
        out.append(mart.meaning + "\n")
        out.append(
            markdown_table(
                ["column", "type", "meaning"],
                [(f"`{c.name}`", c.type, c.meaning) for c in mart.columns],
            )
        )
        out.append("")
    out.append("## Example questions\n")
    for number, (question, headers, rows) in enumerate(answers, 1):
        out.append(f"### {number}. {question.title}\n")
        out.append("```sql\n" + dedent(question.sql).strip() + "\n```\n")
        out.append(markdown_table(headers, rows) if rows else "*(no rows)*")
        if question.note:
            out.append("\n" + question.note)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def build(warehouse: Path) -> str:
    """The page for this warehouse."""
    marts = read_marts()
    conn = connect(warehouse)
    try:
        described = [with_warehouse(conn, mart) for mart in marts]
        answers: list[Answer] = [(q, *answer(conn, q)) for q in QUESTIONS]
    finally:
        conn.close()
    return render(described, answers)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the page, or with --check say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown file to write")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if --out would change"
    )
    args = parser.parse_args(argv)
    try:
        page = build(args.warehouse)
    except DocsError as exc:
        print(f"make_warehouse_docs: error: {exc}", file=sys.stderr)
        return 2
    current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
    if args.check:
        if current == page:
            print(f"{args.out} is up to date")
            return 0
        diff = list(
            difflib.unified_diff(
                current.splitlines(),
                page.splitlines(),
                str(args.out),
                "regenerated",
                lineterm="",
                n=0,
            )
        )
        if not args.out.is_file():
            print(f"{args.out} does not exist; run `make docs`")
            return 1
        changed = sum(1 for line in diff[2:] if line[:1] in "+-")
        print(f"{args.out} is out of date ({changed} lines differ); run `make docs`:")
        print("\n".join(diff[:40]) + ("\n..." if len(diff) > 40 else ""))
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    print(f"wrote {args.out} ({len(QUESTIONS)} questions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
