with

source as (

    select * from {{ source('articles', 'article_facts') }}

),

renamed as (

    select
        cast(article_id as varchar) as article_id,
        cast(fact_index as integer) as fact_index,
        cast(metric as varchar) as metric,
        cast(value as double) as value,
        cast(unit as varchar) as unit,
        cast(qualifier as varchar) as qualifier,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(target_year as integer) as target_year,
        cast(subject as varchar) as subject,
        cast(region as varchar) as region,
        cast(region_code as varchar) as region_code,
        cast(product as varchar) as product,
        cast(evidence as varchar) as evidence,
        cast(char_start as integer) as char_start,
        cast(char_end as integer) as char_end,
        cast(rule as varchar) as rule,
        cast(extractor_version as varchar) as extractor_version,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
