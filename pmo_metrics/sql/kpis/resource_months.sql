-- One row per resource of the selected departments × month asked for: capacity, hours booked and
-- hours allocated (CONTRACT §3 resource KPIs, scoped by department only).

with

months as (
    {{ ref('kpis/months') }}
),

source_resources as (
    select * from resources
),

selected_resources as (
    select
        *,
        case $group_by
            when 'department' then department
            when 'role' then role
            when 'employment_type' then employment_type
            else 'all'
        end as group_key
    from source_resources
    where len($departments::varchar[]) = 0 or list_contains($departments::varchar[], department)
),

resource_months as (
    select
        r.*,
        m.month,
        m.month_start,
        m.month_end,
        -- the part of M within start_date…end_date, both included
        greatest(r.start_date, m.month_start) as employed_from,
        least(coalesce(r.end_date, m.month_end), m.month_end) as employed_to
    from selected_resources as r
    cross join months as m
),

with_day_numbers as (
    -- days since 0001-01-01, a Monday, so that n // 7 counts whole weeks
    select
        *,
        date_diff('day', date '0001-01-01', employed_from) as from_day,
        date_diff('day', date '0001-01-01', employed_to) + 1 as after_day
    from resource_months
),

with_capacity as (
    select
        *,
        -- Mon–Fri days in [from, to] = weekdays before (to + 1) − weekdays before from, where the
        -- weekdays before day n are 5 per whole week plus min(n mod 7, 5)
        case when from_day < after_day
             then ((after_day // 7) * 5 + least(after_day % 7, 5)) - ((from_day // 7) * 5 + least(from_day % 7, 5))
             else 0 end as weekdays
    from with_day_numbers
),

with_hours as (
    select
        c.*,
        c.weekly_capacity_hours * c.weekdays / 5 as capacity_hours,
        coalesce(h.hours, 0) as hours,
        coalesce(h.planned_hours, 0) as planned_hours
    from with_capacity as c
    left join marts.resource_months as h
        on h.resource_id = c.resource_id and h.month_start = c.month_start
),

final as (
    select
        month,
        group_key,
        resource_id,
        resource_name,
        role,
        department,
        employment_type,
        employment_type = 'contractor' as is_contractor,
        weekly_capacity_hours,
        start_date,
        end_date,
        weekdays,
        capacity_hours,
        hours,
        planned_hours,
        planned_hours > capacity_hours as is_overallocated
    from with_hours
)

select * from final
