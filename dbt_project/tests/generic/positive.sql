{#
    Rows whose value is zero or negative; nulls pass (pair with not_null where needed).
    A nonsense value from the Bank must not stop the nightly run: the test warns and stores the
    offending rows (schema dbt_test__audit); the Dagster check `*_values_are_sane` shows it red.
#}
{% test positive(model, column_name) %}
{{ config(severity='warn', store_failures=true) }}

select *
from {{ model }}
where {{ column_name }} <= 0

{% endtest %}
