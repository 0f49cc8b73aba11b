"""Publishing: the analysts' warehouse file is replaced atomically once the marts are built."""

import dagster as dg
import duckdb

from extract.warehouse import publish
from orchestration.defs.resources import WarehouseResource

MARTS = [
    dg.AssetKey(["marts", name])
    for name in (
        "fx_rates",
        "metal_prices",
        "articles",
        "article_facts",
        "exports_by_region",
        "resident_counts",
        "site_areas",
        "ticker_quotes",
    )
]


@dg.asset(
    key=["published_warehouse"],
    deps=MARTS,
    pool="duckdb_writer",
    group_name="publish",
    kinds={"duckdb"},
    description="The analysts' DuckDB file (TPW_WAREHOUSE): an atomic copy of the build file.",
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    target = publish(warehouse.build(), warehouse.published())
    conn = duckdb.connect(str(target), read_only=True)
    try:
        tables = conn.execute(
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
            "order by 1"
        ).fetchall()
    finally:
        conn.close()
    context.log.info(f"published {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "size_bytes": dg.MetadataValue.int(target.stat().st_size),
            "tables": dg.MetadataValue.json({name: rows for name, rows in tables}),
        }
    )
