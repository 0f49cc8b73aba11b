with

rates_in_force as (

    select * from {{ ref('int_fx_rates__in_force') }}

),

with_previous_day as (

    select
        rate_date,
        currency_code,
        currency_id,
        nominal,
        value_rub,
        rub_per_unit,
        set_on_date,
        record_date,
        lag(rate_date) over by_currency = rate_date - 1 as is_previous_day_loaded,
        lag(rub_per_unit) over by_currency as previous_rub_per_unit

    from rates_in_force
    window by_currency as (partition by currency_code order by rate_date)

),

final as (

    select
        rate_date,
        currency_code,
        currency_id,
        nominal,
        value_rub,
        rub_per_unit,
        set_on_date,
        record_date,
        case
            when is_previous_day_loaded
                then cast(rub_per_unit - previous_rub_per_unit as decimal(28, 12))
        end as change_rub,
        case
            -- a nonsense zero the day before has no percentage change (its check flags it)
            when is_previous_day_loaded and previous_rub_per_unit > 0
                then cast(
                    round(100 * (rub_per_unit - previous_rub_per_unit) / previous_rub_per_unit, 4)
                    as decimal(18, 4)
                )
        end as change_pct

    from with_previous_day

)

select * from final
