-- Per department over the planning window ($months): its resources' capacity (CONTRACT §3: weekly
-- hours × Mon–Fri days within employment / 5, summed over the months), the hours allocated there to
-- projects that are not candidates, the free capacity left (capacity − those hours, CONTRACT §7; it
-- may be negative where a department is over-committed) and what the candidates would need.

with

resource_months as (
    {{ ref('kpis/resource_months') }}
),

window_allocations as (
    {{ ref('views/selection/window_allocations') }}
),

capacity as (
    select department, count(distinct resource_id) as resources, sum(capacity_hours) as capacity_hours
    from resource_months
    group by department
),

allocated as (
    select
        department,
        coalesce(sum(planned_hours) filter (where not is_candidate), 0) as committed_hours,
        coalesce(sum(planned_hours) filter (where is_candidate), 0) as candidate_hours
    from window_allocations
    group by department
),

final as (
    select
        c.department,
        c.resources,
        c.capacity_hours,
        coalesce(a.committed_hours, 0) as committed_hours,
        c.capacity_hours - coalesce(a.committed_hours, 0) as free_hours,
        coalesce(a.candidate_hours, 0) as candidate_hours
    from capacity as c
    left join allocated as a on a.department = c.department
)

select * from final
order by department
