-- benefit_months with each benefit's name, category, owner, unit, baseline and target, and its
-- project's name and strategic objective: the benefit register, traceability rows, change lists.

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
        b.owner,
        b.unit,
        f.project_id,
        p.project_name,
        p.portfolio,
        p.objective_id,
        coalesce(p.objective_name, p.objective_id) as objective,
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
