-- CONTRACT §3 "selected projects": those passing the filters whose stage is not idea or cancelled
-- (marts.projects.is_selectable), each with the key of the breakdown asked for. $group_by is bound
-- (the registry's Query.breakdowns allow only known values); $project_id narrows to one project.

with

filtered_projects as (
    {{ ref('kpis/filtered_projects') }}
),

final as (
    select
        project_id,
        start_date,
        baseline_finish_date,
        forecast_finish_date,
        actual_finish_date,
        budget_at_completion,
        case $group_by
            when 'portfolio' then portfolio
            when 'program' then program
            when 'business_unit' then business_unit
            when 'objective' then objective_id
            when 'project' then project_id
            else 'all'
        end as group_key
    from filtered_projects
    where is_selectable
      and ($project_id::varchar is null or project_id = $project_id::varchar)
)

select * from final
