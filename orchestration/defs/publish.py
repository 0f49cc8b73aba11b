"""Publishing: the analysts' warehouse file is replaced atomically once the marts are built."""

import dagster as dg
import duckdb

from extract.lake import Lake, connect, snapshot_id
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
    description="The analysts' DuckDB file (TPW_WAREHOUSE): an atomic copy of the build file. "
    "In team mode, the lake's snapshot that holds the new marts (analysts query the lake).",
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    lake = warehouse.lake()
    if lake is not None:
        return _lake_snapshot(context, lake)
    target = publish(warehouse.build(), warehouse.published())
    conn = duckdb.connect(str(target), read_only=True)
    try:
        tables = _table_sizes(conn)
    finally:
        conn.close()
    context.log.info(f"published {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "size_bytes": dg.MetadataValue.int(target.stat().st_size),
            "tables": dg.MetadataValue.json(tables),
        }
    )


def _lake_snapshot(context: dg.AssetExecutionContext, lake: Lake) -> dg.MaterializeResult:
    """In the lake there is nothing to copy: dbt's transactions made the marts visible. Record
    the snapshot analysts now see and the size of what they query."""
    conn = connect(lake, read_only=True)
    try:
        snapshot = snapshot_id(conn)
        tables = _table_sizes(conn)
    finally:
        conn.close()
    context.log.info(f"the lake {lake.catalog!r} is at snapshot {snapshot}")
    return dg.MaterializeResult(
        metadata={
            "lake_catalog": lake.catalog,
            "lake_data_path": lake.data_url,
            "snapshot_id": dg.MetadataValue.int(snapshot),
            "tables": dg.MetadataValue.json(tables),
        }
    )


def _table_sizes(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows (DuckDB's estimate) of each table analysts query: raw and marts."""
    rows = conn.execute(
        "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
        "where database_name = current_database() and schema_name in ('raw', 'marts') "
        "order by 1"
    ).fetchall()
    return dict(rows)
