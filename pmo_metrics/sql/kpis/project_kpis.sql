-- The project KPIs of CONTRACT §3 (portfolio health, schedule, cost and earned value) per month and
-- breakdown group: counts and sums of project_months, then ratios of those sums.

with

months as (
    {{ ref('kpis/months') }}
),

groups as (
    {{ ref('kpis/project_groups') }}
),

project_months as (
    {{ ref('kpis/project_months') }}
),

totals as (
    select
        m.month,
        g.group_key,
        count(f.project_id) as selected_projects,
        count(*) filter (where f.is_active) as active_projects,
        count(*) filter (where f.is_active and f.overall_rag = 'green') as green_projects,
        count(*) filter (where f.is_active and f.overall_rag = 'amber') as amber_projects,
        count(*) filter (where f.is_active and f.overall_rag = 'red') as red_projects,
        count(*) filter (where f.is_active and f.report_date is null) as unreported_projects,
        count(*) filter (where f.is_active and f.is_stale) as stale_projects,
        avg(f.finish_slip_days) filter (where f.is_active) as avg_finish_slip_days,
        count(*) filter (where f.is_finished) as finished_projects,
        count(*) filter (where f.is_finished and f.finished_on_time) as finished_on_time,
        coalesce(sum(f.pv) filter (where f.is_active), 0) as planned_value,
        -- sum() over no values is empty: EV is empty when no active project has progress
        sum(f.ev) filter (where f.is_active) as earned_value,
        coalesce(sum(f.ac) filter (where f.is_active), 0) as actual_cost,
        coalesce(sum(f.bac) filter (where f.is_active), 0) as budget_at_completion,
        coalesce(sum(f.eac) filter (where f.is_active), 0) as eac_sum,
        coalesce(sum(f.budget_ytd), 0) as budget_ytd,
        coalesce(sum(f.actual_cost_ytd), 0) as actual_cost_ytd,
        -- No data is not zero (CONTRACT §3): without any actual cost of a selected project in a period
        -- ≤ M, the actual cost and every figure built on it are empty
        coalesce(bool_or(f.has_actual_cost), false) as has_actual_cost
    from months as m
    cross join groups as g
    left join project_months as f
        on f.month = m.month and f.group_key is not distinct from g.group_key
    group by m.month, g.group_key
),

final as (
    select
        month,
        group_key,
        selected_projects,
        active_projects,
        green_projects,
        amber_projects,
        red_projects,
        unreported_projects,
        stale_projects,
        finished_projects,
        budget_at_completion,
        green_projects / nullif(active_projects, 0) as rag_green_share,
        amber_projects / nullif(active_projects, 0) as rag_amber_share,
        red_projects / nullif(active_projects, 0) as rag_red_share,
        unreported_projects / nullif(active_projects, 0) as rag_missing_share,
        stale_projects / nullif(active_projects, 0) as stale_status_share,
        avg_finish_slip_days,
        finished_on_time / nullif(finished_projects, 0) as on_time_delivery_rate,
        planned_value,
        earned_value,
        case when has_actual_cost then actual_cost end as actual_cost,
        earned_value / nullif(planned_value, 0) as spi,
        case when has_actual_cost then earned_value / nullif(actual_cost, 0) end as cpi,
        earned_value - planned_value as schedule_variance,
        case when has_actual_cost then earned_value - actual_cost end as cost_variance,
        case when earned_value is not null and has_actual_cost then eac_sum end as eac,
        case when earned_value is not null and has_actual_cost then budget_at_completion - eac_sum end as vac,
        case when has_actual_cost
             then (budget_at_completion - earned_value) / nullif(budget_at_completion - actual_cost, 0) end as tcpi,
        budget_ytd,
        case when has_actual_cost then actual_cost_ytd end as actual_cost_ytd
    from totals
)

select * from final
order by month, group_key
