with

source as (

    select * from {{ source('cbr', 'cbr_rates') }}

),

renamed as (

    select
        cast(rate_date as date) as rate_date,
        cast(currency_code as varchar) as currency_code,
        cast(currency_id as varchar) as currency_id,
        cast(record_date as date) as record_date,
        cast(nominal as integer) as nominal,
        cast(value as decimal(18, 4)) as value_rub,
        cast(vunit_rate as decimal(18, 10)) as rub_per_unit,
        cast(source_url as varchar) as source_url,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
