with

metal_prices_in_force as (

    select * from {{ ref('int_metal_prices__in_force') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

usd_rates as (

    select
        rate_date,
        rub_per_unit as rub_per_usd

    from fx_rates
    where currency_code = 'USD'

),

with_previous_day as (

    select
        price_date,
        metal,
        rub_per_gram,
        set_on_date,
        record_date,
        lag(price_date) over by_metal = price_date - 1 as is_previous_day_loaded,
        lag(rub_per_gram) over by_metal as previous_rub_per_gram

    from metal_prices_in_force
    window by_metal as (partition by metal order by price_date)

),

final as (

    select
        with_previous_day.price_date,
        with_previous_day.metal,
        with_previous_day.rub_per_gram,
        cast(
            round(
                with_previous_day.rub_per_gram
                * {{ var('grams_per_troy_ounce') }}
                / nullif(usd_rates.rub_per_usd, 0),
                4
            )
            as decimal(18, 4)
        ) as usd_per_troy_ounce,
        with_previous_day.set_on_date,
        with_previous_day.record_date,
        case
            when with_previous_day.is_previous_day_loaded
                then cast(
                    with_previous_day.rub_per_gram - with_previous_day.previous_rub_per_gram
                    as decimal(18, 2)
                )
        end as change_rub_per_gram,
        case
            when with_previous_day.is_previous_day_loaded
                and with_previous_day.previous_rub_per_gram > 0
                then cast(
                    round(
                        100
                        * (with_previous_day.rub_per_gram - with_previous_day.previous_rub_per_gram)
                        / with_previous_day.previous_rub_per_gram,
                        4
                    )
                    as decimal(18, 4)
                )
        end as change_pct

    from with_previous_day
    left join usd_rates
        on with_previous_day.price_date = usd_rates.rate_date

)

select * from final
