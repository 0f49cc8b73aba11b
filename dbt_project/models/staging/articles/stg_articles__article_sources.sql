with

source as (

    select * from {{ source('articles', 'article_sources') }}

),

renamed as (

    select
        cast(source as varchar) as source,
        cast(article_id as varchar) as article_id,
        cast(source_sha256 as varchar) as source_sha256,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
