with

source as (

    select * from {{ source('cbr', 'cbr_metal_prices') }}

),

renamed as (

    select
        cast(price_date as date) as price_date,
        cast(metal_code as integer) as metal_code,
        cast(metal as varchar) as metal,
        cast(record_date as date) as record_date,
        cast(buy as decimal(18, 2)) as buy_rub_per_gram,
        cast(sell as decimal(18, 2)) as rub_per_gram,
        cast(source_url as varchar) as source_url,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
