{#
    Days on which a currency's Nominal differs from the previous loaded day's: the Bank does
    rescale quotes now and then (IRR 100000 -> 1000000), so this warns for review and stores the
    rows; rub_per_unit stays comparable across the change.
#}
{{ config(severity='warn', store_failures=true) }}

with rates as (
    select * from {{ ref('fx_rates') }}
),

compared as (
    select
        rate_date,
        currency_code,
        nominal,
        lag(nominal) over (partition by currency_code order by rate_date) as previous_nominal,
    from rates
),

final as (
    select * from compared
    where previous_nominal is not null and nominal <> previous_nominal
)

select * from final
