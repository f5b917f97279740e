-- marts.benefit_measurements: measurements with their month as a date, sorted for as-of joins.

with

source_measurements as (
    select * from benefit_measurements
),

final as (
    select
        benefit_id,
        period,
        strptime(period || '-01', '%Y-%m-%d')::date as period_start,
        planned_value,
        actual_value
    from source_measurements
    where benefit_id is not null and period is not null
)

select * from final
order by benefit_id, period_start
