"""Raw Bank of Russia assets: official rates and metal prices in force per day.

Each run asks the Bank for its whole partition range at once (a backfill of a year is a
handful of requests), then replaces exactly those days' rows in the build warehouse.
"""

from datetime import date, timedelta

import dagster as dg
import polars as pl

from extract.rates import fetch_metal_prices_in_force, fetch_rates_in_force
from extract.warehouse import connect_writer, replace_days
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import CbrResource, WarehouseResource

RAW_ASSET_OPTIONS = dict(
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb_writer",
    group_name="cbr",
    kinds={"python", "duckdb"},
)


def partition_days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """First and last calendar day of the partitions this run materializes."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


def markdown(frame: pl.DataFrame) -> str:
    """A small frame as a Markdown table, for the Dagster UI."""
    if frame.is_empty():
        return "(no rows)"
    with pl.Config(
        tbl_formatting="MARKDOWN", tbl_hide_column_data_types=True, tbl_hide_dataframe_shape=True
    ):
        return str(frame)


def _report(
    context: dg.AssetExecutionContext,
    frame: pl.DataFrame,
    what: str,
    start: date,
    end: date,
    requests: int,
    retries: int,
) -> None:
    """One log line per load; «nothing published yet» is a normal outcome, not a failure."""
    if retries:
        context.log.warning(f"the Bank of Russia answered after {retries} retries")
    if frame.is_empty():
        context.log.info(
            f"the Bank of Russia has published no {what} in force for {start}..{end} yet "
            f"({requests} requests); nothing changed"
        )
    else:
        context.log.info(
            f"{frame.height} rows of {what} for {start}..{end} from {requests} requests"
        )


def _summary(frame: pl.DataFrame, day_column: str, series: str, requests: int) -> dict:
    counts = frame.group_by(series).len().sort(series)
    return {
        "rows": dg.MetadataValue.int(frame.height),
        "requests": dg.MetadataValue.int(requests),
        "first_day": str(frame[day_column].min()) if frame.height else "",
        "last_day": str(frame[day_column].max()) if frame.height else "",
        "rows_per_series": dg.MetadataValue.json(dict(counts.iter_rows())),
        "preview": dg.MetadataValue.md(markdown(frame.tail(8).drop("source_url"))),
    }


@dg.asset(
    key=["raw", "cbr_rates"],
    description="Official Bank of Russia exchange rates in force per calendar day (raw.cbr_rates).",
    **RAW_ASSET_OPTIONS,
)
def cbr_rates(
    context: dg.AssetExecutionContext, cbr: CbrResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    start, end = partition_days(context)
    with cbr.client() as client:
        frame = fetch_rates_in_force(client, cbr.currency_codes(), start, end)
        requests, retries = client.requests_made, client.retries_made
    _report(context, frame, "rates", start, end, requests, retries)
    with connect_writer(warehouse.build()) as conn:
        replace_days(conn, "raw.cbr_rates", frame, "rate_date")
    metadata = _summary(frame, "rate_date", "currency_code", requests)
    return dg.MaterializeResult(metadata={**metadata, "retries": dg.MetadataValue.int(retries)})


@dg.asset(
    key=["raw", "cbr_metal_prices"],
    description="Official Bank of Russia precious-metal prices (RUB per gram) in force per day.",
    **RAW_ASSET_OPTIONS,
)
def cbr_metal_prices(
    context: dg.AssetExecutionContext, cbr: CbrResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    start, end = partition_days(context)
    with cbr.client() as client:
        frame = fetch_metal_prices_in_force(client, start, end)
        requests, retries = client.requests_made, client.retries_made
    _report(context, frame, "metal prices", start, end, requests, retries)
    with connect_writer(warehouse.build()) as conn:
        replace_days(conn, "raw.cbr_metal_prices", frame, "price_date")
    metadata = _summary(frame, "price_date", "metal", requests)
    return dg.MaterializeResult(metadata={**metadata, "retries": dg.MetadataValue.int(retries)})
