"""Daily partitions in Moscow time: one partition per calendar day of official rates."""

import dagster as dg

# The rouble was redenominated on 1998-01-01; history starts there. end_offset=1 makes today a
# partition: today's rates were set by the Bank on the previous working day.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date="1998-01-01", timezone="Europe/Moscow", end_offset=1
)
