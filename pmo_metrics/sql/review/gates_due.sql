-- The selected projects' gate milestones due in M (baseline_date in M), each with whether it was
-- passed by its baseline date, passed late, or is still open at end(M).

with

months as (
    {{ ref('kpis/months') }}
),

gates as (
    {{ ref('kpis/gate_rows') }}
),

final as (
    select
        g.project_id,
        p.project_name,
        p.project_manager,
        g.milestone_name,
        g.baseline_date,
        g.actual_date,
        case when g.actual_date <= g.baseline_date then 'passed on time'
             when g.actual_date <= m.month_end then 'passed late'
             else 'missed' end as state
    from months as m
    join gates as g on g.baseline_date >= m.month_start and g.baseline_date <= m.month_end
    join marts.projects as p on p.project_id = g.project_id
)

select * from final
order by baseline_date, project_id, milestone_name
