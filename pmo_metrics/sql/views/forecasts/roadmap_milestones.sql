-- The milestones the roadmap marks: those of the given projects ($project_ids), each at its actual date
-- once achieved by end($as_of), else at its forecast (else baseline) date.

with

months as (
    {{ ref('kpis/months') }}
),

final as (
    select
        g.project_id,
        g.milestone_name,
        coalesce(g.is_gate, false) as is_gate,
        g.baseline_date,
        case when g.actual_date <= m.month_end then g.actual_date
             else coalesce(g.forecast_date, g.baseline_date) end as marker_date,
        coalesce(g.actual_date <= m.month_end, false) as achieved
    from milestones as g
    cross join months as m
    where list_contains($project_ids::varchar[], g.project_id)
      and m.month = $as_of
)

select * from final
order by project_id, marker_date
