-- marts.timesheet_hours: hours booked per resource × project × month, so no query at run time
-- scans the timesheet facts.

with

source_timesheets as (
    select * from timesheets
),

final as (
    select
        resource_id,
        project_id,
        date_trunc('month', work_date)::date as month_start,
        sum(hours) as hours,
        count(*) as bookings
    from source_timesheets
    where resource_id is not null and work_date is not null
    group by all
)

select * from final
order by resource_id, month_start, project_id
