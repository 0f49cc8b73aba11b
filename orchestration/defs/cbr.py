"""Raw Bank of Russia assets: official rates and metal prices in force per calendar day.

Each run asks the Bank for its whole partition range at once (a backfill of a year is a
handful of requests), then replaces exactly those days' rows in the build warehouse.

A day the Bank has published nothing for yet (today's partition before the Bank sets it) is
not materialized: it stays missing in the UI, the run says why, and a later run fills it. A
run that leaves days missing yields no output, so the steps after it (dbt) are skipped; `tpw
run` then builds the marts in a second run.
"""

from collections.abc import Callable, Iterator
from datetime import date, timedelta

import dagster as dg
import polars as pl

from extract.cbr import CbrClient
from extract.formatting import markdown_table
from extract.lake import Retries, run_retrying
from extract.rates import calendar, fetch_metal_prices_in_force, fetch_rates_in_force
from extract.warehouse import replace_days
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import CbrResource, WarehouseResource

RAW_ASSET_OPTIONS = dict(
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb_writer",
    group_name="cbr",
    kinds={"python", "duckdb"},
    # A run whose days were all left missing yields no output; the steps after it are skipped.
    output_required=False,
)
# Dagster copies a run's output metadata onto the materialization of every partition, so the
# run's figures go on its last day only (the asset's latest materialization, which the UI's
# asset page and `tpw run` read); over 28 years that is 10,000 copies fewer per asset.


def partition_days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """First and last calendar day of the partitions this run materializes."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


def markdown(frame: pl.DataFrame) -> str:
    """A small frame as a Markdown table, for the Dagster UI."""
    if frame.is_empty():
        return "(no rows)"
    return markdown_table(frame.columns, frame.rows())


def _day_ranges(days: list[date]) -> str:
    """``2026-01-01..2026-01-03, 2026-01-07``: sorted days as ranges."""
    ranges: list[list[date]] = []
    for day in sorted(days):
        if ranges and day - ranges[-1][1] == timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in ranges)


def _materialize(
    context: dg.AssetExecutionContext,
    frame: pl.DataFrame,
    *,
    what: str,
    day_column: str,
    series: str,
    start: date,
    end: date,
    requests: int,
    retries: int,
    conflicts: int = 0,
) -> Iterator[dg.MaterializeResult]:
    """The materialization of a load, or none.

    A load with no figures at all is the Bank's "not yet" (today, before it sets the rates): its
    days are left missing, with a warning. Otherwise every partition of the run is materialized:
    figures are carried forward to the end of the range (a weekend holds Friday's), and days
    before a series began hold nothing because nothing was ever in force then.
    """
    if retries:
        context.log.warning(f"the Bank of Russia answered after {retries} retries")
    if frame.is_empty():
        days = _day_ranges(calendar(start, end))
        context.log.warning(
            f"the Bank of Russia has published no {what} in force for {days} yet: "
            "left missing (not materialized); a later run fills them"
        )
        return
    context.log.info(f"{frame.height} rows of {what} for {start}..{end}, {requests} requests")
    counts = frame.group_by(series).len().sort(series)
    metadata: dict[str, dg.RawMetadataValue] = {
        "rows": dg.MetadataValue.int(frame.height),
        "requests": dg.MetadataValue.int(requests),
        "retries": dg.MetadataValue.int(retries),
        "conflicts_retried": dg.MetadataValue.int(conflicts),
        "first_day": str(frame[day_column].min()),
        "last_day": str(frame[day_column].max()),
        "rows_per_series": dg.MetadataValue.json(dict(counts.iter_rows())),
        "preview": dg.MetadataValue.md(markdown(frame.tail(8).drop("source_url"))),
    }
    context.add_asset_metadata(metadata, partition_key=end.isoformat())
    yield dg.MaterializeResult()


def _load(
    context: dg.AssetExecutionContext,
    cbr: CbrResource,
    warehouse: WarehouseResource,
    fetch: Callable[[CbrClient, date, date], pl.DataFrame],
    *,
    table: str,
    what: str,
    day_column: str,
    series: str,
) -> Iterator[dg.MaterializeResult]:
    """Fetch the run's days from the Bank, replace them in ``table``, report."""
    start, end = partition_days(context)
    with cbr.client() as client:
        frame = fetch(client, start, end)
        requests, retries = client.requests_made, client.retries_made
    conflicts = Retries()
    if frame.height:
        with warehouse.loader() as conn:
            # In the lake, another writer replacing other days of this table at the same moment
            # makes one of the two transactions fail: it rolls back and runs again.
            run_retrying(
                lambda: replace_days(conn, table, frame, day_column),
                retries=conflicts,
                on_conflict=lambda exc, attempt: context.log.info(
                    f"{table}: conflict with another writer ({attempt}), retrying: {exc}"
                ),
            )
    yield from _materialize(
        context, frame, what=what, day_column=day_column, series=series,
        start=start, end=end, requests=requests, retries=retries, conflicts=conflicts.count,
    )  # fmt: skip


@dg.asset(
    key=["raw", "cbr_rates"],
    description="Official Bank of Russia exchange rates in force per calendar day (raw.cbr_rates).",
    **RAW_ASSET_OPTIONS,
)
def cbr_rates(
    context: dg.AssetExecutionContext, cbr: CbrResource, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    def fetch(client: CbrClient, start: date, end: date) -> pl.DataFrame:
        return fetch_rates_in_force(client, cbr.currency_codes(), start, end)

    yield from _load(
        context, cbr, warehouse, fetch,
        table="raw.cbr_rates", what="rates", day_column="rate_date", series="currency_code",
    )  # fmt: skip


@dg.asset(
    key=["raw", "cbr_metal_prices"],
    description="Official Bank of Russia precious-metal prices (RUB per gram) in force per day.",
    **RAW_ASSET_OPTIONS,
)
def cbr_metal_prices(
    context: dg.AssetExecutionContext, cbr: CbrResource, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    yield from _load(
        context, cbr, warehouse, fetch_metal_prices_in_force,
        table="raw.cbr_metal_prices", what="metal prices", day_column="price_date",
        series="metal",
    )  # fmt: skip
