{#
    Fails for every combination of the given columns that occurs more than once.
    Model-level test: `unique_combination_of_columns: {arguments: {combination_of_columns: [a, b]}}`.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set column_list = combination_of_columns | join(', ') %}

with

grouped as (

    select
        {{ column_list }},
        count(*) as row_count

    from {{ model }}
    group by {{ column_list }}

)

select * from grouped
where row_count > 1

{% endtest %}
