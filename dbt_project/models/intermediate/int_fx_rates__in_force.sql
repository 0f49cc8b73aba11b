{#
    The exchange rate in force per loaded day and currency: the last loaded record carried
    forward while it is at most var('max_record_age_days') days old (macro in_force).
#}

{#
    A table, not a view: the window over the whole day-by-series grid runs once per build instead
    of once for each of the many tests and the mart reading this model.
#}
{{ config(materialized='table') }}

{{
    in_force(
        records=ref('stg_cbr__rates'),
        day_column='rate_date',
        series_column='currency_code',
        loaded_flag='is_rates_loaded',
        columns=['currency_id', 'nominal', 'value_rub', 'rub_per_unit'],
    )
}}
