-- The month a project starts ($project_id), where a project's own earned-value curve begins.

select strftime(start_date, '%Y-%m') as start_month
from marts.projects
where project_id = $project_id
