-- The people of the selected departments whose planned hours for M ($month) exceed their capacity,
-- with the projects they are allocated to, largest first. Only projects of the business units in
-- $name_units (every unit when empty) are named; hours on any other project are summed as 'other
-- business units', so a person scoped to some units never reads another unit's project names.

with

resource_months as (
    {{ ref('kpis/resource_months') }}
),

overallocated as (
    select * from resource_months where is_overallocated
),

named_allocations as (
    select
        a.resource_id,
        a.planned_hours,
        case when len($name_units::varchar[]) = 0 or list_contains($name_units::varchar[], p.business_unit)
             then coalesce(p.project_name, a.project_id) end as project
    from main.allocations as a
    left join main.projects as p using (project_id)
    where a.period = $month and a.resource_id in (select resource_id from overallocated)
),

parts as (
    select resource_id, coalesce(project, 'other business units') as project,
           sum(planned_hours) as planned_hours, project is null as is_other
    from named_allocations
    group by all
),

listed as (
    select resource_id,
           string_agg(project || ' (' || cast(round(planned_hours) as bigint) || ' h)', '; '
                      order by is_other, planned_hours desc, project) as projects
    from parts
    group by resource_id
),

final as (
    select o.resource_id, o.resource_name, o.role, o.department, o.employment_type, o.capacity_hours,
           o.planned_hours, o.planned_hours - o.capacity_hours as over_by_hours, o.hours, l.projects
    from overallocated as o
    left join listed as l using (resource_id)
)

select * from final
order by over_by_hours desc, resource_id
