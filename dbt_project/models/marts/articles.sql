with

articles as (

    select * from {{ ref('stg_articles__articles') }}

),

article_sources as (

    select * from {{ ref('stg_articles__article_sources') }}

),

facts as (

    select * from {{ ref('stg_articles__facts') }}

),

article_source_names as (

    select article_id, source from article_sources
    union
    select article_id, source from articles

),

source_counts as (

    select
        article_id,
        count(*) as source_count

    from article_source_names
    group by article_id

),

fact_counts as (

    select
        article_id,
        count(*) as fact_count

    from facts
    group by article_id

),

final as (

    select
        articles.article_id,
        articles.source,
        articles.url,
        articles.title,
        articles.published_date,
        articles.content_sha256,
        articles.view_date,
        coalesce(articles.published_date, articles.view_date) as as_of_date,
        articles.language,
        articles.char_count,
        coalesce(fact_counts.fact_count, 0) as fact_count,
        coalesce(source_counts.source_count, 0) as sources,
        articles.loaded_at

    from articles
    left join source_counts
        on articles.article_id = source_counts.article_id
    left join fact_counts
        on articles.article_id = fact_counts.article_id

)

select * from final
