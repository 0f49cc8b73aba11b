{#
    Model-level test for fact rows: fails where a stock metric (not in var fact_flow_metrics,
    mirrored from extract/vocabulary.py FLOW_METRICS) carries a period, where a period has only one
    end, or where it ends before it starts.
#}
{% test periods_only_on_flows(model, metric_column='metric') %}

select
    {{ metric_column }},
    period_start,
    period_end

from {{ model }}
where (
        {{ metric_column }} not in ('{{ var("fact_flow_metrics") | join("', '") }}')
        and (period_start is not null or period_end is not null)
    )
    or (period_start is null) <> (period_end is null)
    or period_start > period_end

{% endtest %}
