{#
    The metal price in force per loaded day and metal: the last loaded record carried forward
    while it is at most var('max_record_age_days') days old (macro in_force).
#}

{#
    A table, not a view: the window over the whole day-by-series grid runs once per build instead
    of once for each of the many tests and the mart reading this model.
#}
{{ config(materialized='table') }}

{{
    in_force(
        records=ref('stg_cbr__metal_prices'),
        day_column='price_date',
        series_column='metal',
        loaded_flag='is_metal_prices_loaded',
        columns=['metal_code', 'rub_per_gram'],
    )
}}
