{#
    For a record date column: fails where the record is dated after the day it is in force on
    (`day_column`), or is more than `max_age_days` (default: var max_record_age_days) older.
#}
{% test in_force_window(model, column_name, day_column, max_age_days=none) %}

{%- set max_age = max_age_days if max_age_days is not none else var('max_record_age_days') %}

select
    {{ day_column }},
    {{ column_name }}

from {{ model }}
where {{ column_name }} > {{ day_column }}
    or {{ day_column }} - {{ column_name }} > {{ max_age }}

{% endtest %}
