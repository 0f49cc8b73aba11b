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

priced as (

    select
        metal_prices_in_force.price_date,
        metal_prices_in_force.metal,
        metal_prices_in_force.rub_per_gram,
        cast(
            round(
                metal_prices_in_force.rub_per_gram
                * {{ var('grams_per_troy_ounce') }}
                / nullif(usd_rates.rub_per_usd, 0),
                2
            )
            as decimal(18, 2)
        ) as usd_per_troy_ounce,
        metal_prices_in_force.set_on_date,
        metal_prices_in_force.record_date

    from metal_prices_in_force
    left join usd_rates
        on metal_prices_in_force.price_date = usd_rates.rate_date

),

final as (

    {{
        day_over_day_change(
            relation='priced',
            day_column='price_date',
            series_column='metal',
            value_column='rub_per_gram',
            change_column='change_rub_per_gram',
            change_type='decimal(18, 2)',
        )
    }}

)

select * from final
