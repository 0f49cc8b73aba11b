{#
    Each rate or metal price printed in a page header next to the Bank of Russia's figure for that
    day. A currency's official figure is what the Bank prints for it: value_rub when the Bank quotes
    one unit (nominal 1, e.g. USD, EUR), else roubles per one unit (rub_per_unit, rounded to the
    4 decimals a header shows). A metal's is its rub_per_gram.
#}

with

quotes as (

    select * from {{ ref('stg_articles__ticker_quotes') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

metal_prices as (

    select * from {{ ref('metal_prices') }}

),

official_figures as (

    select
        rate_date as official_date,
        currency_code as instrument,
        case
            when nominal = 1 then value_rub
            else cast(round(rub_per_unit, 4) as decimal(18, 4))
        end as official_value

    from fx_rates

    union all

    select
        price_date as official_date,
        metal as instrument,
        cast(rub_per_gram as decimal(18, 4)) as official_value

    from metal_prices

),

compared as (

    select
        quotes.quote_date,
        quotes.instrument,
        quotes.value,
        official_figures.official_value,
        quotes.value - official_figures.official_value as difference,
        quotes.article_id,
        quotes.source_text,
        case
            when quotes.instrument in ('gold', 'silver', 'platinum', 'palladium') then 'metal'
            else 'currency'
        end as instrument_kind

    from quotes
    left join official_figures
        on quotes.quote_date = official_figures.official_date
        and quotes.instrument = official_figures.instrument

),

final as (

    select
        quote_date,
        instrument,
        value,
        official_value,
        abs(difference) < {{ var('ticker_match_tolerance') }} as matches,
        article_id,
        difference,
        case
            when official_value is null then 'no official figure loaded'
            when abs(difference) < {{ var('ticker_match_tolerance') }} then 'matches'
            else 'differs'
        end as reason,
        instrument_kind,
        source_text

    from compared

)

select * from final
