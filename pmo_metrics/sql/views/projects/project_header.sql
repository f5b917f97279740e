-- The facts at the top of the project page: the project ($project_id) as the extract states it,
-- its strategic objective, and its latest status report dated ≤ end(M) ($month_end; none when NULL).

with

source_projects as (
    select * from projects where project_id = $project_id
),

objective_names as (
    select objective_id, any_value(objective_name) as objective_name
    from strategic_objectives
    group by objective_id
),

latest_report as (
    select report_date, overall_rag, schedule_rag, cost_rag, scope_rag, percent_complete, summary
    from status_reports
    where project_id = $project_id and report_date <= $month_end::date
    order by report_date desc
    limit 1
),

final as (
    select p.*, p.strategic_objective_id as objective_id, o.objective_name, r.*
    from source_projects as p
    left join objective_names as o on o.objective_id = p.strategic_objective_id
    left join latest_report as r on true
)

select * from final
