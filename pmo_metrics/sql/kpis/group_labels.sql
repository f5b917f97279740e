-- Display names of the breakdown groups whose key is an id ($group_by objective or project): the
-- objective's or the project's name. Other breakdowns are keyed by their name and get no rows.

with

project_dim as (
    select * from marts.projects
),

objective_names as (
    select objective_id as group_key, any_value(objective_name) as group_label
    from project_dim
    where $group_by = 'objective' and objective_name is not null
    group by objective_id
),

project_names as (
    select project_id as group_key, project_name as group_label
    from project_dim
    where $group_by = 'project'
),

final as (
    select * from objective_names
    union all
    select * from project_names
)

select * from final
