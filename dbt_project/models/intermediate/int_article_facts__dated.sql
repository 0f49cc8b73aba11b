{#
    Every fact with the date it is as of: its article's published_date, else the article's
    view_date (the page header's "today"). Flow metrics (var fact_flow_metrics) are flagged,
    so marts can tell figures for a period from stock figures.
#}

with

facts as (

    select * from {{ ref('stg_articles__facts') }}

),

articles as (

    select * from {{ ref('stg_articles__articles') }}

),

final as (

    select
        facts.article_id,
        facts.fact_index,
        facts.metric,
        facts.value,
        facts.unit,
        facts.qualifier,
        facts.period_start,
        facts.period_end,
        facts.target_year,
        facts.subject,
        facts.region,
        facts.region_code,
        facts.product,
        facts.evidence,
        facts.char_start,
        facts.char_end,
        facts.rule,
        facts.extractor_version,
        facts.metric in ('{{ var("fact_flow_metrics") | join("', '") }}') as is_flow,
        coalesce(articles.published_date, articles.view_date) as as_of_date,
        facts.loaded_at

    from facts
    left join articles
        on facts.article_id = articles.article_id

)

select * from final
