-- Capacity, allocated (planned) and booked hours of the selected departments per month of $months,
-- with utilisation and allocation rate: the resource KPI query's own rows. Allocations are planned
-- ahead, bookings are not: after M ($month) booked hours and utilisation are empty.

with

resource_kpis as (
    {{ ref('kpis/resource_kpis') }}
),

final as (
    select
        month,
        capacity_hours,
        planned_hours,
        case when month <= $month then hours end as hours,
        case when month <= $month then utilization end as utilization,
        allocation_rate,
        month > $month as is_future
    from resource_kpis
)

select * from final
order by month
