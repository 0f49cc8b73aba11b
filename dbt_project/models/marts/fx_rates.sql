with

rates_in_force as (

    select * from {{ ref('int_fx_rates__in_force') }}

),

rates as (

    select
        rate_date,
        currency_code,
        currency_id,
        nominal,
        value_rub,
        rub_per_unit,
        set_on_date,
        record_date

    from rates_in_force

),

final as (

    {{
        day_over_day_change(
            relation='rates',
            day_column='rate_date',
            series_column='currency_code',
            value_column='rub_per_unit',
            change_column='change_rub',
            change_type='decimal(18, 10)',
        )
    }}

)

select * from final
