{#
    Model-level test for fact rows: fails where `unit_column` is not the unit the fact vocabulary
    (var fact_metric_units, mirrored from extract/vocabulary.py METRIC_UNITS) gives `metric_column`.
#}
{% test unit_matches_metric(model, metric_column='metric', unit_column='unit') %}

select
    {{ metric_column }},
    {{ unit_column }}

from {{ model }}
where {{ unit_column }} is distinct from (
    case {{ metric_column }}
        {%- for metric, unit in var('fact_metric_units').items() %}
        when '{{ metric }}' then {{ "null" if unit is none else "'" ~ unit ~ "'" }}
        {%- endfor %}
    end
)

{% endtest %}
