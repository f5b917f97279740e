-- The milestones behind milestone_on_time_rate at M: those of the selected projects due by end(M).

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

source_milestones as (
    select * from milestones
),

final as (
    select
        m.month,
        p.project_id,
        p.project_name,
        p.portfolio,
        ms.milestone_id,
        ms.milestone_name,
        ms.is_gate,
        ms.baseline_date,
        ms.forecast_date,
        ms.actual_date,
        coalesce(ms.actual_date <= ms.baseline_date and ms.actual_date <= m.month_end, false) as on_time
    from months as m
    join source_milestones as ms on ms.baseline_date <= m.month_end
    join selected_projects as sp on sp.project_id = ms.project_id
    join marts.projects as p on p.project_id = ms.project_id
)

select * from final
order by month, baseline_date, project_id, milestone_id
