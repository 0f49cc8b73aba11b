with

quarantine as (

    select * from {{ ref('stg_articles__quarantine') }}

),

final as (

    select
        source,
        reason,
        detail,
        seen_at,
        content_sha256

    from quarantine

)

select * from final
