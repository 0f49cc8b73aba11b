"""Charts and reports drawn from the published warehouse (no Dagster imports)."""
