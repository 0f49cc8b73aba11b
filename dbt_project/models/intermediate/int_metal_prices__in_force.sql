{#
    The metal price in force per loaded day and metal. A metal missing from the raw table on a
    day that was loaded gets the last loaded record carried forward, but only while that record
    is at most var('max_record_age_days') days old, so nothing is carried across a long gap
    between loaded windows.
#}

with

calendar_days as (

    select * from {{ ref('int_calendar__days') }}

),

metal_prices as (

    select * from {{ ref('stg_cbr__metal_prices') }}

),

loaded_days as (

    select calendar_date as price_date
    from calendar_days
    where is_metal_prices_loaded

),

metals as (

    select distinct metal
    from metal_prices

),

day_metal_grid as (

    select
        loaded_days.price_date,
        metals.metal

    from loaded_days
    cross join metals

),

grid_with_source_day as (

    select
        day_metal_grid.price_date,
        day_metal_grid.metal,
        last_value(metal_prices.price_date ignore nulls) over (
            partition by day_metal_grid.metal
            order by day_metal_grid.price_date
            rows between unbounded preceding and current row
        ) as source_price_date

    from day_metal_grid
    left join metal_prices
        on day_metal_grid.price_date = metal_prices.price_date
        and day_metal_grid.metal = metal_prices.metal

),

carried as (

    select
        grid_with_source_day.price_date,
        grid_with_source_day.metal,
        metal_prices.metal_code,
        metal_prices.rub_per_gram,
        metal_prices.record_date,
        grid_with_source_day.source_price_date,
        grid_with_source_day.source_price_date <> grid_with_source_day.price_date as is_carried_by_dbt,
        metal_prices.source_url,
        metal_prices.loaded_at

    from grid_with_source_day
    inner join metal_prices
        on grid_with_source_day.metal = metal_prices.metal
        and grid_with_source_day.source_price_date = metal_prices.price_date

),

final as (

    select
        price_date,
        metal,
        metal_code,
        rub_per_gram,
        record_date,
        record_date = price_date as set_on_date,
        is_carried_by_dbt,
        source_price_date,
        source_url,
        loaded_at

    from carried
    where not is_carried_by_dbt
        or price_date - record_date <= {{ var('max_record_age_days') }}

)

select * from final
