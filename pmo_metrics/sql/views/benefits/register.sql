-- Every benefit of the selected projects measured by M, with its latest planned and actual values,
-- its progress and whether it is at risk: the rows behind the benefit KPIs. At-risk benefits first.

with

benefit_rows as (
    {{ ref('kpis/benefit_rows') }}
),

final as (
    select benefit_id, benefit_name, project_id, project_name, category, benefit_type, owner, unit,
           baseline_value, target_value, planned_period, planned_value, actual_period, actual_value,
           progress, coalesce(is_at_risk, false) as is_at_risk
    from benefit_rows
)

select * from final
order by is_at_risk desc, benefit_id
