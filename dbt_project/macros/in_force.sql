{#
    The record in force per loaded day and series (a currency, a metal): the Bank's records on
    every day the calendar marks as loaded, with a series missing on such a day given its last
    record carried forward, but only while that record is at most var('max_record_age_days')
    days old, so nothing is carried across a long gap between loaded windows or for a series the
    Bank stopped quoting.

    records: the staging relation (one row per day and series); day_column / series_column name
    its day and series; loaded_flag: the int_calendar__days column marking the loaded days;
    columns: the columns carried with the record (record_date, source_url and loaded_at are
    always carried). Returns the rows: day, series, *columns, record_date, set_on_date,
    is_carried_by_dbt, source_<day_column>, source_url, loaded_at.
#}

{% macro in_force(records, day_column, series_column, loaded_flag, columns) %}

with

calendar_days as (

    select * from {{ ref('int_calendar__days') }}

),

records as (

    select * from {{ records }}

),

loaded_days as (

    select calendar_date as {{ day_column }}
    from calendar_days
    where {{ loaded_flag }}

),

series as (

    select distinct {{ series_column }}
    from records

),

day_series_grid as (

    select
        loaded_days.{{ day_column }},
        series.{{ series_column }}

    from loaded_days
    cross join series

),

grid_with_source_day as (

    select
        day_series_grid.{{ day_column }},
        day_series_grid.{{ series_column }},
        last_value(records.{{ day_column }} ignore nulls) over (
            partition by day_series_grid.{{ series_column }}
            order by day_series_grid.{{ day_column }}
            rows between unbounded preceding and current row
        ) as source_day

    from day_series_grid
    left join records
        on day_series_grid.{{ day_column }} = records.{{ day_column }}
        and day_series_grid.{{ series_column }} = records.{{ series_column }}

),

carried as (

    select
        grid_with_source_day.{{ day_column }},
        grid_with_source_day.{{ series_column }},
        {%- for column in columns %}
        records.{{ column }},
        {%- endfor %}
        records.record_date,
        grid_with_source_day.source_day,
        grid_with_source_day.source_day <> grid_with_source_day.{{ day_column }} as is_carried_by_dbt,
        records.source_url,
        records.loaded_at

    from grid_with_source_day
    inner join records
        on grid_with_source_day.{{ series_column }} = records.{{ series_column }}
        and grid_with_source_day.source_day = records.{{ day_column }}

),

final as (

    select
        {{ day_column }},
        {{ series_column }},
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        record_date,
        record_date = {{ day_column }} as set_on_date,
        is_carried_by_dbt,
        source_day as source_{{ day_column }},
        source_url,
        loaded_at

    from carried
    where not is_carried_by_dbt
        or {{ day_column }} - record_date <= {{ var('max_record_age_days') }}

)

select * from final

{% endmacro %}
