{#
    Rows whose day-over-day change (a percentage column) exceeds max_pct in either direction
    (default var('max_daily_change_pct')): a jump the Bank's official rates and prices do not make.
    Warns in dbt, so the models downstream still build, and stores the rows (schema
    dbt_test__audit of the build file); meta dagster_severity makes it a failed ERROR check in
    Dagster (red in the UI, `tpw run` exits 1).
#}
{% test day_over_day_change_within(model, column_name, max_pct=none) %}
{{ config(severity='warn', store_failures=true, meta={'dagster_severity': 'ERROR'}) }}

select *
from {{ model }}
where abs({{ column_name }}) > {{ max_pct if max_pct is not none else var('max_daily_change_pct') }}

{% endtest %}
