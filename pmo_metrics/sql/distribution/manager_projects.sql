-- The projects a project manager runs among the ones given ($project_ids), the name compared without
-- regard to case or surrounding spaces (the caller squeezes the spaces inside it).

with

project_dim as (
    select project_id, project_manager from marts.projects
),

final as (
    select project_id
    from project_dim
    where lower(trim(project_manager)) = lower(trim($manager::varchar))
      and list_contains($project_ids::varchar[], project_id)
)

select * from final
order by project_id
