-- Cost of the selected projects at M ($month) per portfolio, program, business unit, strategic
-- objective ($group_by) or cost category ($by): planned and actual to date, their difference
-- (positive = overspent), year to date (from $year_start), the whole plan, the forecast at
-- completion (actuals to M, then the forecast, else the plan) and the budget (BAC; a budget is not
-- split by cost category).

with

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

project_dim as (
    select project_id, coalesce(objective_name, objective_id) as objective from marts.projects
),

costs as (
    select
        case when $by = 'cost_category' then f.cost_category else p.group_key end as key,
        case when $by = 'cost_category' then f.cost_category
             when $by = 'objective' then d.objective
             else p.group_key end as label,
        f.period, f.planned_cost, f.actual_cost, f.forecast_cost
    from financials as f
    join selected_projects as p using (project_id)
    join project_dim as d using (project_id)
),

budgets as (
    select case when $by = 'cost_category' then null else group_key end as key,
           sum(budget_at_completion) as budget_at_completion
    from selected_projects
    group by all
),

totals as (
    select
        key,
        any_value(label) as label,
        coalesce(sum(planned_cost) filter (where period <= $month), 0) as planned_to_date,
        -- no data is not zero: a group without any actual cost by M has none to show
        case when count(actual_cost) filter (where period <= $month) > 0
             then coalesce(sum(actual_cost) filter (where period <= $month), 0) end as actual_to_date,
        coalesce(sum(planned_cost) filter (where period between $year_start and $month), 0) as planned_ytd,
        case when count(actual_cost) filter (where period <= $month) > 0
             then coalesce(sum(actual_cost) filter (where period between $year_start and $month), 0) end as actual_ytd,
        coalesce(sum(planned_cost), 0) as planned_total,
        sum(coalesce(actual_cost, 0)) filter (where period <= $month)
          + coalesce(sum(coalesce(forecast_cost, planned_cost)) filter (where period > $month), 0) as forecast_total
    from costs
    group by key
),

final as (
    select t.key, t.label, t.planned_to_date, t.actual_to_date,
           t.actual_to_date - t.planned_to_date as variance_to_date,
           t.planned_ytd, t.actual_ytd, t.planned_total, t.forecast_total, b.budget_at_completion
    from totals as t
    left join budgets as b on b.key is not distinct from t.key
)

select * from final
order by actual_to_date desc nulls last, key
