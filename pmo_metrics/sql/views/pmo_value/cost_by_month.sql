-- What the PMO cost per month and category over the months asked for: planned and actual (empty
-- where the month has no actual yet). The PMO is organisation-wide: no project filter applies.

with

months as (
    {{ ref('kpis/months') }}
),

source_pmo_costs as (
    select * from pmo_costs where period is not null
),

final as (
    select
        m.month,
        x.cost_category,
        sum(x.planned_cost) as planned_cost,
        sum(x.actual_cost) as actual_cost
    from months as m
    join source_pmo_costs as x on x.period = m.month
    group by m.month, x.cost_category
)

select * from final
order by month, list_position($pmo_cost_categories::varchar[], cost_category)
