-- The resource KPIs of CONTRACT §3 per month and breakdown group (department, role, employment type).

with

months as (
    {{ ref('kpis/months') }}
),

resource_months as (
    {{ ref('kpis/resource_months') }}
),

groups as (
    select distinct group_key from resource_months
    union
    select 'all' as group_key where $group_by = 'all'
),

totals as (
    select
        m.month,
        g.group_key,
        count(r.resource_id) as resources,
        -- the people the month concerns: employed in it, or with hours booked or planned in it
        count(*) filter (where r.capacity_hours <> 0 or r.hours <> 0 or r.planned_hours <> 0) as people,
        coalesce(sum(r.capacity_hours), 0) as capacity_hours,
        coalesce(sum(r.hours), 0) as hours,
        coalesce(sum(r.hours) filter (where r.is_contractor), 0) as contractor_hours,
        coalesce(sum(r.planned_hours), 0) as planned_hours,
        count(*) filter (where r.is_overallocated) as overallocated_resources
    from months as m
    cross join groups as g
    left join resource_months as r
        on r.month = m.month and r.group_key is not distinct from g.group_key
    group by m.month, g.group_key
),

final as (
    select
        month,
        group_key,
        resources,
        people,
        capacity_hours,
        hours,
        planned_hours,
        hours / nullif(capacity_hours, 0) as utilization,
        planned_hours / nullif(capacity_hours, 0) as allocation_rate,
        overallocated_resources,
        contractor_hours / nullif(hours, 0) as contractor_hours_share
    from totals
)

select * from final
order by month, group_key
