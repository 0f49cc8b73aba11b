{#
    Rows whose value is zero or negative; nulls pass (pair with not_null where needed).
    A nonsense value from the Bank must not stop the nightly run: the test warns in dbt, so the
    models downstream still build, and stores the offending rows (schema dbt_test__audit of the
    build file). On the Bank's figures (fx_rates, metal_prices) the yml adds meta
    dagster_severity: ERROR: a failed ERROR check in Dagster (red in the UI, `tpw run` exits 1).
#}
{% test positive(model, column_name) %}
{{ config(severity='warn', store_failures=true) }}

select *
from {{ model }}
where {{ column_name }} <= 0

{% endtest %}
