-- benefit_months with each benefit's name, category, baseline and target and its project's name,
-- for traceability rows and change lists.

with

benefit_months as (
    {{ ref('kpis/benefit_months') }}
),

source_benefits as (
    select * from benefits
),

project_dim as (
    select * from marts.projects
),

final as (
    select
        f.month,
        f.benefit_id,
        b.benefit_name,
        b.category,
        b.benefit_type,
        f.project_id,
        p.project_name,
        p.portfolio,
        b.baseline_value,
        b.target_value,
        f.planned_period,
        f.planned_value,
        f.actual_period,
        f.actual_value,
        f.progress,
        f.is_at_risk,
        f.is_financial
    from benefit_months as f
    join source_benefits as b using (benefit_id)
    join project_dim as p on p.project_id = f.project_id
)

select * from final
