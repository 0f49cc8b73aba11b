"""Charts for analysts: PNGs and a self-contained report.html drawn from the published
warehouse (TPW_REPORTS_DIR, else data/reports beside it), shown in the Dagster UI too."""

import base64

import dagster as dg

from orchestration.defs.resources import WarehouseResource
from reports import warm_up as charts_warm_up


@dg.asset(
    key=["reports", "charts"],
    deps=["published_warehouse"],
    group_name="reports",
    kinds={"python", "html"},
    description="Metal prices (RUB per gram, USD per troy ounce), the USD and EUR rates and "
    "exports by region for the latest year, as PNGs and one offline report.html. Reads the "
    "published file read-only, so it needs no writer lock.",
)
def report_charts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    # matplotlib is imported here, not when Dagster loads the definitions (0.8 s per process),
    # or by the warm-up the dbt step started in this process.
    charts_warm_up.wait()
    from reports.charts import render_report

    published = warehouse.published()
    report = render_report(published, warehouse.reports(), lake=warehouse.lake())
    context.log.info(f"wrote {report.html} and {len(report.charts)} charts")
    metadata: dict[str, dg.RawMetadataValue] = {"report": dg.MetadataValue.path(str(report.html))}
    for chart in report.charts:
        image = base64.b64encode(chart.png.read_bytes()).decode("ascii")
        metadata[chart.name] = dg.MetadataValue.md(
            f"![{chart.title}](data:image/png;base64,{image})\n\n{chart.note}"
        )
        metadata[f"{chart.name}_rows"] = dg.MetadataValue.int(chart.rows)
        if chart.last_day:
            metadata[f"{chart.name}_last_day"] = str(chart.last_day)
    return dg.MaterializeResult(metadata=metadata)
