{#
    Fails for every row whose value is zero or negative; nulls pass (pair with not_null where needed).
#}
{% test positive(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} <= 0

{% endtest %}
