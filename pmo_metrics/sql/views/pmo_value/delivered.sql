-- What the selected projects delivered in the year to M, and in the same months a year earlier
-- (one row per month asked for): projects finished from January of the month's year to end(month),
-- and of those the ones finished by their baseline date.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

final as (
    select
        m.month,
        count(p.project_id) as projects_delivered,
        count(p.project_id) filter (where p.actual_finish_date <= p.baseline_finish_date) as delivered_on_time,
        coalesce(sum(p.budget_at_completion), 0) as budget_delivered
    from months as m
    left join selected_projects as p
        on p.actual_finish_date >= date_trunc('year', m.month_start) and p.actual_finish_date <= m.month_end
    group by m.month
)

select * from final
order by month
