-- Who works on the project ($project_id): hours planned and booked in M ($month, $month_start …
-- $month_end) and to date (to end(M)).

with

allocated as (
    select resource_id,
           sum(planned_hours) filter (where period = $month) as planned_hours_month,
           sum(planned_hours) filter (where period <= $month) as planned_hours_to_date
    from allocations
    where project_id = $project_id
    group by all
),

booked as (
    select resource_id,
           sum(hours) filter (where work_date >= $month_start and work_date <= $month_end) as hours_month,
           sum(hours) filter (where work_date <= $month_end) as hours_to_date
    from main.timesheets
    where project_id = $project_id
    group by all
),

team as (
    select coalesce(a.resource_id, b.resource_id) as resource_id,
           coalesce(a.planned_hours_month, 0) as planned_hours_month,
           coalesce(b.hours_month, 0) as hours_month,
           coalesce(a.planned_hours_to_date, 0) as planned_hours_to_date,
           coalesce(b.hours_to_date, 0) as hours_to_date
    from allocated as a
    full outer join booked as b using (resource_id)
),

final as (
    select t.resource_id, r.resource_name, r.role, r.department, r.employment_type,
           t.planned_hours_month, t.hours_month, t.planned_hours_to_date, t.hours_to_date
    from team as t
    left join resources as r using (resource_id)
    where t.planned_hours_to_date > 0 or t.hours_to_date > 0
)

select * from final
order by hours_to_date desc, resource_id
