-- The portfolio page's drill-down: the active projects per portfolio, per program or per project
-- ($group_by) with their RAG counts, budget, earned value and indices. These are the project KPI
-- query's own rows, so each line is what the cards show for its group. At the project level only
-- the projects of the program drilled into are kept ($program; NULL for those without a program).

with

project_kpis as (
    {{ ref('kpis/project_kpis') }}
),

project_dim as (
    select project_id, project_name, program from marts.projects
),

final as (
    select
        k.group_key as key,
        coalesce(p.project_name, k.group_key) as label,
        k.active_projects as projects,
        k.red_projects as red,
        k.amber_projects as amber,
        k.green_projects as green,
        k.unreported_projects as no_report,
        k.budget_at_completion as bac,
        k.planned_value as pv,
        k.earned_value as ev,
        k.actual_cost as ac,
        k.eac,
        k.spi,
        k.cpi
    from project_kpis as k
    left join project_dim as p on $group_by = 'project' and p.project_id = k.group_key
    where k.active_projects > 0
      and ($group_by <> 'project' or p.program is not distinct from $program::varchar)
)

select * from final
order by bac desc, key
