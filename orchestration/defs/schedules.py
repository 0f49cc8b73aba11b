"""The nightly job: today's Bank of Russia partition, then dbt, then publishing."""

import dagster as dg

nightly_job = dg.define_asset_job(
    name="nightly_job",
    selection=dg.AssetSelection.all(),
    description="Loads a day (or a range) of rates and metal prices, builds the marts, publishes.",
)

# 01:30 Moscow time: the rates in force today were set by the Bank on the previous working day.
nightly_schedule = dg.build_schedule_from_partitioned_job(
    nightly_job,
    name="nightly_schedule",
    hour_of_day=1,
    minute_of_hour=30,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

warehouse_build_job = dg.define_asset_job(
    name="warehouse_build_job",
    # Everything but the raw loads themselves; dbt's source tests still check the raw tables.
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("cbr").without_checks(),
    description="Rebuilds the marts with dbt from what is loaded, then publishes.",
)

cbr_load_job = dg.define_asset_job(
    name="cbr_load_job",
    selection=dg.AssetSelection.groups("cbr").without_checks(),
    description="Loads Bank of Russia rates and metal prices for a day or a range, nothing else.",
)

articles_job = dg.define_asset_job(
    name="articles_job",
    # The article assets, everything downstream, and the dbt models those read that the Bank's
    # loads feed (ticker_quotes compares with fx_rates): on a fresh warehouse, before any nightly
    # run, they must be built too. The partitioned raw loads themselves are left out.
    selection=dg.AssetSelection.groups("articles").downstream().upstream()
    - dg.AssetSelection.groups("cbr"),
    description="Reads the article inbox, extracts facts from new and changed articles, rebuilds "
    "the marts that depend on them and publishes.",
)
