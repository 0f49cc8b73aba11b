-- int_calendar__days must hold every day between its first and last day exactly once.

with

calendar_days as (

    select * from {{ ref('int_calendar__days') }}

),

summary as (

    select
        count(*) as day_count,
        max(calendar_date) - min(calendar_date) + 1 as expected_day_count

    from calendar_days

)

select * from summary
where day_count <> expected_day_count
