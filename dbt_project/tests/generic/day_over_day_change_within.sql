{#
    Rows whose day-over-day change (a percentage column) exceeds max_pct in either direction:
    a jump the Bank's official rates and prices do not make. Warns and stores the rows.
#}
{% test day_over_day_change_within(model, column_name, max_pct=25) %}
{{ config(severity='warn', store_failures=true) }}

select *
from {{ model }}
where abs({{ column_name }}) > {{ max_pct }}

{% endtest %}
