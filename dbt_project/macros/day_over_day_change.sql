{#
    The rows of `relation` with two columns added: `change_column`, value_column minus the
    previous calendar day's value of the same series (cast to change_type), and change_pct, that
    change as a percentage of the previous day's value, rounded to 2 decimals (1.23 means
    +1.23 %). Both are null when the previous calendar day has no row for the series (not
    loaded); change_pct also when the previous value is not positive (a nonsense zero has no
    percentage change; the `positive` test flags it).
#}

{% macro day_over_day_change(relation, day_column, series_column, value_column, change_column, change_type) %}

select
    * exclude (is_previous_day_loaded, previous_value),
    case
        when is_previous_day_loaded
            then cast({{ value_column }} - previous_value as {{ change_type }})
    end as {{ change_column }},
    case
        when is_previous_day_loaded and previous_value > 0
            then cast(
                round(100 * ({{ value_column }} - previous_value) / previous_value, 2)
                as decimal(18, 2)
            )
    end as change_pct

from (

    select
        *,
        lag({{ day_column }}) over by_series = {{ day_column }} - 1 as is_previous_day_loaded,
        lag({{ value_column }}) over by_series as previous_value

    from {{ relation }}
    window by_series as (partition by {{ series_column }} order by {{ day_column }})

)

{% endmacro %}
