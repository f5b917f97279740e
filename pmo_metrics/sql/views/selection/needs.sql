-- Each candidate's need per department over the planning window: Σ planned_hours of its allocations
-- in the window, by the resource's department (CONTRACT §7).

with

window_allocations as (
    {{ ref('views/selection/window_allocations') }}
),

final as (
    select project_id, department, sum(planned_hours) as hours
    from window_allocations
    where is_candidate
    group by project_id, department
)

select * from final
order by project_id, department
