{#
    One row per calendar day from the first to the last day loaded for any CBR dataset,
    with flags telling which datasets were loaded that day. Days between loaded windows
    are present here but flagged false; downstream models keep only loaded days.
#}

with

rates as (

    select * from {{ ref('stg_cbr__rates') }}

),

metal_prices as (

    select * from {{ ref('stg_cbr__metal_prices') }}

),

rates_loaded_days as (

    select distinct rate_date as calendar_date
    from rates

),

metal_prices_loaded_days as (

    select distinct price_date as calendar_date
    from metal_prices

),

loaded_days as (

    select calendar_date from rates_loaded_days
    union
    select calendar_date from metal_prices_loaded_days

),

bounds as (

    select
        min(calendar_date) as first_day,
        max(calendar_date) as last_day

    from loaded_days

),

spine as (

    select
        cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as calendar_date

    from bounds

),

final as (

    select
        spine.calendar_date,
        rates_loaded_days.calendar_date is not null as is_rates_loaded,
        metal_prices_loaded_days.calendar_date is not null as is_metal_prices_loaded

    from spine
    left join rates_loaded_days
        on spine.calendar_date = rates_loaded_days.calendar_date
    left join metal_prices_loaded_days
        on spine.calendar_date = metal_prices_loaded_days.calendar_date

)

select * from final
