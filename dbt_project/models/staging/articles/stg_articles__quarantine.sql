with

source as (

    select * from {{ source('articles', 'quarantine') }}

),

renamed as (

    select
        cast(source as varchar) as source,
        cast(reason as varchar) as reason,
        cast(detail as varchar) as detail,
        cast(content_sha256 as varchar) as content_sha256,
        cast(seen_at as timestamp) as seen_at

    from source

)

select * from renamed
