-- Hours planned and booked on the project ($project_id) in each of $months.

with

months as (
    select unnest($months::varchar[]) as month
),

allocated as (
    select period as month, sum(planned_hours) as planned_hours
    from allocations
    where project_id = $project_id
    group by all
),

booked as (
    select strftime(work_date, '%Y-%m') as month, sum(hours) as hours
    from main.timesheets
    where project_id = $project_id
    group by all
),

final as (
    select m.month, coalesce(a.planned_hours, 0) as planned_hours, coalesce(b.hours, 0) as hours
    from months as m
    left join allocated as a using (month)
    left join booked as b using (month)
)

select * from final
order by month
