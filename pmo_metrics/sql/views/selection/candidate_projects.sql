-- CONTRACT §7 candidates: the projects passing the filters whose stage is one of $candidate_stages
-- (idea, initiation, planning). Selection has no as-of month: it reads the data as last loaded.

with

filtered_projects as (
    {{ ref('kpis/filtered_projects') }}
),

final as (
    select
        project_id,
        project_name,
        portfolio,
        program,
        business_unit,
        objective_id,
        objective_name,
        stage,
        priority_score,
        budget_at_completion as bac
    from filtered_projects
    where list_contains($candidate_stages::varchar[], stage)
)

select * from final
