with

dated_facts as (

    select * from {{ ref('int_article_facts__dated') }}

),

final as (

    select
        article_id,
        metric,
        value,
        unit,
        qualifier,
        period_start,
        period_end,
        subject,
        region,
        product,
        evidence,
        region_code,
        target_year,
        char_start,
        char_end,
        fact_index,
        rule,
        as_of_date,
        is_flow,
        extractor_version

    from dated_facts

)

select * from final
