-- Planned, actual and forecast cost per month of the selected projects from $start to $end, with
-- running totals from the first month shown; actuals stop at M ($month), the months after it are
-- plan and forecast only.

with

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

costs as (
    select f.period, f.cost_category, f.planned_cost, f.actual_cost, f.forecast_cost
    from financials as f
    join selected_projects as p using (project_id)
    where f.period between $start and $end
),

monthly as (
    select period, sum(planned_cost) as planned_cost, sum(actual_cost) as actual_cost,
           sum(forecast_cost) as forecast_cost
    from costs
    group by period
),

final as (
    select
        period,
        planned_cost,
        actual_cost,
        forecast_cost,
        sum(coalesce(planned_cost, 0)) over running as planned_cumulative,
        case when period <= $month then sum(coalesce(actual_cost, 0)) over running end as actual_cumulative,
        period > $month as is_future
    from monthly
    window running as (order by period rows between unbounded preceding and current row)
)

select * from final
order by period
