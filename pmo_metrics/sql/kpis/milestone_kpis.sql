-- milestone_on_time_rate (CONTRACT §3) per month and breakdown group: of the selected projects'
-- milestones with baseline_date ≤ end(M), the share met on time (see marts/milestone_months.sql).

with

months as (
    {{ ref('kpis/months') }}
),

groups as (
    {{ ref('kpis/project_groups') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

due_by_month as (
    select
        p.group_key,
        d.baseline_month_start,
        sum(d.milestones_due) as milestones_due,
        sum(d.milestones_on_time) as milestones_on_time
    from marts.milestone_months as d
    join selected_projects as p using (project_id)
    group by all
),

totals as (
    select
        m.month,
        g.group_key,
        coalesce(sum(d.milestones_due), 0) as milestones_due,
        coalesce(sum(d.milestones_on_time), 0) as milestones_on_time
    from months as m
    cross join groups as g
    left join due_by_month as d
        on d.group_key is not distinct from g.group_key and d.baseline_month_start <= m.month_start
    group by m.month, g.group_key
),

final as (
    select
        month,
        group_key,
        milestones_due,
        milestones_on_time,
        milestones_on_time / nullif(milestones_due, 0) as milestone_on_time_rate
    from totals
)

select * from final
order by month, group_key
