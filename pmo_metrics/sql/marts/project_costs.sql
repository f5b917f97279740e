-- marts.project_costs: one row per project × period with the running totals the cost KPIs
-- read as of a month (PV and AC to date; budget and actual year to date).

with

source_financials as (
    select * from financials
),

monthly as (
    select
        project_id,
        period,
        strptime(period || '-01', '%Y-%m-%d')::date as period_start,
        sum(planned_cost) as planned_cost,
        -- sum() skips missing actual_cost; a period with none at all stays empty, adding nothing
        sum(actual_cost) as actual_cost
    from source_financials
    where project_id is not null and period is not null
    group by project_id, period
),

running as (
    select
        *,
        coalesce(sum(planned_cost) over to_date, 0) as planned_cost_to_date,
        coalesce(sum(actual_cost) over to_date, 0) as actual_cost_to_date,
        -- periods with an actual cost so far: none means no data, which is not an actual cost of 0
        count(actual_cost) over to_date as actual_cost_periods_to_date,
        coalesce(sum(planned_cost) over year_to_date, 0) as planned_cost_ytd,
        coalesce(sum(actual_cost) over year_to_date, 0) as actual_cost_ytd
    from monthly
    window
        to_date as (partition by project_id order by period_start
                    rows between unbounded preceding and current row),
        year_to_date as (partition by project_id, year(period_start) order by period_start
                         rows between unbounded preceding and current row)
)

select * from running
order by project_id, period_start
