with

source as (

    select * from {{ source('articles', 'ticker_quotes') }}

),

renamed as (

    select
        cast(article_id as varchar) as article_id,
        cast(quote_date as date) as quote_date,
        cast(instrument as varchar) as instrument,
        cast(value as decimal(18, 4)) as value,
        cast(source_text as varchar) as source_text,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
