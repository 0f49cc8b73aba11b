with

dated_facts as (

    select * from {{ ref('int_article_facts__dated') }}

),

area_facts as (

    select
        article_id,
        fact_index,
        metric,
        value,
        qualifier,
        subject,
        as_of_date,
        target_year,
        evidence

    from dated_facts
    where metric in ('land_area', 'floor_area')

),

final as (

    select
        subject,
        case metric
            when 'land_area' then 'land'
            when 'floor_area' then 'floor'
        end as area_kind,
        cast(value as decimal(18, 2)) as area_m2,
        cast(value / 10000 as decimal(18, 6)) as area_ha,
        qualifier,
        as_of_date,
        target_year,
        article_id,
        fact_index,
        evidence

    from area_facts

)

select * from final
