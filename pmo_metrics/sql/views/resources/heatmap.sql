-- The allocation rate (planned / capacity) per department, role or employment type ($group_by) ×
-- month of $months, from the resource KPI query.

with

resource_kpis as (
    {{ ref('kpis/resource_kpis') }}
),

final as (
    select group_key as key, month, allocation_rate as value
    from resource_kpis
)

select * from final
order by key, month
