-- pmo_cost_ytd and pmo_cost_share (CONTRACT §3) per month, in all or per PMO cost_category
-- ($group_by 'cost_category'). The PMO is organisation-wide: the project filters do not apply, and
-- the share's denominator is the actual cost year to date of every selectable project.
-- "No data is not zero": pmo_cost_ytd is empty where pmo_costs has no actual_cost with period ≤ M
-- (for the group), and the share where its denominator is empty or 0.

with

months as (
    {{ ref('kpis/months') }}
),

source_pmo_costs as (
    select
        period,
        strptime(period || '-01', '%Y-%m-%d')::date as period_start,
        case when $group_by = 'cost_category' then cost_category else 'all' end as group_key,
        planned_cost,
        actual_cost
    from pmo_costs
    where period is not null
),

groups as (
    select distinct group_key from source_pmo_costs
    union
    select 'all' as group_key where $group_by = 'all'
),

project_actuals as (
    select
        m.month,
        count(c.actual_cost) as actual_cost_rows,
        coalesce(sum(c.actual_cost) filter (where c.period_start >= date_trunc('year', m.month_start)), 0)
            as actual_cost_ytd
    from months as m
    left join marts.project_costs as c on c.period_start <= m.month_start
        and c.project_id in (select project_id from marts.projects where is_selectable)
    group by m.month
),

pmo_totals as (
    select
        m.month,
        g.group_key,
        count(x.actual_cost) as actual_cost_rows,
        coalesce(sum(x.planned_cost) filter (where x.period_start >= date_trunc('year', m.month_start)), 0)
            as pmo_planned_ytd,
        coalesce(sum(x.actual_cost) filter (where x.period_start >= date_trunc('year', m.month_start)), 0)
            as pmo_actual_ytd
    from months as m
    cross join groups as g
    left join source_pmo_costs as x
        on x.group_key = g.group_key and x.period_start <= m.month_start
    group by m.month, g.group_key
),

final as (
    select
        t.month,
        t.group_key,
        t.pmo_planned_ytd,
        case when p.actual_cost_rows > 0 then p.actual_cost_ytd end as portfolio_actual_cost_ytd,
        case when t.actual_cost_rows > 0 then t.pmo_actual_ytd end as pmo_cost_ytd,
        case when t.actual_cost_rows > 0 and p.actual_cost_rows > 0
             then t.pmo_actual_ytd / nullif(p.actual_cost_ytd, 0) end as pmo_cost_share
    from pmo_totals as t
    join project_actuals as p using (month)
)

select * from final
order by month, group_key
