with

source as (

    select * from {{ source('articles', 'articles') }}

),

renamed as (

    select
        cast(article_id as varchar) as article_id,
        cast(source as varchar) as source,
        cast(url as varchar) as url,
        cast(title as varchar) as title,
        cast(published_date as date) as published_date,
        cast(view_date as date) as view_date,
        cast(content_sha256 as varchar) as content_sha256,
        cast(text as varchar) as article_text,
        cast(char_count as integer) as char_count,
        cast(language as varchar) as language,
        cast(header as varchar) as header,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
