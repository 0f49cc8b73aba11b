"""Dagster definitions, one module per concern: resources, partitions, Bank of Russia assets,
dbt assets, publishing, schedules. Assets are thin: the work is done by the ``extract`` library."""
