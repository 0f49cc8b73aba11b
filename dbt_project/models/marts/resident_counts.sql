with

dated_facts as (

    select * from {{ ref('int_article_facts__dated') }}

),

count_facts as (

    select
        article_id,
        fact_index,
        metric,
        value,
        qualifier,
        subject,
        as_of_date,
        period_start,
        period_end,
        target_year,
        evidence

    from dated_facts
    where metric in ('resident_count', 'company_count', 'new_residents')

),

final as (

    select
        subject,
        as_of_date,
        case metric
            when 'resident_count' then 'residents'
            when 'company_count' then 'companies'
            when 'new_residents' then 'new_residents'
        end as kind,
        cast(value as bigint) as value,
        qualifier,
        article_id,
        period_start,
        period_end,
        target_year,
        fact_index,
        evidence

    from count_facts

)

select * from final
