{#
    Fails for every non-null value that does not match `pattern` in full
    (DuckDB regexp_full_match, RE2 syntax).
#}
{% test matches_regex(model, column_name, pattern) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and not regexp_full_match({{ column_name }}, '{{ pattern | replace("'", "''") }}')

{% endtest %}
