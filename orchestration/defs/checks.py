"""Asset checks on the published marts: values the Bank of Russia would never publish.

dbt's tests warn about them (and keep the offending rows in dbt_test__audit) so a bad figure
never stops the nightly run from publishing the rest; these checks make the same rows show red
in the Dagster UI, with the rows in the check's metadata.
"""

import dagster as dg
import duckdb

from extract.warehouse import connect_reader
from orchestration.defs.resources import WarehouseResource

MAX_JUMP = 25

# A change of Nominal alone is not a problem (the Bank quoted CNY per 10 until 2022, then per 1):
# change_pct compares roubles per unit, so a Nominal change that is not carried through to the
# value shows as a jump. dbt's assert_fx_nominal_is_stable still warns about every change.
FX_PROBLEMS = f"""
select rate_date, currency_code, nominal, value_rub, change_pct,
    case
        when value_rub <= 0 or rub_per_unit <= 0 then 'not positive'
        else 'jump over {MAX_JUMP}% in a day'
    end as problem
from marts.fx_rates
where value_rub <= 0 or rub_per_unit <= 0 or abs(change_pct) > {MAX_JUMP}
order by rate_date, currency_code
"""

METAL_PROBLEMS = f"""
select price_date, metal, rub_per_gram, change_pct,
    case when rub_per_gram <= 0 then 'not positive'
        else 'jump over {MAX_JUMP}% in a day' end as problem
from marts.metal_prices
where rub_per_gram <= 0 or abs(change_pct) > {MAX_JUMP}
order by price_date, metal
"""


def _problems(warehouse: WarehouseResource, sql: str) -> tuple[list[str], list[tuple]]:
    conn = connect_reader(warehouse.published())
    try:
        cursor = conn.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.CatalogException:
        return [], []  # nothing published yet
    finally:
        conn.close()


def _result(columns: list[str], rows: list[tuple], what: str) -> dg.AssetCheckResult:
    preview = "\n".join(
        ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows[:20]]
    )
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{len(rows)} {what} rows the Bank would not publish" if rows else None,
        metadata={
            "offending_rows": dg.MetadataValue.int(len(rows)),
            "rows": dg.MetadataValue.md(preview if rows else "(none)"),
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["marts", "fx_rates"]),
    additional_deps=[dg.AssetKey("published_warehouse")],
    description="Rates that are zero or negative or jump more than 25% in a day (per unit).",
)
def fx_rates_values_are_sane(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _result(*_problems(warehouse, FX_PROBLEMS), "fx_rates")


@dg.asset_check(
    asset=dg.AssetKey(["marts", "metal_prices"]),
    additional_deps=[dg.AssetKey("published_warehouse")],
    description="Metal prices that are zero or negative or jump more than 25% in a day.",
)
def metal_prices_values_are_sane(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _result(*_problems(warehouse, METAL_PROBLEMS), "metal_prices")
