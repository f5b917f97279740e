-- project_months with the projects' names and dates, for traceability rows and change lists.

with

project_months as (
    {{ ref('kpis/project_months') }}
),

project_dim as (
    select * from marts.projects
),

final as (
    select
        p.project_name,
        p.portfolio,
        p.program,
        p.business_unit,
        p.stage,
        p.start_date,
        p.baseline_finish_date,
        p.forecast_finish_date,
        p.actual_finish_date,
        f.*
    from project_months as f
    join project_dim as p using (project_id)
)

select * from final
