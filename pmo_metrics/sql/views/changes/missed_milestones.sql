-- Milestones of the selected projects whose baseline date falls in M and that were not achieved by
-- that date (achieved late or not at all).

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
        p.project_id,
        p.project_name,
        p.portfolio,
        ms.milestone_id,
        ms.milestone_name,
        ms.is_gate,
        ms.baseline_date,
        ms.forecast_date,
        ms.actual_date
    from months as m
    join source_milestones as ms on ms.baseline_date between m.month_start and m.month_end
    join selected_projects as sp on sp.project_id = ms.project_id
    join marts.projects as p on p.project_id = ms.project_id
    where ms.actual_date is null or ms.actual_date > ms.baseline_date
)

select * from final
order by baseline_date, project_id, milestone_id
