-- marts.benefit_month_facts: for every benefit and every month from its first measurement to its
-- last, the values CONTRACT §3 reads as of that month: planned from the latest measurement ≤ the
-- month, realised from the latest one that has an actual_value, progress and whether it is at risk.
-- Before the first measurement a benefit has nothing to read (and is not at risk); after the last
-- nothing changes, so a later month reads the last row (is_last), as kpis/benefit_months.sql does.

with

source_benefits as (
    select benefit_id, project_id, category, baseline_value from benefits
    where benefit_id is not null
),

measurements as (
    select benefit_id, period, period_start, planned_value from marts.benefit_measurements
),

actuals as (
    select benefit_id, period, period_start, actual_value
    from marts.benefit_measurements
    where actual_value is not null
),

ranges as (
    select benefit_id, min(period_start) as first_month_start, max(period_start) as last_month_start
    from measurements
    group by benefit_id
),

spine as (
    select
        b.*,
        g.month_start::date as month_start,
        g.month_start::date = r.last_month_start as is_last
    from source_benefits as b
    join ranges as r using (benefit_id),
         generate_series(r.first_month_start, r.last_month_start, interval 1 month) as g(month_start)
),

with_planned as (
    select s.*, m.period as planned_period, m.planned_value
    from spine as s
    asof left join measurements as m
        on m.benefit_id = s.benefit_id and m.period_start <= s.month_start
),

with_actual as (
    select w.*, a.period as actual_period, a.actual_value
    from with_planned as w
    asof left join actuals as a
        on a.benefit_id = w.benefit_id and a.period_start <= w.month_start
),

with_progress as (
    select
        *,
        category = 'financial' as is_financial,
        (actual_value - baseline_value) / nullif(planned_value - baseline_value, 0) as progress
    from with_actual
),

final as (
    select
        benefit_id,
        project_id,
        month_start,
        is_last,
        is_financial,
        planned_period,
        planned_value,
        actual_period,
        actual_value,
        progress,
        coalesce(planned_value <> baseline_value
                 and (actual_value is null or progress < $benefit_on_track), false) as is_at_risk
    from with_progress
)

select * from final
order by month_start, benefit_id
