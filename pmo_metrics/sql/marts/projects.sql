-- marts.projects: one row per project with what the filters and the project table need.
-- is_selectable encodes CONTRACT §3 "selected projects": stage not one of $excluded_stages (idea,
-- cancelled).

with

source_projects as (
    select * from projects
),

objectives as (
    -- objective_id is the key of strategic_objectives; min() only guards the join against duplicates
    select objective_id, min(objective_name) as objective_name
    from strategic_objectives
    group by objective_id
),

final as (
    select
        p.project_id,
        p.project_name,
        p.portfolio,
        p.program,
        p.business_unit,
        p.strategic_objective_id as objective_id,
        o.objective_name,
        p.sponsor,
        p.project_manager,
        p.delivery_approach,
        p.stage,
        p.priority_score,
        p.start_date,
        p.baseline_finish_date,
        p.forecast_finish_date,
        p.actual_finish_date,
        p.budget_at_completion,
        coalesce(not list_contains($excluded_stages::varchar[], p.stage), false) as is_selectable
    from source_projects as p
    left join objectives as o on o.objective_id = p.strategic_objective_id
)

select * from final
order by project_id
