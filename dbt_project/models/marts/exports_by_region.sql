{#
    One row per export destination (article, region, product), with the export figures the
    same article ties to it and the article's total next to it:
    - value_rub / share: the article's export_volume / export_share fact about the same product
      and region, else the same product (no region), else the same region (no product);
    - total_export_rub / export_growth: the article's export_volume / export_growth fact with
      neither product nor region.
    A figure is considered only when its subject and period agree with the destination's (equal,
    or null on either side); among several, the one with the same period, then the same subject,
    then (for the total export volume) the largest, then the first in the article wins: an article
    may also state a part of its exports with no product or region («их вклад ... почти 500
    миллионов рублей»), which is never larger than the total. A destination without a period
    takes the period of the figures found for it (the total first).
#}

with

dated_facts as (

    select * from {{ ref('int_article_facts__dated') }}

),

destination_mentions as (

    select
        article_id,
        fact_index,
        subject,
        region,
        region_code,
        product,
        value,
        qualifier,
        period_start,
        period_end,
        evidence,
        as_of_date,
        count(*) over by_destination as mentions,
        row_number() over (
            partition by article_id, region, product
            order by value is null, period_start is null, fact_index
        ) as mention_rank

    from dated_facts
    where metric = 'export_destination'
    window by_destination as (partition by article_id, region, product)

),

destinations as (

    select * from destination_mentions
    where mention_rank = 1

),

export_figures as (

    select
        article_id,
        fact_index,
        metric,
        value,
        qualifier,
        subject,
        region,
        product,
        period_start,
        period_end

    from dated_facts
    where metric in ('export_volume', 'export_share', 'export_growth')

),

figures_tied_to_destinations as (

    select
        destinations.article_id,
        destinations.fact_index as destination_index,
        export_figures.metric,
        export_figures.value,
        export_figures.qualifier,
        export_figures.period_start,
        export_figures.period_end,
        case
            when export_figures.product = destinations.product
                and export_figures.region = destinations.region then 'product and region'
            when export_figures.product = destinations.product
                and export_figures.region is null then 'product'
            when export_figures.region = destinations.region
                and export_figures.product is null then 'region'
            when export_figures.product is null
                and export_figures.region is null then 'total'
        end as tie,
        export_figures.period_start is not distinct from destinations.period_start
            and export_figures.period_end is not distinct from destinations.period_end as is_same_period,
        export_figures.subject is not distinct from destinations.subject as is_same_subject,
        export_figures.fact_index as figure_index

    from destinations
    inner join export_figures
        on destinations.article_id = export_figures.article_id
        and (
            destinations.subject is null
            or export_figures.subject is null
            or destinations.subject = export_figures.subject
        )
        and (
            destinations.period_start is null
            or export_figures.period_start is null
            or (
                destinations.period_start = export_figures.period_start
                and destinations.period_end = export_figures.period_end
            )
        )

),

ranked_figures as (

    select
        article_id,
        destination_index,
        metric,
        value,
        qualifier,
        period_start,
        period_end,
        tie,
        row_number() over (
            partition by article_id, destination_index, metric, tie = 'total'
            order by
                case tie when 'product and region' then 1 when 'product' then 2 when 'region' then 3 else 4 end,
                is_same_period desc,
                is_same_subject desc,
                case when metric = 'export_volume' and tie = 'total' then value end desc nulls last,
                figure_index
        ) as preference

    from figures_tied_to_destinations
    where tie is not null

),

chosen_figures as (

    select * from ranked_figures
    where preference = 1

),

figures_per_destination as (

    select
        article_id,
        destination_index,
        max(value) filter (where metric = 'export_volume' and tie <> 'total') as value_rub,
        max(tie) filter (where metric = 'export_volume' and tie <> 'total') as value_rub_scope,
        max(qualifier) filter (where metric = 'export_volume' and tie <> 'total') as value_rub_qualifier,
        max(period_start) filter (where metric = 'export_volume' and tie <> 'total') as value_rub_period_start,
        max(period_end) filter (where metric = 'export_volume' and tie <> 'total') as value_rub_period_end,
        max(value) filter (where metric = 'export_share' and tie <> 'total') as share,
        max(tie) filter (where metric = 'export_share' and tie <> 'total') as share_scope,
        max(qualifier) filter (where metric = 'export_share' and tie <> 'total') as share_qualifier,
        max(period_start) filter (where metric = 'export_share' and tie <> 'total') as share_period_start,
        max(period_end) filter (where metric = 'export_share' and tie <> 'total') as share_period_end,
        max(value) filter (where metric = 'export_volume' and tie = 'total') as total_export_rub,
        max(qualifier) filter (where metric = 'export_volume' and tie = 'total') as total_export_qualifier,
        max(period_start) filter (where metric = 'export_volume' and tie = 'total') as total_period_start,
        max(period_end) filter (where metric = 'export_volume' and tie = 'total') as total_period_end,
        max(value) filter (where metric = 'export_growth' and tie = 'total') as export_growth

    from chosen_figures
    group by article_id, destination_index

),

final as (

    select
        destinations.subject,
        case
            when destinations.period_start is not null then destinations.period_start
            when figures.total_period_start is not null then figures.total_period_start
            when figures.value_rub_period_start is not null then figures.value_rub_period_start
            else figures.share_period_start
        end as period_start,
        case
            when destinations.period_start is not null then destinations.period_end
            when figures.total_period_start is not null then figures.total_period_end
            when figures.value_rub_period_start is not null then figures.value_rub_period_end
            else figures.share_period_end
        end as period_end,
        destinations.region,
        destinations.product,
        cast(figures.value_rub as decimal(18, 2)) as value_rub,
        cast(round(figures.share, 6) as decimal(9, 6)) as share,
        destinations.qualifier,
        destinations.article_id,
        destinations.region_code,
        cast(destinations.value as bigint) as countries,
        figures.value_rub_scope,
        figures.value_rub_qualifier,
        figures.share_scope,
        figures.share_qualifier,
        cast(figures.total_export_rub as decimal(18, 2)) as total_export_rub,
        figures.total_export_qualifier,
        cast(round(figures.export_growth, 4) as decimal(18, 4)) as export_growth,
        destinations.period_start is null
            and coalesce(
                figures.total_period_start,
                figures.value_rub_period_start,
                figures.share_period_start
            ) is not null as is_period_inherited,
        destinations.as_of_date,
        destinations.fact_index,
        destinations.mentions,
        destinations.evidence

    from destinations
    left join figures_per_destination as figures
        on destinations.article_id = figures.article_id
        and destinations.fact_index = figures.destination_index

)

select * from final
