-- Per department, role or employment type ($group_by) at M: the people the month concerns, their
-- capacity, allocated and booked hours, utilisation, allocation rate and over-allocated people —
-- the resource KPI query's own rows, so the groups add up to the cards.

with

resource_kpis as (
    {{ ref('kpis/resource_kpis') }}
),

final as (
    select
        group_key as key,
        people,
        capacity_hours,
        planned_hours,
        hours,
        utilization,
        allocation_rate,
        overallocated_resources as overallocated
    from resource_kpis
    where people > 0
)

select * from final
order by capacity_hours desc, key
