{#
    The exchange rate in force per loaded day and currency. A currency missing from the raw table
    on a day that was loaded gets the last loaded record carried forward, but only while that
    record is at most var('max_record_age_days') days old, so nothing is carried across a long
    gap between loaded windows or for a currency the Bank stopped quoting.
#}

with

calendar_days as (

    select * from {{ ref('int_calendar__days') }}

),

rates as (

    select * from {{ ref('stg_cbr__rates') }}

),

loaded_days as (

    select calendar_date as rate_date
    from calendar_days
    where is_rates_loaded

),

currencies as (

    select distinct currency_code
    from rates

),

day_currency_grid as (

    select
        loaded_days.rate_date,
        currencies.currency_code

    from loaded_days
    cross join currencies

),

grid_with_source_day as (

    select
        day_currency_grid.rate_date,
        day_currency_grid.currency_code,
        last_value(rates.rate_date ignore nulls) over (
            partition by day_currency_grid.currency_code
            order by day_currency_grid.rate_date
            rows between unbounded preceding and current row
        ) as source_rate_date

    from day_currency_grid
    left join rates
        on day_currency_grid.rate_date = rates.rate_date
        and day_currency_grid.currency_code = rates.currency_code

),

carried as (

    select
        grid_with_source_day.rate_date,
        grid_with_source_day.currency_code,
        rates.currency_id,
        rates.nominal,
        rates.value_rub,
        rates.rub_per_unit,
        rates.record_date,
        grid_with_source_day.source_rate_date,
        grid_with_source_day.source_rate_date <> grid_with_source_day.rate_date as is_carried_by_dbt,
        rates.source_url,
        rates.loaded_at

    from grid_with_source_day
    inner join rates
        on grid_with_source_day.currency_code = rates.currency_code
        and grid_with_source_day.source_rate_date = rates.rate_date

),

final as (

    select
        rate_date,
        currency_code,
        currency_id,
        nominal,
        value_rub,
        rub_per_unit,
        record_date,
        record_date = rate_date as set_on_date,
        is_carried_by_dbt,
        source_rate_date,
        source_url,
        loaded_at

    from carried
    where not is_carried_by_dbt
        or rate_date - record_date <= {{ var('max_record_age_days') }}

)

select * from final
