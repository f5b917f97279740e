-- The forecast KPIs of CONTRACT §3/§6 per month and breakdown group: the portfolio's earned-schedule
-- SPI(t) (Σ ES / Σ AT, a ratio of sums), the reference-class P80 cost exposure, the optimism of the
-- projects' own finish forecasts against the reference-class P50, and the backtest coverage.

with

months as (
    {{ ref('kpis/months') }}
),

groups as (
    {{ ref('kpis/project_groups') }}
),

forecasts as (
    {{ ref('kpis/project_forecasts') }}
),

backtest as (
    {{ ref('kpis/rcf_backtest') }}
),

forecast_totals as (
    select
        m.month,
        g.group_key,
        sum(f.earned_schedule) filter (where f.is_active) as earned_schedule,
        sum(f.actual_time) filter (where f.is_active and f.earned_schedule is not null) as actual_time,
        count(*) filter (where f.is_active and f.earned_schedule is not null) as scheduled_projects,
        count(*) filter (where f.is_active and f.rcf_cost_p80 is not null) as cost_forecasts,
        -- sum() and avg() over no rows are empty: no forecast is not an exposure of 0
        sum(f.rcf_cost_p80 - f.bac) filter (where f.is_active and f.rcf_cost_p80 is not null)
            as rcf_cost_exposure_p80,
        count(*) filter (where f.is_active and f.rcf_finish_p50 is not null) as schedule_forecasts,
        avg(f.optimism_days) filter (where f.is_active) as forecast_optimism_days
    from months as m
    cross join groups as g
    left join forecasts as f
        on f.month = m.month and f.group_key is not distinct from g.group_key
    group by m.month, g.group_key
),

backtest_totals as (
    select month, group_key, count(*) as backtest_projects, count(*) filter (where covered) as backtest_covered
    from backtest
    group by month, group_key
),

final as (
    select
        t.month,
        t.group_key,
        t.earned_schedule,
        t.actual_time,
        t.scheduled_projects,
        t.cost_forecasts,
        t.schedule_forecasts,
        coalesce(b.backtest_projects, 0) as backtest_projects,
        coalesce(b.backtest_covered, 0) as backtest_covered,
        t.earned_schedule / nullif(t.actual_time, 0) as spi_t,
        t.rcf_cost_exposure_p80,
        t.forecast_optimism_days,
        b.backtest_covered / nullif(b.backtest_projects, 0) as rcf_p80_coverage
    from forecast_totals as t
    left join backtest_totals as b
        on b.month = t.month and b.group_key is not distinct from t.group_key
)

select * from final
order by month, group_key
