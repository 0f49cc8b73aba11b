{#
    Model-level test: fails for every row where the SQL boolean `expression` is false.
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
