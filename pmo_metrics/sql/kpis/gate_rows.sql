-- The selected projects' gate milestones (is_gate), each with its breakdown key: the input of the
-- gate KPIs and of the governance page's gate tables.

with

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

source_milestones as (
    select * from milestones
),

final as (
    select
        p.group_key,
        ms.project_id,
        ms.milestone_id,
        ms.milestone_name,
        ms.baseline_date,
        ms.forecast_date,
        ms.actual_date
    from source_milestones as ms
    join selected_projects as p using (project_id)
    where ms.is_gate and ms.baseline_date is not null
)

select * from final
