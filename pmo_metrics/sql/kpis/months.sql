-- The months asked for ($months, 'YYYY-MM'), with their first and last day: end(M) of CONTRACT §3.

with

asked as (
    select distinct m as month
    from unnest($months::varchar[]) as t(m)
),

final as (
    select
        month,
        strptime(month || '-01', '%Y-%m-%d')::date as month_start,
        last_day(strptime(month || '-01', '%Y-%m-%d')::date) as month_end
    from asked
)

select * from final
